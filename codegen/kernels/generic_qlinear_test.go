package kernels

import (
	"slices"
	"testing"
)

// TestMatMulInt checks the exact integer product against sums worked out
// by hand: zero points per tensor, per row and per column, and a batch
// broadcast from one matrix of B.
func TestMatMulInt(t *testing.T) {
	a := []uint8{11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0} // 4x3
	b := []uint8{1, 4, 2, 5, 3, 6}                     // 3x2
	// Row 0: (11-12)*1 + (7-12)*2 + (3-12)*3 = -38; (-1)*4 + (-5)*5 + (-9)*6 = -83.
	got := matMulInt(a, b, []uint8{12}, nil, []int{4, 3}, []int{3, 2}, nil)
	if want := []int64{-38, -83, -44, -98, -50, -113, -56, -128}; !slices.Equal(got, want) {
		t.Errorf("scalar zero point: %v, want %v", got, want)
	}
	// Per-row zero point of A (rows 1 and 2) and per-column of B (0, 1).
	x := []int8{1, 2, 3, 4} // 2x2
	w := []int8{1, 0, 0, 1} // identity
	got = matMulInt(x, w, []int8{1, 2}, []int8{0, 1}, []int{2, 2}, []int{2, 2}, nil)
	// Row 0 of A-az: (0, 1); B-bz: [[1,-1],[0,0]] -> (0, 0). Row 1: (1, 2) -> (1, -1).
	if want := []int64{0, 0, 1, -1}; !slices.Equal(got, want) {
		t.Errorf("per-row and per-column zero points: %v, want %v", got, want)
	}
	// A batch of two 1x2 matrices times one 2x1 matrix broadcast.
	got = matMulInt([]int8{1, 2, 3, 4}, []int8{5, 6}, nil, nil, []int{2, 1, 2}, []int{2, 1}, []int{2})
	if want := []int64{17, 39}; !slices.Equal(got, want) {
		t.Errorf("broadcast batch: %v, want %v", got, want)
	}
}

// TestBatchOffsets checks numpy broadcasting of a (2, 1) batch against a
// (2, 3) one, and a missing leading dim.
func TestBatchOffsets(t *testing.T) {
	if got, want := batchOffsets([]int{2, 1}, []int{2, 3}), []int{0, 0, 0, 1, 1, 1}; !slices.Equal(got, want) {
		t.Errorf("(2,1) in (2,3): %v, want %v", got, want)
	}
	if got, want := batchOffsets([]int{3}, []int{2, 3}), []int{0, 1, 2, 0, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("(3) in (2,3): %v, want %v", got, want)
	}
}

// TestConvInt checks a 1-D integer convolution with a zero point, a
// padded edge (which reads the zero point) and a bias, and its int32
// saturation and requantization.
func TestConvInt(t *testing.T) {
	x := []uint8{3, 4, 5} // (1, 1, 3), zero point 2 -> 1, 2, 3
	w := []uint8{1, 2, 3} // (1, 1, 3), zero point 1 -> 0, 1, 2
	pad := []int{1}       // one on each side: outputs 3
	got := convInt(x, w, []uint8{2}, []uint8{1}, []int32{10}, []int{1, 1, 3}, []int{1, 1, 3}, []int{1, 1, 3}, []int{1}, []int{1}, pad, 1)
	// y0 = 0*pad + 1*1 + 2*2 = 5; y1 = 0*1 + 1*2 + 2*3 = 8; y2 = 0*2 + 1*3 + 2*pad = 3; plus 10.
	if want := []int64{15, 18, 13}; !slices.Equal(got, want) {
		t.Errorf("convInt: %v, want %v", got, want)
	}
	y := make([]int32, 2)
	saturateInt32([]int64{1 << 40, -1 << 40}, y)
	if want := []int32{2147483647, -2147483648}; !slices.Equal(y, want) {
		t.Errorf("saturateInt32: %v, want %v", y, want)
	}
	// Scales 0.5 * 0.5 / 0.25 = 1 for channel 0, 0.5 * 1 / 0.25 = 2 for
	// channel 1 (two elements each); zero point 100: 3+100, -300+100
	// saturating at 0, 2*1+100, and 2*100+100 saturating at 255.
	q := make([]uint8, 4)
	requantize([]int64{3, -300, 1, 100}, q, 2, []float32{0.5}, []float32{0.5, 1}, []float32{0.25}, []uint8{100})
	if want := []uint8{103, 0, 102, 255}; !slices.Equal(q, want) {
		t.Errorf("requantize uint8: %v, want %v", q, want)
	}
	s := make([]int8, 2)
	requantize([]int64{-200, 5}, s, 1, []float64{1}, []float64{0.5}, []float64{1}, nil)
	// -100 fits; 2.5 rounds to 2.
	if want := []int8{-100, 2}; !slices.Equal(s, want) {
		t.Errorf("requantize int8: %v, want %v", s, want)
	}
}
