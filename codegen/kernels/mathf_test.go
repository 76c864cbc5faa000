package kernels

import (
	"flag"
	"math"
	"math/rand"
	"testing"
)

// mathfStep is the stride over float32 bit patterns of the accuracy
// sweep; the documented bounds come from -mathf.step=64.
var mathfStep = flag.Uint("mathf.step", 1024, "test every `N`th float32 in the accuracy sweep")

// sweep calls f on every step-th float32 bit pattern whose value lies in
// [lo, hi], both signs, and returns the largest relative error (over
// results whose reference is a normal float32) and absolute error against
// ref computed in float64.
func sweep(lo, hi float32, step uint32, f func(float32) float32, ref func(float64) float64) (rel, abs float64, worst float32) {
	check := func(x float32) {
		got, want := float64(f(x)), ref(float64(x))
		d := math.Abs(got - want)
		if math.IsInf(want, 0) && got == want {
			d = 0
		}
		if d > abs {
			abs = d
		}
		if math.Abs(want) >= 0x1p-126 && d/math.Abs(want) > rel {
			rel, worst = d/math.Abs(want), x
		}
		if math.IsNaN(got) {
			rel, abs, worst = math.Inf(1), math.Inf(1), x
		}
	}
	// Bit patterns of non-negative float32s increase with their values.
	for b := uint32(0); b < 0x7f800000; b += step {
		x := math.Float32frombits(b)
		if x >= lo && x <= hi {
			check(x)
		}
		if -x >= lo && -x <= hi {
			check(-x)
		}
	}
	return rel, abs, worst
}

// TestMathfAccuracy measures each float32 function against package math
// over every 1024th float32 in its range (-mathf.step=64, about 30
// million inputs for the wide ranges, is what the doc comments report)
// and asserts the bounds the doc comments state.
func TestMathfAccuracy(t *testing.T) {
	step := uint32(max(1, *mathfStep))
	if testing.Short() {
		step = max(step, 8192)
	}
	cases := []struct {
		name           string
		lo, hi         float32
		f              func(float32) float32
		ref            func(float64) float64
		maxRel, maxAbs float64 // 0: not asserted
	}{
		{"expf", expfMinArg, expfMaxArg, expf, math.Exp, 1.0e-7, 0},
		{"sigmoidf", -88, 88, sigmoidf, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, 1.5e-7, 9e-8},
		{"tanhf", -10, 10, tanhf, math.Tanh, 1.9e-7, 9.1e-8},
		{"erff", -5, 5, erff, math.Erf, 2.3e-7, 1.95e-7},
		{"logf", math.SmallestNonzeroFloat32, math.MaxFloat32, logf, math.Log, 1.8e-7, 3.9e-6},
	}
	for _, c := range cases {
		rel, abs, worst := sweep(c.lo, c.hi, step, c.f, c.ref)
		t.Logf("%s over [%g, %g]: max relative error %.3g (at %g), max absolute %.3g", c.name, c.lo, c.hi, rel, worst, abs)
		if c.maxRel > 0 && rel > c.maxRel {
			t.Errorf("%s: relative error %.3g at %g, documented bound %.3g", c.name, rel, worst, c.maxRel)
		}
		if c.maxAbs > 0 && abs > c.maxAbs {
			t.Errorf("%s: absolute error %.3g, documented bound %.3g", c.name, abs, c.maxAbs)
		}
	}
}

// TestMathfSpecial checks the values at the ends of the ranges and NaN.
func TestMathfSpecial(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	cases := []struct {
		name string
		got  float32
		want float32
	}{
		{"expf(100)", expf(100), inf},
		{"expf(+Inf)", expf(inf), inf},
		{"expf(-200)", expf(-200), 0},
		{"expf(-Inf)", expf(-inf), 0},
		{"expf(0)", expf(0), 1},
		{"sigmoidf(-Inf)", sigmoidf(-inf), 0},
		{"sigmoidf(+Inf)", sigmoidf(inf), 1},
		{"sigmoidf(-200)", sigmoidf(-200), 0},
		{"tanhf(+Inf)", tanhf(inf), 1},
		{"tanhf(-Inf)", tanhf(-inf), -1},
		{"tanhf(-0.0)", tanhf(float32(math.Copysign(0, -1))), 0},
		{"erff(+Inf)", erff(inf), 1},
		{"erff(-Inf)", erff(-inf), -1},
		{"erff(0)", erff(0), 0},
		{"logf(1)", logf(1), 0},
		{"logf(0)", logf(0), -inf},
		{"logf(+Inf)", logf(inf), inf},
		{"logf(2)", logf(2), float32(math.Ln2)},
		{"logf(smallest subnormal)", logf(math.SmallestNonzeroFloat32), float32(math.Log(math.SmallestNonzeroFloat32))},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	for name, f := range map[string]func(float32) float32{"expf": expf, "sigmoidf": sigmoidf, "tanhf": tanhf, "erff": erff, "logf": logf} {
		if v := f(nan); v == v {
			t.Errorf("%s(NaN) = %v, want NaN", name, v)
		}
	}
	if v := logf(-1); v == v {
		t.Errorf("logf(-1) = %v, want NaN", v)
	}
}

// BenchmarkMathf times each function against its float64 counterpart.
func BenchmarkMathf(b *testing.B) {
	// Standard normal inputs, as activations are: a branch on the
	// magnitude would be taken at random.
	rng := rand.New(rand.NewSource(1))
	xs := make([]float32, 4096)
	for i := range xs {
		xs[i] = float32(rng.NormFloat64())
	}
	var sink float32
	for _, c := range []struct {
		name string
		f    func(float32) float32
	}{
		{"expf", expf},
		{"math.Exp", func(x float32) float32 { return float32(math.Exp(float64(x))) }},
		{"tanhf", tanhf},
		{"math.Tanh", func(x float32) float32 { return float32(math.Tanh(float64(x))) }},
		{"erff", erff},
		{"math.Erf", func(x float32) float32 { return float32(math.Erf(float64(x))) }},
		{"sigmoidf", sigmoidf},
		// Logarithms of |x|: magnitudes, as a spectrogram takes them.
		{"logf", func(x float32) float32 { return logf(max(x, -x)) }},
		{"math.Log", func(x float32) float32 { return float32(math.Log(float64(max(x, -x)))) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				for _, x := range xs {
					sink += c.f(x)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(xs)), "ns/elem")
		})
	}
	_ = sink
}
