package kernels

import (
	"math"
	"testing"
)

// TestNormalize checks instance normalization (per sample and channel,
// with scale and bias) and normalization over dims 0 and 2, on values
// whose mean and variance are worked out by hand.
func TestNormalize(t *testing.T) {
	// Shape (1, 2, 2): channel 0 holds 1, 3 (mean 2, var 1), channel 1
	// holds 10, 10 (var 0).
	x := []float64{1, 3, 10, 10}
	y := make([]float64, 4)
	normalize(x, y, []int{1, 2, 2}, []bool{false, false, true}, 0, 0, []float64{2, 1}, []float64{0.5, 7})
	if want := []float64{-1.5, 2.5, math.NaN(), math.NaN()}; !(y[0] == want[0] && y[1] == want[1] && math.IsNaN(y[2])) {
		t.Errorf("instance norm without epsilon: %v, want %v", y, want)
	}
	normalize(x, y, []int{1, 2, 2}, []bool{false, false, true}, 1, 0, []float64{2, 1}, []float64{0.5, 7})
	s := 1 / math.Sqrt(2)
	if want := []float64{0.5 - 2*s, 0.5 + 2*s, 7, 7}; !closeF64(y, want) {
		t.Errorf("instance norm, epsilon 1: %v, want %v", y, want)
	}
	// Over dims 0 and 2 of (2, 1, 2): all four in one group, mean 6,
	// deviations -5 -3 4 4, variance 66/4.
	normalize(x, y, []int{2, 1, 2}, []bool{true, false, true}, 0, 1e-9, nil, nil)
	sd := math.Sqrt(66.0/4) + 1e-9
	if want := []float64{-5 / sd, -3 / sd, 4 / sd, 4 / sd}; !closeF64(y, want) {
		t.Errorf("over dims 0 and 2: %v, want %v", y, want)
	}
}

func closeF64(a, b []float64) bool {
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12 {
			return false
		}
	}
	return len(a) == len(b)
}
