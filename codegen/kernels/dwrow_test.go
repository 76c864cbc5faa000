//go:build kiln_simd

package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// TestDwRow checks dwRow (vector lanes, two-vector steps and the scalar
// tail) against a float64 sum of the same taps, within the float32 dot
// product bound γ·(|bias| + Σ|x·w|), γ = (taps+1)·u/(1-(taps+1)·u).
func TestDwRow(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	cases := []struct{ n, kh, kw, dh, dw, ldx int }{
		{1, 3, 3, 1, 1, 10}, {5, 3, 3, 1, 1, 7}, {8, 3, 3, 1, 1, 12}, {37, 3, 3, 1, 1, 40},
		{80, 5, 5, 1, 1, 84}, {19, 3, 3, 2, 2, 30}, {9, 1, 1, 1, 1, 9}, {16, 3, 1, 1, 1, 16},
		// 3×3 rows of 16 and more (dwRow33SIMD), one a wide row over a
		// padded 9-wide plane (rows overlapping, as emitConv calls it).
		{16, 3, 3, 1, 1, 18}, {33, 3, 3, 1, 1, 35}, {61, 3, 3, 1, 1, 9}, {112, 3, 3, 1, 1, 114},
	}
	for _, tc := range cases {
		span := (tc.kw-1)*tc.dw + tc.n
		x := make([]float32, ((tc.kh-1)*tc.dh)*tc.ldx+span)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		w := make([]float32, tc.kh*tc.kw)
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		bias := float32(rng.NormFloat64())
		y := make([]float32, tc.n+1)
		y[tc.n] = 42 // past the row: must stay
		dwRow(y[:tc.n], x, tc.ldx, w, bias, tc.kh, tc.kw, tc.dh, tc.dw)
		u := math.Ldexp(1, -24)
		taps := float64(tc.kh*tc.kw + 1)
		gamma := taps * u / (1 - taps*u)
		for o := 0; o < tc.n; o++ {
			s, mag := float64(bias), math.Abs(float64(bias))
			for i := 0; i < tc.kh; i++ {
				for j := 0; j < tc.kw; j++ {
					p := float64(x[i*tc.dh*tc.ldx+o+j*tc.dw]) * float64(w[i*tc.kw+j])
					s += p
					mag += math.Abs(p)
				}
			}
			if d := math.Abs(float64(y[o]) - s); d > gamma*mag {
				t.Fatalf("%+v: y[%d] = %v, want %v (error %.3g > %.3g)", tc, o, y[o], s, d, gamma*mag)
			}
		}
		if y[tc.n] != 42 {
			t.Fatalf("%+v: dwRow wrote past its row", tc)
		}
	}
}

// TestDwRow2 checks dwRow2 (vector lanes, where the last tap's 16 loads
// fit, and the scalar rest) against a float64 sum of the same taps at
// stride 2, within the same bound as TestDwRow.
func TestDwRow2(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	cases := []struct{ n, kh, kw, dh, dw, ldx, extra int }{
		{1, 3, 3, 1, 1, 10, 0}, {7, 3, 3, 1, 1, 16, 0}, {8, 3, 3, 1, 1, 18, 0}, {8, 3, 3, 1, 1, 18, 1},
		{56, 3, 3, 1, 1, 113, 0}, {28, 5, 5, 1, 1, 60, 3}, {19, 3, 3, 2, 2, 50, 0}, {16, 1, 1, 1, 1, 32, 0},
	}
	for _, tc := range cases {
		span := 2*(tc.n-1) + (tc.kw-1)*tc.dw + 1
		x := make([]float32, ((tc.kh-1)*tc.dh)*tc.ldx+span+tc.extra)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		w := make([]float32, tc.kh*tc.kw)
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		bias := float32(rng.NormFloat64())
		y := make([]float32, tc.n+1)
		y[tc.n] = 42 // past the row: must stay
		dwRow2(y[:tc.n], x, tc.ldx, w, bias, tc.kh, tc.kw, tc.dh, tc.dw)
		u := math.Ldexp(1, -24)
		taps := float64(tc.kh*tc.kw + 1)
		gamma := taps * u / (1 - taps*u)
		for o := 0; o < tc.n; o++ {
			s, mag := float64(bias), math.Abs(float64(bias))
			for i := 0; i < tc.kh; i++ {
				for j := 0; j < tc.kw; j++ {
					p := float64(x[i*tc.dh*tc.ldx+2*o+j*tc.dw]) * float64(w[i*tc.kw+j])
					s += p
					mag += math.Abs(p)
				}
			}
			if d := math.Abs(float64(y[o]) - s); d > gamma*mag {
				t.Fatalf("%+v: y[%d] = %v, want %v (error %.3g > %.3g)", tc, o, y[o], s, d, gamma*mag)
			}
		}
		if y[tc.n] != 42 {
			t.Fatalf("%+v: dwRow2 wrote past its row", tc)
		}
	}
}
