package interp

import (
	"math"
	"slices"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// runOneOpModule builds a module holding one op over the given inputs (nil
// for an absent optional operand), verifies it, and runs it.
func runOneOpModule(t *testing.T, name string, attrs []ir.Attr, nres int, inputs ...*Tensor) []Value {
	t.Helper()
	out, err := runOneOpModuleErr(name, attrs, nres, inputs...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

func runOneOpModuleErr(name string, attrs []ir.Attr, nres int, inputs ...*Tensor) ([]Value, error) {
	m := ir.NewModule()
	f := m.NewFunc("main")
	var args []*ir.Value
	var vals []Value
	for i, in := range inputs {
		if in == nil {
			args = append(args, nil)
			continue
		}
		args = append(args, f.AddInput(string(rune('a'+i)), in.Type()))
		vals = append(vals, in)
	}
	op, err := f.Body.Build(name, args, attrs, nres)
	if err != nil {
		return nil, err
	}
	for i, r := range op.Results {
		f.AddOutput(string(rune('x'+i)), r)
	}
	if err := ir.Verify(m); err != nil {
		return nil, err
	}
	return New(m, Options{Seed: 1}).Run("", vals)
}

func f32sNear(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.IsNaN(float64(a[i])) != math.IsNaN(float64(b[i])) {
			return false
		}
		if !math.IsNaN(float64(a[i])) && math.Abs(float64(a[i]-b[i])) > 1e-5*(1+math.Abs(float64(b[i]))) {
			return false
		}
	}
	return true
}

func TestReduceEmptySet(t *testing.T) {
	x := FromSlice([]int{2, 0, 3}, []float32{})
	axes := FromSlice([]int{1}, []int64{1})
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for _, tc := range []struct {
		op   string
		want float32
	}{
		{"ReduceSum", 0}, {"ReduceMean", nan}, {"ReduceMax", -inf}, {"ReduceMin", inf},
		{"ReduceProd", 1}, {"ReduceL1", 0}, {"ReduceL2", 0}, {"ReduceLogSum", -inf},
		{"ReduceLogSumExp", -inf}, {"ReduceSumSquare", 0},
	} {
		out := runOneOpModule(t, tc.op, nil, 1, x, axes)[0].(*Tensor)
		if !slices.Equal(out.Shape, []int{2, 1, 3}) {
			t.Errorf("%s: shape %v, want [2 1 3]", tc.op, out.Shape)
			continue
		}
		for _, v := range Data[float32](out) {
			if !f32sNear([]float32{v}, []float32{tc.want}) {
				t.Errorf("%s of the empty set = %v, want %v", tc.op, v, tc.want)
				break
			}
		}
	}
}

func TestReduceAxesForms(t *testing.T) {
	x := FromSlice([]int{2, 3}, []int64{1, 2, 3, 4, 5, 6})
	noop := []ir.Attr{{Name: "noop_with_empty_axes", Value: ir.IntAttr(1)}}
	nokeep := []ir.Attr{{Name: "keepdims", Value: ir.IntAttr(0)}}
	for _, tc := range []struct {
		name  string
		op    string
		attrs []ir.Attr
		axes  *Tensor
		shape []int
		want  []int64
	}{
		{"absent axes reduce all", "ReduceSum", nil, nil, []int{1, 1}, []int64{21}},
		{"empty axes reduce all", "ReduceSum", nil, FromSlice([]int{0}, []int64{}), []int{1, 1}, []int64{21}},
		{"empty axes noop", "ReduceSum", noop, FromSlice([]int{0}, []int64{}), []int{2, 3}, []int64{1, 2, 3, 4, 5, 6}},
		{"negative axis", "ReduceMax", nokeep, FromSlice([]int{1}, []int64{-1}), []int{2}, []int64{3, 6}},
		{"int mean truncates", "ReduceMean", nokeep, FromSlice([]int{1}, []int64{0}), []int{3}, []int64{2, 3, 4}},
		{"int prod", "ReduceProd", nokeep, FromSlice([]int{1}, []int64{1}), []int{2}, []int64{6, 120}},
	} {
		out := runOneOpModule(t, tc.op, tc.attrs, 1, x, tc.axes)[0].(*Tensor)
		if !slices.Equal(out.Shape, tc.shape) || !slices.Equal(Data[int64](out), tc.want) {
			t.Errorf("%s: got %v, want %v %v", tc.name, out, tc.shape, tc.want)
		}
	}
	if _, err := runOneOpModuleErr("ReduceSum", nil, 1, x, FromSlice([]int{2}, []int64{0, -2})); err == nil {
		t.Errorf("duplicate axes: no error")
	}
}

func TestArgMaxTies(t *testing.T) {
	x := FromSlice([]int{2, 3}, []float32{1, 5, 5, 2, 2, 0})
	for _, tc := range []struct {
		op   string
		last int64
		want []int64
	}{
		{"ArgMax", 0, []int64{1, 0}},
		{"ArgMax", 1, []int64{2, 1}},
		{"ArgMin", 0, []int64{0, 2}},
	} {
		attrs := []ir.Attr{{Name: "axis", Value: ir.IntAttr(1)}, {Name: "select_last_index", Value: ir.IntAttr(tc.last)}}
		out := runOneOpModule(t, tc.op, attrs, 1, x)[0].(*Tensor)
		if !slices.Equal(out.Shape, []int{2, 1}) || !slices.Equal(Data[int64](out), tc.want) {
			t.Errorf("%s select_last_index=%d: got %v, want %v", tc.op, tc.last, out, tc.want)
		}
	}
}

func TestArgReduceNaN(t *testing.T) {
	nan := float32(math.NaN())
	x := FromSlice([]int{4}, []float32{1, nan, 3, nan})
	for _, tc := range []struct {
		op   string
		last int64
		want int64
	}{{"ArgMax", 0, 1}, {"ArgMin", 0, 1}, {"ArgMax", 1, 3}} {
		attrs := []ir.Attr{{Name: "select_last_index", Value: ir.IntAttr(tc.last)}}
		got := Data[int64](runOneOpModule(t, tc.op, attrs, 1, x)[0].(*Tensor))
		if got[0] != tc.want {
			t.Errorf("%s select_last_index=%d: got %d, want %d", tc.op, tc.last, got[0], tc.want)
		}
	}
}

func TestSoftmaxFamilyAxis(t *testing.T) {
	x := FromSlice([]int{2, 2}, []float32{0, 0, 1, 3})
	attrs := []ir.Attr{{Name: "axis", Value: ir.IntAttr(0)}}
	e := float32(1 / (1 + math.E))
	got := Data[float32](runOneOpModule(t, "Softmax", attrs, 1, x)[0].(*Tensor))
	want := []float32{e, float32(1 / (1 + math.Exp(3))), 1 - e, float32(1 / (1 + math.Exp(-3)))}
	if !f32sNear(got, want) {
		t.Errorf("Softmax axis 0: got %v, want %v", got, want)
	}
	got = Data[float32](runOneOpModule(t, "Hardmax", nil, 1, x)[0].(*Tensor))
	if !f32sNear(got, []float32{1, 0, 0, 1}) {
		t.Errorf("Hardmax: got %v, want first maximum of each row", got)
	}
}
