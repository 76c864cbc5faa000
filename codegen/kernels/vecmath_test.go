//go:build kiln_simd

package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// TestGeluRow sweeps float32s over [-10, 10] through geluRow (vector
// lanes and the scalar tail alike: the sweep's rows are 13 long) and
// checks each result against GELU computed in float64 with package math:
// within 4e-7 absolute plus 4e-7 relative, erff's error scaled by x/2
// plus the rounding of the two products. Specials: NaN stays NaN, ±Inf
// give +Inf and NaN as x/2·(1+erf x) does.
func TestGeluRow(t *testing.T) {
	step := uint32(4096)
	if testing.Short() {
		step = 1 << 15
	}
	var xs []float32
	for b := uint32(0); b < 0x7f800000; b += step {
		x := math.Float32frombits(b)
		if x <= 10 {
			xs = append(xs, x, -x)
		}
	}
	ref := func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }
	var worst, worstX float64
	for lo := 0; lo < len(xs); lo += 13 {
		row := append([]float32(nil), xs[lo:min(lo+13, len(xs))]...)
		geluRow(row)
		for i, got := range row {
			x := float64(xs[lo+i])
			want := ref(x)
			d := math.Abs(float64(got) - want)
			if bound := 4e-7 + 4e-7*math.Abs(want); d > bound || math.IsNaN(float64(got)) {
				t.Fatalf("geluRow(%v) = %v, want %v (error %.3g > %.3g)", x, got, want, d, bound)
			}
			if d > worst {
				worst, worstX = d, x
			}
		}
	}
	t.Logf("%d inputs, largest absolute error %.3g at %v", len(xs), worst, worstX)
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	row := []float32{nan, inf, -inf, 0, nan, inf, -inf, 0, nan, inf, -inf}
	geluRow(row)
	for i, want := range []float32{nan, inf, nan, 0} {
		for j := i; j < len(row); j += 4 {
			got := row[j]
			if !(got == want || (got != got && want != want)) {
				t.Errorf("geluRow at %d: got %v, want %v", j, got, want)
			}
		}
	}
}

// TestExpRow sweeps float32s over [-104, 0] through expRow (less m = 1.5,
// vector lanes and the scalar tail) against package math: relative error
// at most 2e-7 where the result is at least 2⁻¹²⁶, at most 2⁻¹²⁶
// absolute below; -Inf gives 0, NaN stays NaN.
func TestExpRow(t *testing.T) {
	step := uint32(1024)
	if testing.Short() {
		step = 1 << 14
	}
	const m = 1.5
	var xs []float32
	for b := uint32(0); b < 0x7f800000; b += step {
		if x := math.Float32frombits(b); x <= 104 {
			xs = append(xs, -x+m)
		}
	}
	var worst float64
	for lo := 0; lo < len(xs); lo += 13 {
		row := append([]float32(nil), xs[lo:min(lo+13, len(xs))]...)
		expRow(row, m)
		for i, got := range row {
			x := float64(xs[lo+i] - m)
			want := math.Exp(x)
			d := math.Abs(float64(got) - want)
			if want < 0x1p-126 {
				if d > 0x1p-126 {
					t.Fatalf("expRow at %v: %v, want %v", x, got, want)
				}
				continue
			}
			if d/want > 2e-7 || math.IsNaN(float64(got)) {
				t.Fatalf("expRow at %v: %v, want %v (relative error %.3g)", x, got, want, d/want)
			}
			worst = max(worst, d/want)
		}
	}
	t.Logf("%d inputs, largest relative error %.3g", len(xs), worst)
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	row := []float32{nan, -inf, m, nan, -inf, m, nan, -inf, m, nan, -inf}
	expRow(row, m)
	for i, got := range row {
		switch want := []float32{nan, 0, 1}[i%3]; {
		case want != want && got == got, want == want && got != want:
			t.Errorf("expRow at %d: got %v, want %v", i, got, want)
		}
	}
}

// TestClampRow checks clampRow and reluRow, vector lanes and tail,
// against the scalar definition on values around and beyond the bounds,
// NaN and infinities included.
func TestClampRow(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	xs := []float32{-7, -1, -0.5, 0, 0.25, 1, 5.9, 6, 6.1, 100, nan, inf, -inf, 3, -3, 2, 1e-30, -1e-30, 7}
	for _, bounds := range [][2]float32{{0, 6}, {-1, 1}, {-inf, 0.5}} {
		row := append([]float32(nil), xs...)
		clampRow(row, bounds[0], bounds[1])
		for i, got := range row {
			want := min(max(xs[i], bounds[0]), bounds[1])
			if !(got == want || (got != got && want != want)) {
				t.Errorf("clampRow(%v, %v) at %v: got %v, want %v", bounds[0], bounds[1], xs[i], got, want)
			}
		}
	}
	row := append([]float32(nil), xs...)
	reluRow(row)
	for i, got := range row {
		want := max(xs[i], 0)
		if !(got == want || (got != got && want != want)) {
			t.Errorf("reluRow at %v: got %v, want %v", xs[i], got, want)
		}
	}
}

// TestDotRow checks dotRow (vector part and scalar rest) on lengths
// around the vector width against a float64 sum, within the float32 dot
// product bound γₙ·Σ|w·x|, γₙ = n·u/(1-n·u).
func TestDotRow(t *testing.T) {
	rng := rand.New(rand.NewSource(31))
	for _, n := range []int{0, 1, 3, 8, 15, 16, 17, 31, 32, 64, 100, 128, 1000} {
		w := make([]float32, n)
		x := make([]float32, n+3)
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		var want, mag float64
		for i := range w {
			p := float64(w[i]) * float64(x[i])
			want += p
			mag += math.Abs(p)
		}
		u := math.Ldexp(1, -24)
		gamma := float64(n+1) * u / (1 - float64(n+1)*u)
		if got := dotRow(w, x); math.Abs(float64(got)-want) > gamma*mag {
			t.Fatalf("n %d: dotRow = %v, want %v (error %.3g > %.3g)", n, got, want, math.Abs(float64(got)-want), gamma*mag)
		}
	}
}
