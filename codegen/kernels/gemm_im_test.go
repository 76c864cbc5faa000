package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// TestGemmImage checks B read from an image (gemmIm): the product is, bit
// for bit, gemm's with the same B written out as a strided matrix (the
// same packed panels reach the same micro-kernel), whatever the thread
// count; and that matrix is the one a stride-1 convolution's im2col
// would give, checked against a direct convolution in float64.
func TestGemmImage(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	cases := []struct{ m, c, h, w, kh, kw, dh, dw int }{
		{8, 1, 32, 32, 5, 5, 1, 1},   // mnist's first convolution, padded
		{16, 8, 18, 18, 5, 5, 1, 1},  // its second
		{5, 3, 9, 7, 3, 3, 2, 1},     // dilated rows, odd sizes
		{60, 480, 1, 42, 1, 3, 1, 1}, // a 1×3 over a long channel count (k past gemmKC)
		{3, 2, 6, 40, 2, 4, 1, 3},    // dilated columns
		{70, 20, 4, 600, 1, 1, 1, 1}, // n past gemmNC
		{1, 1, 3, 3, 3, 3, 1, 1},     // one output
		{4, 300, 3, 3, 3, 3, 1, 1},   // k past gemmKC, one output
	}
	for _, tc := range cases {
		oh := tc.h - tc.dh*(tc.kh-1)
		ow := tc.w - tc.dw*(tc.kw-1)
		n := (oh-1)*tc.w + ow
		k := tc.c * tc.kh * tc.kw
		x := make([]float32, tc.c*tc.h*tc.w)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		a := make([]float32, tc.m*k)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		// B written out: row p = (c, i, l) is the image from c·plane +
		// i·dh·w + l·dw on.
		b := make([]float32, k*n)
		for c := 0; c < tc.c; c++ {
			for i := 0; i < tc.kh; i++ {
				for l := 0; l < tc.kw; l++ {
					p := (c*tc.kh+i)*tc.kw + l
					for j := 0; j < n; j++ {
						b[p*n+j] = x[c*tc.h*tc.w+i*tc.dh*tc.w+l*tc.dw+j]
					}
				}
			}
		}
		am := gemmMat{data: testTile.PackA(tc.m, k, a, k, 1), packed: true}
		want := make([]float32, tc.m*n)
		gemm(tc.m, n, k, am, gemmMat{data: b, rs: n, cs: 1}, want, n, false, make([]float32, gemmScratchLen), 1)
		// Where column j is an output position (oh', ow'), it is the
		// convolution there.
		for mi := 0; mi < tc.m; mi++ {
			for y := 0; y < oh; y++ {
				for xo := 0; xo < ow; xo++ {
					var s, mag float64
					for c := 0; c < tc.c; c++ {
						for i := 0; i < tc.kh; i++ {
							for l := 0; l < tc.kw; l++ {
								v := float64(a[mi*k+(c*tc.kh+i)*tc.kw+l]) * float64(x[(c*tc.h+y+i*tc.dh)*tc.w+xo+l*tc.dw])
								s += v
								mag += math.Abs(v)
							}
						}
					}
					got := float64(want[mi*n+y*tc.w+xo])
					if math.Abs(got-s) > float64(k+1)*0x1p-24*mag*1.01+1e-30 {
						t.Fatalf("%+v: output %d,%d,%d = %v, want %v", tc, mi, y, xo, got, s)
					}
				}
			}
		}
		im := gemmIm{kh: tc.kh, kw: tc.kw, plane: tc.h * tc.w, dh: tc.dh * tc.w, dw: tc.dw}
		for threads := 1; threads <= 3; threads++ {
			c := make([]float32, tc.m*n)
			gemm(tc.m, n, k, am, gemmMat{data: x, im: im}, c, n, false, make([]float32, threads*gemmScratchLen), threads)
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%+v, %d threads: C[%d] = %v, want %v", tc, threads, i, c[i], want[i])
				}
			}
		}
	}
}
