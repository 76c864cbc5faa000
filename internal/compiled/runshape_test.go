package compiled

import (
	"context"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// runShapeModule reads values whose shapes are known only at run time: a
// Range of a computed limit, scaled, broadcast against a constant row and
// passed through Cos into an output of static shape [2,4]; a Slice of
// computed starts added to a static value; the views, Shape and Size of
// such values; and heap outputs.
const runShapeModule = `const @zero : f32[] = 0.0
const @one : f32[] = 1.0
const @row : f32[2,1] = [1.0, -2.0]
const @data : f32[6] = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
const @ax0 : i64[1] = [0]
const @col : i64[2] = [-1, 1]

func @main(%n: f32[], %at: i64[1], %to: i64[1], %b: f32[2]) -> ("w": f32[2,4], "s": f32[2], "r": f32[?], "sh": i64[2], "sz": i64[], "fl": f32[1,?], "sq": f32[4]) {
  %lim = Add(%n, @one) : f32[]
  %r = Range(@zero, %lim, @one) : f32[?]
  %sc = Mul(%r, %n) : f32[?]
  %bc = Mul(@row, %sc) : f32[2,?]
  %c = Cos(%bc) : f32[2,?]
  %w = Identity(%c) : f32[2,4]
  %sl = Slice(@data, %at, %to) : f32[?]
  %s = Add(%b, %sl) : f32[2]
  %u = Unsqueeze(%r, @ax0) : f32[1,?]
  %fl = Flatten(%u) {axis = 0} : f32[1,?]
  %rs = Reshape(%sc, @col) : f32[?,1]
  %sh = Shape(%rs) : i64[2]
  %sq = Squeeze(%u, @ax0) : f32[4]
  %sz = Size(%sq) : i64[]
  return %w, %s, %r, %sh, %sz, %fl, %sq
}
`

// TestRunShapes compiles runShapeModule and checks it against the
// interpreter; shapes that do not give the compiled ones are errors of
// the run.
func TestRunShapes(t *testing.T) {
	needGo(t)
	m := parse(t, runShapeModule)
	p, err := Build(context.Background(), Unit{Module: m}, Options{CacheDir: t.TempDir(), KilnVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	in := []*tensor.Tensor{
		tensor.FromSlice([]int{}, []float32{3}),
		tensor.FromSlice([]int{1}, []int64{-3}),
		tensor.FromSlice([]int{1}, []int64{-1}),
		tensor.FromSlice([]int{2}, []float32{0.5, 0.25}),
	}
	got, err := p.Run(context.Background(), "model", in)
	if err != nil {
		t.Fatal(err)
	}
	want, err := interp.New(m, interp.Options{}).Run("main", []interp.Value{in[0], in[1], in[2], in[3]})
	if len(want) != 7 {
		t.Fatalf("the interpreter gives %d outputs, want 7", len(want))
	}
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if w := want[i].(*tensor.Tensor); !tensor.Identical(got[i], w) {
			t.Errorf("output %d: %v %v, the interpreter gives %v %v", i, got[i].Shape, got[i].Data, w.Shape, w.Data)
		}
	}
	// By hand: the slice [-3:-1] of data is 40, 50.
	if s := tensor.Data[float32](got[1]); s[0] != 40.5 || s[1] != 50.25 {
		t.Errorf("s = %v, want [40.5 50.25]", s)
	}
	// Range(0, 4, 1) has 4 elements: Reshape to [-1, 1] gives [4, 1].
	if sh, sz := tensor.Data[int64](got[3]), tensor.Data[int64](got[4]); sh[0] != 4 || sh[1] != 1 || sz[0] != 4 {
		t.Errorf("Shape %v and Size %v, want [4 1] and 4", sh, sz)
	}
	// n = 4 gives a Range of 5, not the 4 columns w was compiled for.
	in[0] = tensor.FromSlice([]int{}, []float32{4})
	if _, err := p.Run(context.Background(), "model", in); err == nil || !strings.Contains(err.Error(), "compiled for [2 4]") {
		t.Errorf("n = 4: error %v, want one naming the compiled shape", err)
	}
	// An empty slice does not broadcast against b's two elements.
	in[0], in[2] = tensor.FromSlice([]int{}, []float32{3}), tensor.FromSlice([]int{1}, []int64{0})
	if _, err := p.Run(context.Background(), "model", in); err == nil || !strings.Contains(err.Error(), "do not broadcast") {
		t.Errorf("an empty slice: error %v, want one saying the shapes do not broadcast", err)
	}
}
