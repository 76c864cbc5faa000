package kernels

import "testing"

// TestGridSample samples a 2x2 image at its corners, its centre and a
// point outside, in each mode, against values worked out by hand.
func TestGridSample(t *testing.T) {
	x := []float64{1, 2, 3, 4} // rows (1 2) (3 4)
	// align_corners: -1 and 1 are the edge pixels' centres.
	grid := []float64{-1, -1, 1, 1, 0, 0, 3, 0}
	cases := []struct {
		mode, padding string
		want          []float64
	}{
		{"bilinear", "zeros", []float64{1, 4, 2.5, 0}},
		{"bilinear", "border", []float64{1, 4, 2.5, 3}},
		{"nearest", "border", []float64{1, 4, 1, 2}}, // 0.5 rounds to even: 0
	}
	for _, c := range cases {
		y := make([]float64, 4)
		gridSample(x, grid, y, 1, 1, 2, 2, 1, 4, c.mode, c.padding, true)
		if !closeF64(y, c.want) {
			t.Errorf("%s %s: %v, want %v", c.mode, c.padding, y, c.want)
		}
	}
	// Bicubic at a pixel centre reads that pixel: weights (0, 1, 0, 0).
	y := make([]float64, 1)
	gridSample(x, []float64{1, -1}, y, 1, 1, 2, 2, 1, 1, "bicubic", "border", true)
	if y[0] != 2 {
		t.Errorf("bicubic at pixel (0, 1): %v, want 2", y[0])
	}
}
