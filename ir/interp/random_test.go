package interp

import (
	"slices"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

func TestRandomSeedRepeats(t *testing.T) {
	attrs := []ir.Attr{
		{Name: "shape", Value: ir.IntsAttr([]int64{4, 5})},
		{Name: "seed", Value: ir.FloatAttr(3)},
		{Name: "low", Value: ir.FloatAttr(-2)},
		{Name: "high", Value: ir.FloatAttr(-1)},
	}
	a := Data[float32](runOneOpModule(t, "RandomUniform", attrs, 1)[0].(*Tensor))
	b := Data[float32](runOneOpModule(t, "RandomUniform", attrs, 1)[0].(*Tensor))
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different draws at %d: %v vs %v", i, a[i], b[i])
		}
		if a[i] < -2 || a[i] >= -1 {
			t.Fatalf("draw %v outside [low, high)", a[i])
		}
	}
}

func TestBernoulliCertainOutcomes(t *testing.T) {
	p := FromSlice([]int{6}, []float64{0, 1, 0, 1, 1, 0})
	attrs := []ir.Attr{{Name: "dtype", Value: ir.DTypeAttr(ir.Bool)}}
	got := Data[bool](runOneOpModule(t, "Bernoulli", attrs, 1, p)[0].(*Tensor))
	for i, g := range got {
		if g != (Data[float64](p)[i] == 1) {
			t.Fatalf("draw %d = %v for probability %v", i, g, Data[float64](p)[i])
		}
	}
	if _, err := runOneOpModuleErr("Bernoulli", nil, 1, FromSlice([]int{1}, []float32{1.5})); err == nil {
		t.Errorf("probability 1.5: no error")
	}
}

func TestMultinomialPicksLikelyClass(t *testing.T) {
	// Row 0 puts (almost) all mass on class 2, row 1 on class 0.
	x := FromSlice([]int{2, 3}, []float32{-100, -100, 0, 0, -100, -100})
	attrs := []ir.Attr{{Name: "sample_size", Value: ir.IntAttr(5)}, {Name: "dtype", Value: ir.DTypeAttr(ir.I64)}}
	out := runOneOpModule(t, "Multinomial", attrs, 1, x)[0].(*Tensor)
	if !slices.Equal(out.Shape, []int{2, 5}) {
		t.Fatalf("shape %v, want [2 5]", out.Shape)
	}
	for i, v := range Data[int64](out) {
		if want := int64(2 * (1 - i/5)); v != want {
			t.Fatalf("sample %d = %d, want %d", i, v, want)
		}
	}
}
