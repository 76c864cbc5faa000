package compiled

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// stringModule passes strings in and out of a compiled model: a string
// input parsed to f32 and i32, numbers printed as strings, a string
// constant, and StringNormalizer with a result of data-dependent length
// and of static length, with and without stopwords.
const stringModule = `const @words : string[3] = ["Apple", "pear", "APPLE"]

func @main(%s: string[4], %x: f32[4], %b: bool[2]) -> ("f": f32[4], "i": i32[4], "xs": string[4], "bs": string[2], "n": string[?], "c": string[3], "k": string[3]) {
  %f = Cast(%s) {to = f32} : f32[4]
  %i = Cast(%s) {to = i32} : i32[4]
  %xs = Cast(%x) {to = string} : string[4]
  %bs = Cast(%b) {to = string} : string[2]
  %n = StringNormalizer(@words) {case_change_action = "LOWER", stopwords = ["apple"]} : string[?]
  %c = StringNormalizer(@words) {case_change_action = "UPPER"} : string[3]
  %k = StringNormalizer(%s) {stopwords = ["1e3"]} : string[3]
  return %f, %i, %xs, %bs, %n, %c, %k
}
`

// TestStringTensors runs stringModule compiled and in the interpreter on
// the same inputs and wants identical outputs; a string that is no number
// is an error of the run, not a crash.
func TestStringTensors(t *testing.T) {
	needGo(t)
	m := parse(t, stringModule)
	p, err := Build(context.Background(), Unit{Module: m}, Options{CacheDir: t.TempDir(), KilnVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	in := []*tensor.Tensor{
		tensor.FromSlice([]int{4}, []string{"1.5", " -2", "1e3", "inf"}),
		tensor.FromSlice([]int{4}, []float32{0.1, -3, 1e-5, 12345678}),
		tensor.FromSlice([]int{2}, []bool{true, false}),
	}
	got, err := p.Run(context.Background(), "model", in)
	if err != nil {
		t.Fatal(err)
	}
	want, err := interp.New(m, interp.Options{}).Run("main", []interp.Value{in[0], in[1], in[2]})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		w := want[i].(*tensor.Tensor)
		if !slices.Equal(got[i].Shape, w.Shape) || got[i].DType != w.DType {
			t.Errorf("output %d: %v %v, the interpreter gives %v %v", i, got[i].DType, got[i].Shape, w.DType, w.Shape)
			continue
		}
		if !tensor.Identical(got[i], w) {
			t.Errorf("output %d: %v, the interpreter gives %v", i, got[i].Data, w.Data)
		}
	}
	// Spot checks worked out by hand.
	if s := tensor.Data[string](got[2]); s[0] != "0.1" || s[1] != "-3.0" || s[2] != "1e-05" {
		t.Errorf("Cast f32 to string: %q", s)
	}
	if s := tensor.Data[string](got[4]); !slices.Equal(s, []string{"pear"}) {
		t.Errorf("StringNormalizer dropping apple: %q", s)
	}
	// A StringNormalizer that drops nothing gives 4 strings where the
	// model declares 3.
	in[0] = tensor.FromSlice([]int{4}, []string{"1", "2", "3", "4"})
	_, err = p.Run(context.Background(), "model", in)
	if err == nil || !strings.Contains(err.Error(), "4 strings, the model was compiled for 3") {
		t.Errorf("StringNormalizer of the wrong length: error %v", err)
	}
	// Numbers where the model takes strings.
	_, err = p.Run(context.Background(), "model", []*tensor.Tensor{in[1], in[1], in[2]})
	if err == nil || !strings.Contains(err.Error(), "want str") {
		t.Errorf("f32 for a string input: error %v", err)
	}
	in[0] = tensor.FromSlice([]int{4}, []string{"1", "two", "3", "4"})
	_, err = p.Run(context.Background(), "model", in)
	if err == nil || !strings.Contains(err.Error(), `"two" is not a number`) || strings.Contains(err.Error(), "crashed") {
		t.Errorf("a word cast to f32: error %v", err)
	}
}
