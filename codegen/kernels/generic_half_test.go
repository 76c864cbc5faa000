package kernels

import (
	"math"
	"math/rand"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// TestHalfToF32 checks every binary16 bit pattern against its value
// computed from the definition: (-1)^s 2^(e-15) (1 + m/1024), subnormals
// 2^-14 (m/1024).
func TestHalfToF32(t *testing.T) {
	for b := 0; b < 1<<16; b++ {
		h := uint16(b)
		s, e, m := h>>15, int(h>>10)&0x1f, float64(h&0x3ff)
		var want float64
		switch {
		case e == 0x1f && m != 0:
			want = math.NaN()
		case e == 0x1f:
			want = math.Inf(1)
		case e == 0:
			want = math.Ldexp(m/1024, -14)
		default:
			want = math.Ldexp(1+m/1024, e-15)
		}
		if s == 1 {
			want = -want
		}
		got := float64(halfToF32(h))
		if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("halfToF32(%#04x) = %g, want %g", h, got, want)
		}
	}
}

// nearest returns the bits of the 16-bit value nearest to x among every
// pattern widen maps to a finite value (ties to the even pattern), or
// infinity when x lies past the largest finite value by half an ulp or
// more: rounding by exhaustive search, for checking the bit-twiddling
// conversions.
func nearest(x float64, widen func(uint16) float32, maxBits uint16) uint16 {
	sign := uint16(0)
	if math.Signbit(x) {
		sign, x = 0x8000, -x
	}
	best, bestD := uint16(0), math.Inf(1)
	for b := uint16(0); b <= maxBits; b++ {
		d := math.Abs(float64(widen(b)) - x)
		if d < bestD || (d == bestD && b&1 == 0) {
			best, bestD = b, d
		}
	}
	top := float64(widen(maxBits))
	ulp := top - float64(widen(maxBits-1))
	if x >= top+ulp/2 {
		return sign | (maxBits + 1) // the pattern after the largest finite one is inf
	}
	return sign | best
}

// TestF32ToHalf checks the rounding to binary16 and bfloat16 against an
// exhaustive nearest-value search and against the interpreter's
// conversion, on edge values and random float32s of every magnitude.
func TestF32ToHalf(t *testing.T) {
	xs := []float32{0, 1, -1, 65504, 65519.99, 65520, 65536, 1e-8, 2.9802322e-08, 2.9802326e-08, 5.9604645e-08, 6.1035156e-05, 0.1, 1.0009765625, 1.00048828125, 1.00146484375}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 300; i++ {
		xs = append(xs, math.Float32frombits(r.Uint32()&0x7fffffff), float32(r.NormFloat64()), float32(r.NormFloat64()*1e4))
	}
	for _, x := range xs {
		if x != x || math.IsInf(float64(x), 0) {
			continue
		}
		if got, want := f32ToHalf(x), nearest(float64(x), halfToF32, 0x7bff); got != want {
			t.Errorf("f32ToHalf(%g) = %#04x, want %#04x", x, got, want)
		}
		if got, want := f32ToHalf(x), uint16(ir.F16FromFloat32(x)); got != want {
			t.Errorf("f32ToHalf(%g) = %#04x, the interpreter %#04x", x, got, want)
		}
		if got, want := f32ToBF16(x), uint16(ir.BF16FromFloat32(x)); got != want {
			t.Errorf("f32ToBF16(%g) = %#04x, the interpreter %#04x", x, got, want)
		}
	}
	// bfloat16's exhaustive search is over the 32,639 finite positive
	// patterns; a sample of values keeps it fast.
	for _, x := range xs[:40] {
		if got, want := f32ToBF16(x), nearest(float64(x), bf16ToF32, 0x7f7f); got != want {
			t.Errorf("f32ToBF16(%g) = %#04x, want %#04x", x, got, want)
		}
	}
	if h := f32ToHalf(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("f32ToHalf(NaN) = %#04x, not a NaN", h)
	}
	if h := f32ToBF16(float32(math.NaN())); h&0x7f80 != 0x7f80 || h&0x7f == 0 {
		t.Errorf("f32ToBF16(NaN) = %#04x, not a NaN", h)
	}
}

// TestF32RoundOdd checks that a double rounded to odd float32 and then to
// binary16 gives the double's nearest binary16 value, on doubles just
// beside binary16 ties, where rounding twice to nearest goes wrong.
func TestF32RoundOdd(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 300; i++ {
		h := uint16(r.Intn(0x7bff))
		lo, hi := float64(halfToF32(h)), float64(halfToF32(h+1))
		mid := (lo + hi) / 2
		for _, x := range []float64{mid, math.Nextafter(mid, 0), math.Nextafter(mid, math.Inf(1))} {
			if got, want := f32ToHalf(f32RoundOdd(x)), nearest(x, halfToF32, 0x7bff); got != want {
				t.Errorf("f32ToHalf(f32RoundOdd(%.17g)) = %#04x, want %#04x", x, got, want)
			}
		}
	}
}
