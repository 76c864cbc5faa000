package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// naiveGemm is the reference: float64 sums of the same products.
func naiveGemm(m, n, k int, a []float32, ars, acs int, b []float32, brs, bcs int, c []float32, ldc int, acc bool) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			if acc {
				s = float64(c[i*ldc+j])
			}
			for p := 0; p < k; p++ {
				s += float64(a[i*ars+p*acs]) * float64(b[p*brs+j*bcs])
			}
			c[i*ldc+j] = float32(s)
		}
	}
}

func TestGemm(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	scratch := make([]float32, gemmScratchLen)
	cases := []struct {
		m, n, k        int
		transA, transB bool
		acc            bool
		ldcPad         int
	}{
		{1, 1, 1, false, false, false, 0},
		{3, 5, 7, false, false, false, 0},
		{4, 4, 4, true, false, true, 0},
		{17, 33, 9, false, true, false, 3},
		{65, 513, 257, false, false, true, 0}, // crosses every block edge
		{70, 20, 600, true, true, false, 1},
		{5, 0, 3, false, false, false, 0},
		{5, 6, 0, false, false, true, 0},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/acc=%v", tc.m, tc.n, tc.k, tc.transA, tc.transB, tc.acc), func(t *testing.T) {
			a := make([]float32, tc.m*tc.k)
			b := make([]float32, tc.k*tc.n)
			for i := range a {
				a[i] = float32(rng.NormFloat64())
			}
			for i := range b {
				b[i] = float32(rng.NormFloat64())
			}
			ars, acs := tc.k, 1
			if tc.transA { // a holds Aᵀ, k×m
				ars, acs = 1, tc.m
			}
			brs, bcs := tc.n, 1
			if tc.transB { // b holds Bᵀ, n×k
				brs, bcs = 1, tc.k
			}
			ldc := tc.n + tc.ldcPad
			c := make([]float32, tc.m*ldc)
			for i := range c {
				c[i] = float32(rng.NormFloat64())
			}
			want := append([]float32(nil), c...)
			naiveGemm(tc.m, tc.n, tc.k, a, ars, acs, b, brs, bcs, want, ldc, tc.acc)
			gemm(tc.m, tc.n, tc.k, a, ars, acs, b, brs, bcs, c, ldc, tc.acc, scratch)
			for i := 0; i < tc.m; i++ {
				for j := 0; j < ldc; j++ {
					got, w := c[i*ldc+j], want[i*ldc+j]
					if math.Abs(float64(got-w)) > 1e-4*(1+math.Abs(float64(w)))*math.Sqrt(float64(tc.k+1)) {
						t.Fatalf("C[%d][%d] = %v, want %v", i, j, got, w)
					}
				}
			}
		})
	}
}

// BenchmarkGemm reports the GEMM's speed on a square product; with
// -benchtime it gives GFLOP/s as 2·n³ / ns.
func BenchmarkGemm(b *testing.B) {
	for _, n := range []int{64, 256, 512} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			x := make([]float32, n*n)
			y := make([]float32, n*n)
			z := make([]float32, n*n)
			for i := range x {
				x[i], y[i] = float32(i%7), float32(i%5)
			}
			scratch := make([]float32, gemmScratchLen)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				gemm(n, n, n, x, n, 1, y, n, 1, z, n, false, scratch)
			}
			b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// TestGemmCPUTime reports the GEMM's speed in CPU time, which a loaded
// machine distorts less than wall time (go test -run GemmCPUTime -v).
func TestGemmCPUTime(t *testing.T) {
	if testing.Short() {
		t.Skip("timing only")
	}
	const n = 256
	x := make([]float32, n*n)
	y := make([]float32, n*n)
	z := make([]float32, n*n)
	scratch := make([]float32, gemmScratchLen)
	start := cpuTime()
	const reps = 5
	for i := 0; i < reps; i++ {
		gemm(n, n, n, x, n, 1, y, n, 1, z, n, false, scratch)
	}
	d := cpuTime() - start
	if d > 0 {
		t.Logf("%dx%dx%d: %.2f GFLOP/s of CPU time", n, n, n, 2*n*n*n*reps/d.Seconds()/1e9)
	}
}
