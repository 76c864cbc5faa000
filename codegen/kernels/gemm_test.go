package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// gemmCase is one product to check: shapes, how each operand is given,
// whether C accumulates, C's row padding and the thread count.
type gemmCase struct {
	m, n, k        int
	transA, transB bool
	packA, packB   bool
	acc            bool
	ldcPad         int
	threads        int
}

// checkGemm runs gemm on random operands and compares every element of C
// (padding included, which must stay untouched) with a float64 reference.
// The bound is the classic one for a float32 dot product of k terms
// summed in any order, with or without fused multiply-adds: |error| ≤
// γ·Σ|a·b| with γ = (k+1)·u/(1-(k+1)·u) and u = 2⁻²⁴, the k+1 counting C's
// old value when accumulating.
func checkGemm(t *testing.T, rng *rand.Rand, tc gemmCase) {
	t.Helper()
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
	old := append([]float32(nil), c...)
	am := gemmMat{data: a, rs: ars, cs: acs}
	if tc.packA {
		am = gemmMat{data: testTile.PackA(tc.m, tc.k, a, ars, acs), packed: true}
	}
	bm := gemmMat{data: b, rs: brs, cs: bcs}
	if tc.packB {
		bm = gemmMat{data: testTile.PackB(tc.k, tc.n, b, brs, bcs), packed: true}
	}
	threads := max(1, tc.threads)
	gemm(tc.m, tc.n, tc.k, am, bm, c, ldc, tc.acc, make([]float32, threads*gemmScratchLen), threads)
	u := math.Ldexp(1, -24)
	gamma := float64(tc.k+1) * u / (1 - float64(tc.k+1)*u)
	for i := 0; i < tc.m; i++ {
		for j := 0; j < ldc; j++ {
			got := c[i*ldc+j]
			if j >= tc.n {
				if got != old[i*ldc+j] {
					t.Fatalf("%+v: padding C[%d][%d] changed from %v to %v", tc, i, j, old[i*ldc+j], got)
				}
				continue
			}
			var s, mag float64
			if tc.acc {
				s, mag = float64(old[i*ldc+j]), math.Abs(float64(old[i*ldc+j]))
			}
			for p := 0; p < tc.k; p++ {
				x := float64(a[i*ars+p*acs]) * float64(b[p*brs+j*bcs])
				s += x
				mag += math.Abs(x)
			}
			if d := math.Abs(float64(got) - s); d > gamma*mag {
				t.Fatalf("%+v: C[%d][%d] = %v, want %v (|diff| %g > bound %g)", tc, i, j, got, s, d, gamma*mag)
			}
		}
	}
}

// TestGemmEdges covers every m, n and k from 1 to 67 (each in several
// combinations with the others), so every partial micro-tile and every
// remainder of the two-step loop is exercised, with each operand strided,
// transposed or packed.
func TestGemmEdges(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for s := 1; s <= 67; s++ {
		shapes := [][3]int{{s, s, s}, {s, 68 - s, (3*s)%67 + 1}, {(5*s)%67 + 1, s, 68 - s}, {68 - s, (7*s)%67 + 1, s}}
		for i, sh := range shapes {
			v := s + i
			checkGemm(t, rng, gemmCase{
				m: sh[0], n: sh[1], k: sh[2],
				transA: v%2 == 0, transB: v%3 == 0,
				packA: v%4 < 2, packB: (v/2)%2 == 0,
				acc: v%5 == 0, ldcPad: v % 3,
			})
		}
	}
}

// TestGemm covers the block edges (mc, kc, nc), empty products and the
// split over threads.
func TestGemm(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	cases := []gemmCase{
		{m: 1, n: 1, k: 1},
		{m: 4, n: 4, k: 4, transA: true, acc: true},
		{m: 65, n: 513, k: 257, acc: true},                           // crosses every block edge
		{m: 65, n: 513, k: 257, packA: true, packB: true, acc: true}, // the same, packed
		{m: 70, n: 20, k: 600, transA: true, transB: true, ldcPad: 1},
		{m: 130, n: 1030, k: 300, packB: true, threads: 2},            // split over columns
		{m: 131, n: 9, k: 1040, packA: true, threads: 3, ldcPad: 2},   // split over rows
		{m: 97, n: 301, k: 77, transB: true, threads: 4, acc: true},   // more threads than cores
		{m: 128, n: 128, k: 64, packA: true, packB: true, threads: 2}, // at the parallel threshold
		{m: 5, n: 0, k: 3},
		{m: 5, n: 6, k: 0, acc: true},
		{m: 5, n: 6, k: 0},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%dx%dx%d/%d", tc.m, tc.n, tc.k, tc.threads), func(t *testing.T) {
			checkGemm(t, rng, tc)
		})
	}
}

// TestGemmThreadsSameBits checks the claim in gemm's doc comment: the
// split over goroutines does not change a single bit of the result.
func TestGemmThreadsSameBits(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, sh := range [][3]int{{130, 1030, 300}, {131, 9, 1040}, {101, 101, 103}} {
		m, n, k := sh[0], sh[1], sh[2]
		a := make([]float32, m*k)
		b := make([]float32, k*n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		var first []float32
		for threads := 1; threads <= 4; threads++ {
			c := make([]float32, m*n)
			gemm(m, n, k, gemmMat{data: a, rs: k, cs: 1}, gemmMat{data: testTile.PackB(k, n, b, n, 1), packed: true}, c, n, false, make([]float32, threads*gemmScratchLen), threads)
			if first == nil {
				first = c
				continue
			}
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%dx%dx%d: %d threads: C[%d] = %v, 1 thread gave %v", m, n, k, threads, i, c[i], first[i])
				}
			}
		}
	}
}

// testTile is the tile of the micro-kernel this build has.
var testTile = Tile{gemmMR, gemmNR}

// TestTiles keeps pack.go's tiles equal to the micro-kernels' and the
// blocking sizes multiples of them.
func TestTiles(t *testing.T) {
	if testTile != GenericTile && testTile != SIMDTile {
		t.Fatalf("the micro-kernel's tile %v is neither GenericTile %v nor SIMDTile %v", testTile, GenericTile, SIMDTile)
	}
	for _, tl := range []Tile{GenericTile, SIMDTile} {
		if gemmMC%tl.Rows != 0 || gemmNC%tl.Cols != 0 {
			t.Fatalf("mc %d and nc %d must be multiples of the tile %v", gemmMC, gemmNC, tl)
		}
	}
}

// gemmBenchShapes are the products BenchmarkGemm times: squares, and the
// largest layers of two shared models (M×N×K as the GEMM sees them).
var gemmBenchShapes = []struct {
	name    string
	m, n, k int
}{
	{"64", 64, 64, 64},
	{"256", 256, 256, 256},
	{"1024", 1024, 1024, 1024},
	// mobilenetv2 (batch 1, 224×224), its two convs of most FLOPs, weights
	// as A and the image as B: the 1×1 expansion 16→96 at 112×112 and the
	// last 1×1 conv 320→1280 at 7×7.
	{"mobilenetv2-expand", 96, 12544, 16},
	{"mobilenetv2-last", 1280, 49, 320},
	// minilm-like (seq 128, hidden 256): the feed-forward MatMuls 256→1024
	// and back.
	{"minilm-ffn1", 128, 1024, 256},
	{"minilm-ffn2", 128, 256, 1024},
}

// BenchmarkGemm reports the GEMM's GFLOP/s (2·m·n·k per product) at 1 and
// 2 threads, with the constant operand packed as the code generator
// stores weights (A for the convs, B for the others): by wall time, and
// by the process's CPU time scaled by the thread count (what the
// threads would do on otherwise idle cores).
func BenchmarkGemm(b *testing.B) {
	for _, sh := range gemmBenchShapes {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", sh.name, threads), func(b *testing.B) {
				x := make([]float32, sh.m*sh.k)
				y := make([]float32, sh.k*sh.n)
				z := make([]float32, sh.m*sh.n)
				for i := range x {
					x[i] = float32(i%7) - 3
				}
				for i := range y {
					y[i] = float32(i%5) - 2
				}
				am := gemmMat{data: x, rs: sh.k, cs: 1}
				bm := gemmMat{data: y, rs: sh.n, cs: 1}
				if sh.m > sh.k {
					am = gemmMat{data: testTile.PackA(sh.m, sh.k, x, sh.k, 1), packed: true}
				} else {
					bm = gemmMat{data: testTile.PackB(sh.k, sh.n, y, sh.n, 1), packed: true}
				}
				scratch := make([]float32, threads*gemmScratchLen)
				b.ResetTimer()
				cpu0 := cpuTime()
				for i := 0; i < b.N; i++ {
					gemm(sh.m, sh.n, sh.k, am, bm, z, sh.n, false, scratch, threads)
				}
				flop := 2 * float64(sh.m) * float64(sh.n) * float64(sh.k) * float64(b.N)
				b.ReportMetric(flop/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				if cpu := cpuTime() - cpu0; cpu > 0 {
					// Per core busy: on a loaded machine wall time also
					// counts the time other processes held the cores.
					b.ReportMetric(flop/cpu.Seconds()/1e9*float64(threads), "GFLOP/s-cpu")
				}
			})
		}
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
		gemm(n, n, n, gemmMat{data: x, rs: n, cs: 1}, gemmMat{data: y, rs: n, cs: 1}, z, n, false, scratch, 1)
	}
	d := cpuTime() - start
	if d > 0 {
		t.Logf("%dx%dx%d: %.2f GFLOP/s of CPU time", n, n, n, 2*n*n*n*reps/d.Seconds()/1e9)
	}
}
