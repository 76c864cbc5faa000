package kernels

import (
	"math"
	"testing"
)

// TestRoiAlign checks one 1x1 bin over a 2x2 image with a 2x2 sample grid
// (samples at the quarter points of the region [0,2)x[0,2) in
// half-pixel coordinates), the max mode, and a batch index out of range.
func TestRoiAlign(t *testing.T) {
	x := []float64{1, 2, 3, 4} // (1, 1, 2, 2)
	rois := []float64{0, 0, 2, 2}
	y := make([]float64, 1)
	// half_pixel: the region runs from -0.5 to 1.5, samples at 0 and 1 per
	// dim, exactly on the pixels: the average of all four is 2.5.
	if err := roiAlign(x, rois, []int64{0}, y, 1, 1, 2, 2, 1, 1, 1, 2, 1, false, true); err != nil {
		t.Fatal(err)
	}
	if math.Abs(y[0]-2.5) > 1e-12 {
		t.Errorf("average: %v, want 2.5", y[0])
	}
	// Max mode takes the largest weighted tap: each sample is one pixel
	// with weight 1, so 4.
	if err := roiAlign(x, rois, []int32{0}, y, 1, 1, 2, 2, 1, 1, 1, 2, 1, true, true); err != nil {
		t.Fatal(err)
	}
	if y[0] != 4 {
		t.Errorf("max: %v, want 4", y[0])
	}
	if err := roiAlign(x, rois, []int64{1}, y, 1, 1, 2, 2, 1, 1, 1, 2, 1, false, true); err == nil {
		t.Error("batch index 1 of 1: no error")
	}
}
