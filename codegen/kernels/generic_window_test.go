package kernels

import (
	"math"
	"testing"
)

// TestConvND checks a 1-D and a 3-D convolution against sums written out
// by hand.
func TestConvND(t *testing.T) {
	// 1-D: x = 1..5, w = (1, 0, -1), stride 2, pad 1, bias 10:
	// out[o] = 10 + x[2o-1] - x[2o+1] (x outside is 0).
	x := []float32{1, 2, 3, 4, 5}
	y := make([]float32, 3)
	convND(x, []float32{1, 0, -1}, []float32{10}, y, []int{1, 1, 5}, []int{1, 1, 3}, []int{1, 1, 3}, []int{2}, []int{1}, []int{1}, 1)
	if want := []float32{10 - 2, 10 + 2 - 4, 10 + 4 - 0}; !equalF32(y, want) {
		t.Errorf("1-D: y = %v, want %v", y, want)
	}
	// 3-D, two groups of one channel, 2x2x2 input, 1x1x1 kernels of 2
	// and 3: each output channel is its input channel scaled.
	x3 := make([]float32, 16)
	for i := range x3 {
		x3[i] = float32(i)
	}
	y3 := make([]float32, 16)
	convND(x3, []float32{2, 3}, nil, y3, []int{1, 2, 2, 2, 2}, []int{2, 1, 1, 1, 1}, []int{1, 2, 2, 2, 2}, []int{1, 1, 1}, []int{1, 1, 1}, []int{0, 0, 0}, 2)
	for i, v := range y3 {
		want := float32(i) * 2
		if i >= 8 {
			want = float32(i) * 3
		}
		if v != want {
			t.Fatalf("3-D grouped: y[%d] = %g, want %g", i, v, want)
		}
	}
}

// TestPoolND checks 1-D max and average pooling, with and without padding
// counted, against values worked out by hand.
func TestPoolND(t *testing.T) {
	x := []float32{1, -2, 3, 4}
	// Window 2, stride 2, pad 1 both ends: windows (pad,1) (-2,3) (4,pad).
	cases := []struct {
		name     string
		isMax    bool
		countPad bool
		want     []float32
	}{
		{"max", true, false, []float32{1, 3, 4}},
		{"avg", false, false, []float32{1, 0.5, 4}},
		{"avg count pad", false, true, []float32{0.5, 0.5, 2}},
	}
	for _, c := range cases {
		y := make([]float32, 3)
		poolND(x, y, []int{1, 1, 4}, []int{1, 1, 3}, []int{2}, []int{2}, []int{1}, []int{1}, []int{1}, c.isMax, c.countPad)
		if !equalF32(y, c.want) {
			t.Errorf("%s: y = %v, want %v", c.name, y, c.want)
		}
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			return false
		}
	}
	return true
}
