package kernels

import (
	"slices"
	"testing"
)

// TestConvTransposeND checks a 1-D transposed convolution of stride 2
// with a bias, worked out by hand: each input scatters x*w at 2*i + k.
func TestConvTransposeND(t *testing.T) {
	x := []float32{1, 2}    // (1, 1, 2)
	w := []float32{1, 10}   // (1, 1, 2)
	y := make([]float32, 4) // out = (2-1)*2 + 2 = 4
	convTransposeND(x, w, []float32{0.5}, y, []int{1, 1, 2}, []int{1, 1, 2}, []int{1, 1, 4}, []int{2}, []int{1}, []int{0}, 1)
	if want := []float32{1.5, 10.5, 2.5, 20.5}; !slices.Equal(y, want) {
		t.Errorf("convTransposeND: %v, want %v", y, want)
	}
	// Stride 1 overlaps the taps: 1, 1*10+2*1, 2*10.
	y3 := make([]float64, 3)
	convTransposeND([]float64{1, 2}, []float64{1, 10}, nil, y3, []int{1, 1, 2}, []int{1, 1, 2}, []int{1, 1, 3}, []int{1}, []int{1}, []int{0}, 1)
	if want := []float64{1, 12, 20}; !slices.Equal(y3, want) {
		t.Errorf("overlapping taps: %v, want %v", y3, want)
	}
}

// TestMaxPoolIdx checks the maxima and their flat indices of a 2x2
// window over a 2x3 uint8 plane, row-major and column-major.
func TestMaxPoolIdx(t *testing.T) {
	x := []uint8{1, 9, 3, 4, 5, 9} // (1, 1, 2, 3)
	y, idx := make([]uint8, 2), make([]int64, 2)
	args := func(col bool) {
		maxPoolIdx(x, y, idx, []int{1, 1, 2, 3}, []int{1, 1, 1, 2}, []int{2, 2}, []int{1, 1}, []int{1, 1}, []int{0, 0}, col)
	}
	args(false)
	// Windows over columns 0-1 (max 9 at (0,1)) and 1-2 (9 at (0,1) first).
	if !slices.Equal(y, []uint8{9, 9}) || !slices.Equal(idx, []int64{1, 1}) {
		t.Errorf("row-major: %v %v", y, idx)
	}
	args(true)
	// (0,1) column-major in a 2x3 plane: 0 + 2*1 = 2.
	if !slices.Equal(idx, []int64{2, 2}) {
		t.Errorf("column-major: %v", idx)
	}
}

// TestMaxUnpool checks that values return to the positions their indices
// give, the rest zero, into a larger output, and an index out of range.
func TestMaxUnpool(t *testing.T) {
	y := make([]float32, 6) // output (1, 1, 2, 3) from a pooled (1, 1, 2, 2)
	if err := maxUnpool([]float32{7, 8}, []int64{1, 2}, y, 1, []int{2, 2}, []int{2, 3}, 2); err != nil {
		t.Fatal(err)
	}
	// Pooled flat 1 is (0, 1), flat 2 is (1, 0): output offsets 1 and 3.
	if want := []float32{0, 7, 0, 8, 0, 0}; !slices.Equal(y, want) {
		t.Errorf("maxUnpool: %v, want %v", y, want)
	}
	if err := maxUnpool([]float32{7}, []int64{4}, y, 1, []int{2, 2}, []int{2, 3}, 1); err == nil {
		t.Error("index 4 of a 2x2 plane: no error")
	}
}
