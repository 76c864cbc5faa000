package kernels

import (
	"math"
	"slices"
	"testing"
)

// TestDet checks determinants worked out by hand: a 2x2, a 3x3 that needs
// a row swap, a singular one, and the empty matrix.
func TestDet(t *testing.T) {
	x := []float64{
		3, 8, 4, 6, // 3*6 - 8*4 = -14
		0, 1, 0, 1, 0, 0, 0, 0, 2, // a swap of two rows of diag(1, 1, 2): -2
	}
	y := make([]float64, 1)
	det(x[:4], y, 2)
	if y[0] != -14 {
		t.Errorf("2x2: %v, want -14", y[0])
	}
	det(x[4:], y, 3)
	if y[0] != -2 {
		t.Errorf("3x3 with a swap: %v, want -2", y[0])
	}
	f := []float32{1, 2, 2, 4}
	z := make([]float32, 1)
	det(f, z, 2)
	if z[0] != 0 {
		t.Errorf("singular: %v, want 0", z[0])
	}
	det(nil, z, 0)
	if z[0] != 1 {
		t.Errorf("0x0: %v, want 1", z[0])
	}
}

// TestEinsum checks "ij,jk->ik" (a matrix product) and "ii->" (a trace)
// against sums worked out by hand.
func TestEinsum(t *testing.T) {
	a := []int64{1, 2, 3, 4} // 2x2
	b := []int64{5, 6, 7, 8} // 2x2
	// Labels i, j, k of size 2: a's strides (2, 1, 0), b's (0, 2, 1), y's (2, 0, 1).
	y := make([]int64, 4)
	einsum([][]int64{a, b}, [][]int{{2, 1, 0}, {0, 2, 1}}, []int{2, 0, 1}, []int{2, 2, 2}, y)
	if want := []int64{19, 22, 43, 50}; !slices.Equal(y, want) {
		t.Errorf("matrix product: %v, want %v", y, want)
	}
	// One label i reading the diagonal: stride 2+1.
	tr := make([]float32, 1)
	einsum([][]float32{{1, 2, 3, 4}}, [][]int{{3}}, []int{0}, []int{2}, tr)
	if tr[0] != 5 {
		t.Errorf("trace: %v, want 5", tr[0])
	}
}

// TestDFT checks the transform of 1, 2, 3, 4 (10, -2+2i, -2, -2-2i), its
// one-sided half, and that the inverse brings the input back.
func TestDFT(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	y := make([]float64, 8)
	dft(x, y, 1, 4, 1, 1, 4, 4, false)
	want := []float64{10, 0, -2, 2, -2, 0, -2, -2}
	for i := range want {
		if math.Abs(y[i]-want[i]) > 1e-12 {
			t.Fatalf("dft: %v, want %v", y, want)
		}
	}
	half := make([]float64, 6)
	dft(x, half, 1, 4, 1, 1, 4, 3, false)
	for i := range half {
		if math.Abs(half[i]-want[i]) > 1e-12 {
			t.Fatalf("one-sided: %v, want %v", half, want[:6])
		}
	}
	back := make([]float64, 8)
	dft(y, back, 1, 4, 1, 2, 4, 4, true)
	for k := range x {
		if math.Abs(back[2*k]-x[k]) > 1e-12 || math.Abs(back[2*k+1]) > 1e-12 {
			t.Fatalf("inverse: %v, want %v with zero imaginary parts", back, x)
		}
	}
}

// TestSTFT checks two frames of length 2, step 2, with a window: each is
// the DFT of its windowed samples (a+b, a-b for length 2).
func TestSTFT(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	y := make([]float32, 8)
	stft(x, []float32{1, 0.5}, y, 1, 4, 1, 2, 2, 2, 2)
	// Frames (1, 1) and (3, 2).
	want := []float32{2, 0, 0, 0, 5, 0, 1, 0}
	for i := range want {
		if math.Abs(float64(y[i]-want[i])) > 1e-6 {
			t.Fatalf("stft: %v, want %v", y, want)
		}
	}
}

// TestMelWeights checks one filter over a 9-point spectrum: its corners,
// 0, 1.33 and 2.66 Hz at rate 8 and dft_length 8, fall in bins 0, 1 and 2,
// so it is 1 at bin 1 only; and that a filter past the spectrum is an
// error.
func TestMelWeights(t *testing.T) {
	y := make([]float32, 5)
	if err := melWeights(y, 1, 8, 8, 0, 4); err != nil {
		t.Fatal(err)
	}
	if want := []float32{0, 1, 0, 0, 0}; !slices.Equal(y, want) {
		t.Errorf("melWeights: %v, want %v", y, want)
	}
	if err := melWeights(make([]float64, 2), 1, 2, 8, 0, 4000); err == nil {
		t.Error("filter past the spectrum: no error")
	}
}
