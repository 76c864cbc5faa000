package interp

import (
	"math"
	"slices"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

func TestDFTRoundTrip(t *testing.T) {
	sig := []float32{1, -2, 3.5, 0.25, 7, -1, 2}
	x := FromSlice([]int{1, 7, 1}, sig)
	spec := runOneOpModule(t, "DFT", nil, 1, x)[0].(*Tensor)
	if !slices.Equal(spec.Shape, []int{1, 7, 2}) {
		t.Fatalf("DFT shape %v, want [1 7 2]", spec.Shape)
	}
	// Bin 0 is the sum of the signal.
	if s := Data[float32](spec)[0]; math.Abs(float64(s)-10.75) > 1e-5 {
		t.Errorf("DC bin = %v, want 10.75", s)
	}
	inv := runOneOpModule(t, "DFT", []ir.Attr{{Name: "inverse", Value: ir.IntAttr(1)}}, 1, spec)[0].(*Tensor)
	got := Data[float32](inv)
	for i, v := range sig {
		if math.Abs(float64(got[2*i]-v)) > 1e-5 || math.Abs(float64(got[2*i+1])) > 1e-5 {
			t.Fatalf("inverse(DFT(x))[%d] = %v%+vi, want %v", i, got[2*i], got[2*i+1], v)
		}
	}
	one := runOneOpModule(t, "DFT", []ir.Attr{{Name: "onesided", Value: ir.IntAttr(1)}}, 1, x)[0].(*Tensor)
	if !slices.Equal(one.Shape, []int{1, 4, 2}) {
		t.Errorf("onesided shape %v, want [1 4 2]", one.Shape)
	}
}

func TestWindowsSymmetric(t *testing.T) {
	size := Scalar(int64(5))
	sym := []ir.Attr{{Name: "periodic", Value: ir.IntAttr(0)}}
	for _, tc := range []struct {
		op   string
		ends float32 // value at both ends of a symmetric window
	}{
		{"HannWindow", 0}, {"HammingWindow", 4.0 / 46}, {"BlackmanWindow", 0},
	} {
		w := Data[float32](runOneOpModule(t, tc.op, sym, 1, size)[0].(*Tensor))
		if len(w) != 5 || math.Abs(float64(w[0]-tc.ends)) > 1e-6 || math.Abs(float64(w[4]-tc.ends)) > 1e-6 || math.Abs(float64(w[2]-1)) > 1e-6 {
			t.Errorf("%s symmetric: %v, want ends %v and peak 1", tc.op, w, tc.ends)
		}
	}
}
