package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// TestGemmEpilogue checks gemmEpi's contract: the epilogue sees every
// element of C exactly once, after its last step (so it gives exactly
// what applying it after plain gemm gives), never C's padding, and the
// thread split changes no bit of the result.
func TestGemmEpilogue(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	cases := []struct{ m, n, k, pad int }{
		{1, 1, 1, 0}, {5, 17, 3, 2}, {67, 530, 300, 3}, {131, 9, 1040, 0}, {4, 16, 0, 1}, {70, 1100, 20, 0},
	}
	for _, tc := range cases {
		a := make([]float32, tc.m*tc.k)
		b := make([]float32, tc.k*tc.n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		ldc := tc.n + tc.pad
		am := gemmMat{data: a, rs: tc.k, cs: 1}
		bm := gemmMat{data: testTile.PackB(tc.k, tc.n, b, tc.n, 1), packed: true}
		want := make([]float32, tc.m*ldc)
		gemm(tc.m, tc.n, tc.k, am, bm, want, ldc, false, make([]float32, gemmScratchLen), 1)
		for i := 0; i < tc.m; i++ {
			for j := 0; j < tc.n; j++ {
				want[i*ldc+j] = max(want[i*ldc+j]*3-1, 0)
			}
		}
		for threads := 1; threads <= 3; threads++ {
			c := make([]float32, tc.m*ldc)
			seen := make([]int, tc.m*ldc)
			gemmEpi(tc.m, tc.n, tc.k, am, bm, c, ldc, false, make([]float32, threads*gemmScratchLen), threads, func(i0, j0, mb, nb int) {
				for i := i0; i < i0+mb; i++ {
					for j := j0; j < j0+nb; j++ {
						seen[i*ldc+j]++
						c[i*ldc+j] = max(c[i*ldc+j]*3-1, 0)
					}
				}
			})
			for i := 0; i < tc.m; i++ {
				for j := 0; j < ldc; j++ {
					at := i*ldc + j
					if wantSeen := map[bool]int{true: 1, false: 0}[j < tc.n]; seen[at] != wantSeen {
						t.Fatalf("%+v, %d threads: C[%d][%d] went through the epilogue %d times, want %d", tc, threads, i, j, seen[at], wantSeen)
					}
					if math.Float32bits(c[at]) != math.Float32bits(want[at]) {
						t.Fatalf("%+v, %d threads: C[%d][%d] = %v, want %v", tc, threads, i, j, c[at], want[at])
					}
				}
			}
		}
	}
}
