package interp

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

func TestTfIdfModes(t *testing.T) {
	// Pool: unigrams "a", "b"; bigram ("a", "b"). Output indexes 2, 0, 1.
	base := []ir.Attr{
		{Name: "min_gram_length", Value: ir.IntAttr(1)},
		{Name: "max_gram_length", Value: ir.IntAttr(2)},
		{Name: "max_skip_count", Value: ir.IntAttr(1)},
		{Name: "ngram_counts", Value: ir.IntsAttr([]int64{0, 2})},
		{Name: "ngram_indexes", Value: ir.IntsAttr([]int64{2, 0, 1})},
		{Name: "pool_strings", Value: ir.StringsAttr([]string{"a", "b", "a", "b"})},
		{Name: "weights", Value: ir.FloatsAttr([]float32{0.5, 2, 10})},
	}
	// "a b c a x b": a x2, b x2; (a,b) at skip 0 once and skip 1 once.
	x := FromSlice([]int{6}, []string{"a", "b", "c", "a", "x", "b"})
	for _, tc := range []struct {
		mode string
		want []float32 // at output indexes 0 ("b"), 1 ("a b"), 2 ("a")
	}{
		{"TF", []float32{2, 2, 2}},
		{"IDF", []float32{2, 10, 0.5}},
		{"TFIDF", []float32{4, 20, 1}},
	} {
		attrs := append([]ir.Attr{{Name: "mode", Value: ir.StringAttr(tc.mode)}}, base...)
		got := Data[float32](runOneOpModule(t, "TfIdfVectorizer", attrs, 1, x)[0].(*Tensor))
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.mode, got, tc.want)
		}
	}
}

func TestNLLLossIgnoreAndWeights(t *testing.T) {
	// log-probabilities for N=3, C=2.
	x := FromSlice([]int{3, 2}, []float32{-1, -2, -3, -4, -5, -6})
	target := FromSlice([]int{3}, []int64{1, 0, 1})
	w := FromSlice([]int{2}, []float32{2, 3})
	attrs := []ir.Attr{{Name: "ignore_index", Value: ir.IntAttr(0)}}
	// Row 1 is ignored: mean = (2*3 + 6*3) / (3 + 3).
	got := Data[float32](runOneOpModule(t, "NegativeLogLikelihoodLoss", attrs, 1, x, target, w)[0].(*Tensor))
	if len(got) != 1 || got[0] != 4 {
		t.Errorf("weighted mean with ignore_index: got %v, want [4]", got)
	}
	none := append(attrs, ir.Attr{Name: "reduction", Value: ir.StringAttr("none")})
	got = Data[float32](runOneOpModule(t, "NegativeLogLikelihoodLoss", none, 1, x, target, w)[0].(*Tensor))
	if fmt.Sprint(got) != "[6 0 18]" {
		t.Errorf("reduction none: got %v, want [6 0 18]", got)
	}
	if _, err := runOneOpModuleErr("NegativeLogLikelihoodLoss", nil, 1, x, FromSlice([]int{3}, []int64{1, 2, 0})); err == nil {
		t.Errorf("target 2 with 2 classes: no error")
	}
}

// TestStringSplitEdges pins the cases where kiln follows ONNX's reference
// (Python's str.split) and ONNX Runtime 1.30 does not: an empty string
// split on a delimiter is one empty part, and the rest after maxsplit
// whitespace splits keeps its trailing whitespace.
func TestStringSplitEdges(t *testing.T) {
	x := FromSlice([]int{2}, []string{"", " a  b c "})
	cases := []struct {
		name      string
		attrs     []ir.Attr
		want      []string
		wantCount []int64
	}{
		{"comma", []ir.Attr{{Name: "delimiter", Value: ir.StringAttr(",")}}, []string{"", " a  b c "}, []int64{1, 1}},
		{"whitespace", nil, []string{"", "", "", "a", "b", "c"}, []int64{0, 3}},
		{"whitespace maxsplit 1", []ir.Attr{{Name: "maxsplit", Value: ir.IntAttr(1)}}, []string{"", "", "a", "b c "}, []int64{0, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op := &ir.Op{Name: "StringSplit", Results: make([]*ir.Value, 2)}
			op.SetAttrs(c.attrs)
			out, err := kernelStringSplit(nil, op, []Value{x})
			if err != nil {
				t.Fatal(err)
			}
			y, z := out[0].(*Tensor), out[1].(*Tensor)
			if !reflect.DeepEqual(Data[string](y), c.want) || !reflect.DeepEqual(Data[int64](z), c.wantCount) {
				t.Errorf("got %q %v, want %q %v", Data[string](y), Data[int64](z), c.want, c.wantCount)
			}
		})
	}
}
