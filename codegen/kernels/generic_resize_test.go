package kernels

import (
	"math"
	"testing"
)

// TestResizeND checks linear, cubic, nearest and cropped resizes of a row
// against values interpolated by hand.
func TestResizeND(t *testing.T) {
	x := []float64{1, 3}
	// Linear, half_pixel, 2 → 4: source coordinates -0.25, 0.25, 0.75,
	// 1.25, clamped at the edges: 1, 1.5, 2.5, 3.
	y := make([]float64, 4)
	if err := resizeND(x, y, []int{1, 2}, []int{1, 4}, []float64{1, 2}, true, nil, "linear", "half_pixel", "", -0.75, false, false, 0); err != nil {
		t.Fatal(err)
	}
	if want := []float64{1, 1.5, 2.5, 3}; !closeF64(y, want) {
		t.Errorf("linear: %v, want %v", y, want)
	}
	// Cubic, align_corners, 2 → 3: the middle point is at 0.5, taps at
	// -1 (edge: 1), 0, 1, 2 (edge: 3) with Keys weights for t = 0.5.
	a := -0.75
	w := []float64{cubicWeight(a, 1.5), cubicWeight(a, 0.5), cubicWeight(a, 0.5), cubicWeight(a, 1.5)}
	mid := w[0]*1 + w[1]*1 + w[2]*3 + w[3]*3
	y = make([]float64, 3)
	if err := resizeND(x, y, []int{1, 2}, []int{1, 3}, []float64{1, 1.5}, true, nil, "cubic", "align_corners", "", a, false, false, 0); err != nil {
		t.Fatal(err)
	}
	if want := []float64{1, mid, 3}; !closeF64(y, want) {
		t.Errorf("cubic: %v, want %v", y, want)
	}
	if math.Abs(w[0]+w[1]+w[2]+w[3]-1) > 1e-12 {
		t.Errorf("Keys weights sum to %v", w[0]+w[1]+w[2]+w[3])
	}
	// Nearest, asymmetric, floor, 2 → 4: 0, 0.5, 1, 1.5 → 1, 1, 3, 3.
	y = make([]float64, 4)
	if err := resizeND(x, y, []int{1, 2}, []int{1, 4}, []float64{1, 2}, true, nil, "nearest", "asymmetric", "floor", a, false, false, 0); err != nil {
		t.Fatal(err)
	}
	if want := []float64{1, 1, 3, 3}; !closeF64(y, want) {
		t.Errorf("nearest: %v, want %v", y, want)
	}
	// tf_crop_and_resize over roi [0.5, 1.5] of the last dim, 2 → 2:
	// source 0.5 (2) and 1.5 (outside: extrapolated).
	y = make([]float64, 2)
	roi := []float64{0, 0.5, 1, 1.5}
	if err := resizeND(x, y, []int{1, 2}, []int{1, 2}, []float64{1, 1}, true, roi, "linear", "tf_crop_and_resize", "", a, false, false, 7); err != nil {
		t.Fatal(err)
	}
	if want := []float64{2, 7}; !closeF64(y, want) {
		t.Errorf("crop: %v, want %v", y, want)
	}
	if err := resizeND(x, make([]float64, 3), []int{1, 2}, []int{1, 3}, []float64{1, 2}, true, nil, "linear", "half_pixel", "", a, false, false, 0); err == nil {
		t.Error("scale 2 for a compiled length 3: no error")
	}
}
