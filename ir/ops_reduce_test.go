package ir

import (
	"strings"
	"testing"
)

// TestReduceFamilyInfer covers the InferFuncs of the reductions, softmax
// family, losses, optimizers, random, signal, text ops and NMS. An operand
// is a Type (a function input) or a []int64 (an int64 constant: a scalar
// when it has one element and the name ends in "scalar", else 1-D).
func TestReduceFamilyInfer(t *testing.T) {
	f32 := func(dims ...Dim) Type { return TensorType(F32, Shape{Ranked: true, Dims: dims}) }
	s := Static
	n := Symbolic("n")
	scalar := func(v int64) any { return reduceFamilyScalar{v} }
	tests := []struct {
		name  string
		op    string
		args  []any
		attrs []Attr
		nres  int
		want  string // result types joined by " ", or the error substring after "!"
	}{
		{"reduce const axes", "ReduceSum", []any{f32(n, s(3), s(4)), []int64{-1}}, nil, 1, "f32[n,3,1]"},
		{"reduce no keepdims", "ReduceMax", []any{f32(n, s(3), s(4)), []int64{0, 2}},
			[]Attr{{Name: "keepdims", Value: IntAttr(0)}}, 1, "f32[3]"},
		{"reduce absent axes", "ReduceL2", []any{f32(s(2), s(3)), nil}, nil, 1, "f32[1,1]"},
		{"reduce empty axes noop", "ReduceMean", []any{f32(s(2), s(3)), []int64{}},
			[]Attr{{Name: "noop_with_empty_axes", Value: IntAttr(1)}}, 1, "f32[2,3]"},
		{"reduce runtime axes keepdims", "ReduceProd", []any{f32(s(2), s(3)), TensorType(I64, ShapeOf(1))}, nil, 1, "f32[?,?]"},
		{"reduce runtime axes drop", "ReduceProd", []any{f32(s(2), s(3)), TensorType(I64, ShapeOf(1))},
			[]Attr{{Name: "keepdims", Value: IntAttr(0)}}, 1, "f32[?]"},
		{"reduce duplicate axes", "ReduceSum", []any{f32(s(2), s(3)), []int64{1, -1}}, nil, 1, "!given twice"},
		{"reduce axis out of range", "ReduceSum", []any{f32(s(2), s(3)), []int64{2}}, nil, 1, "!out of range"},
		{"argmax", "ArgMin", []any{f32(n, s(5))}, []Attr{{Name: "axis", Value: IntAttr(-1)}}, 1, "i64[n,1]"},
		{"argmax no keepdims", "ArgMax", []any{f32(n, s(5))}, []Attr{{Name: "keepdims", Value: IntAttr(0)}}, 1, "i64[5]"},
		{"softmax", "LogSoftmax", []any{f32(n, s(5))}, nil, 1, "f32[n,5]"},
		{"softmax bad axis", "Softmax", []any{f32(n, s(5))}, []Attr{{Name: "axis", Value: IntAttr(2)}}, 1, "!out of range"},
		{"nll mean", "NegativeLogLikelihoodLoss", []any{f32(n, s(3), s(2)), TensorType(I64, Shape{Ranked: true, Dims: []Dim{n, s(2)}})}, nil, 1, "f32[]"},
		{"sce none with log_prob", "SoftmaxCrossEntropyLoss", []any{f32(n, s(3)), TensorType(I32, Shape{Ranked: true, Dims: []Dim{n}})},
			[]Attr{{Name: "reduction", Value: StringAttr("none")}}, 2, "f32[n] f32[n,3]"},
		{"loss float target", "NegativeLogLikelihoodLoss", []any{f32(n, s(3)), f32(n)}, nil, 1, "!want i32 or i64 (Tind)"},
		{"adam", "Adam", []any{f32(), TensorType(I64, ShapeOf()), f32(s(2)), TensorType(F64, ShapeOf(3)), f32(s(2)), TensorType(F64, ShapeOf(3)),
			f32(s(2)), TensorType(F64, ShapeOf(3)), f32(s(2)), TensorType(F64, ShapeOf(3))}, nil, 6, "f32[2] f64[3] f32[2] f64[3] f32[2] f64[3]"},
		{"adagrad uneven", "Adagrad", []any{f32(), TensorType(I64, ShapeOf()), f32(s(2)), f32(s(2))}, nil, 2, "!equal groups"},
		{"random uniform", "RandomUniform", nil, []Attr{{Name: "shape", Value: IntsAttr([]int64{2, 3})}, {Name: "dtype", Value: DTypeAttr(F64)}}, 1, "f64[2,3]"},
		{"random int dtype", "RandomNormal", nil, []Attr{{Name: "shape", Value: IntsAttr([]int64{2})}, {Name: "dtype", Value: DTypeAttr(I32)}}, 1, "!want a float"},
		{"random like", "RandomNormalLike", []any{TensorType(F16, Shape{Ranked: true, Dims: []Dim{n}})}, nil, 1, "f16[n]"},
		{"bernoulli dtype", "Bernoulli", []any{f32(n)}, []Attr{{Name: "dtype", Value: DTypeAttr(Bool)}}, 1, "bool[n]"},
		{"multinomial", "Multinomial", []any{f32(n, s(4))}, []Attr{{Name: "sample_size", Value: IntAttr(3)}}, 1, "i32[n,3]"},
		{"dft", "DFT", []any{f32(s(1), s(10), s(1))}, nil, 1, "f32[1,10,2]"},
		{"dft onesided length", "DFT", []any{f32(s(1), s(10), s(1)), scalar(16)}, []Attr{{Name: "onesided", Value: IntAttr(1)}}, 1, "f32[1,9,2]"},
		{"dft axis on complex dim", "DFT", []any{f32(s(1), s(10), s(2))}, []Attr{{Name: "axis", Value: IntAttr(-1)}}, 1, "!real/imaginary"},
		{"stft", "STFT", []any{f32(s(1), s(128), s(1)), scalar(8), nil, scalar(16)}, nil, 1, "f32[1,15,9,2]"},
		{"stft window length", "STFT", []any{f32(s(1), s(128), s(2)), scalar(8), f32(s(16))},
			[]Attr{{Name: "onesided", Value: IntAttr(0)}}, 1, "f32[1,15,16,2]"},
		{"hann", "HannWindow", []any{scalar(10)}, nil, 1, "f32[10]"},
		{"blackman dtype", "BlackmanWindow", []any{TensorType(I64, ShapeOf())}, []Attr{{Name: "output_datatype", Value: DTypeAttr(F64)}}, 1, "f64[?]"},
		{"mel", "MelWeightMatrix", []any{scalar(8), scalar(16), scalar(8192), f32(), f32()}, nil, 1, "f32[9,8]"},
		{"strnorm 2-D", "StringNormalizer", []any{TensorType(String, ShapeOf(1, 6))}, nil, 1, "string[1,?]"},
		{"strnorm bad action", "StringNormalizer", []any{TensorType(String, ShapeOf(6))},
			[]Attr{{Name: "case_change_action", Value: StringAttr("TITLE")}}, 1, "!case_change_action"},
		{"tfidf", "TfIdfVectorizer", []any{TensorType(I32, Shape{Ranked: true, Dims: []Dim{n, s(6)}})},
			[]Attr{{Name: "ngram_indexes", Value: IntsAttr([]int64{0, 4, 2})}}, 1, "f32[n,5]"},
		{"nms", "NonMaxSuppression", []any{f32(s(1), s(6), s(4)), f32(s(1), s(2), s(6))}, nil, 1, "i64[?,3]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewModule()
			f := m.NewFunc("main")
			var args []*Value
			for _, a := range tc.args {
				switch a := a.(type) {
				case nil:
					args = append(args, nil)
				case Type:
					args = append(args, f.AddInput("x", a))
				case []int64:
					args = append(args, constI64(m, "c", []int64{int64(len(a))}, a...))
				case reduceFamilyScalar:
					args = append(args, constI64(m, "c", nil, a.v))
				}
			}
			op, err := f.Body.Build(tc.op, args, tc.attrs, tc.nres)
			if want, ok := strings.CutPrefix(tc.want, "!"); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want one containing %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range op.Results {
				got = append(got, r.Type.String())
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("got %s, want %s", g, tc.want)
			}
		})
	}
}

// reduceFamilyScalar marks an int64 scalar constant operand in a test table.
type reduceFamilyScalar struct{ v int64 }
