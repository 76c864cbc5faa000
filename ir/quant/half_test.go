package quant

import (
	"math"
	"testing"
)

// refHalf is binary16's value from its fields, by the definition: sign,
// 5-bit exponent biased by 15, 10-bit fraction, subnormals at 2^-14.
func refHalf(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	e, f := int(h>>10&0x1f), float64(h&0x3ff)
	switch e {
	case 0:
		return sign * math.Ldexp(f, -24)
	case 31:
		if f == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1+f/1024, e-15)
}

// refBF16 is bfloat16's value from its fields: 8-bit exponent biased by
// 127, 7-bit fraction, subnormals at 2^-126.
func refBF16(b uint16) float64 {
	sign := 1.0
	if b&0x8000 != 0 {
		sign = -1
	}
	e, f := int(b>>7&0xff), float64(b&0x7f)
	switch e {
	case 0:
		return sign * math.Ldexp(f, -133)
	case 255:
		if f == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1+f/128, e-127)
}

// TestHalfExhaustive converts all 65536 binary16 and bfloat16 patterns
// and checks them against the definitions, then rounds back: every value
// must return to its own bits, and the midpoint between two neighbours
// must round to the one with an even last bit.
func TestHalfExhaustive(t *testing.T) {
	for _, c := range []struct {
		name string
		ref  func(uint16) float64
		to   func(uint16) float32
		from func(float32) uint16
		inf  uint16
	}{
		{"f16", refHalf, F16ToF32, F32ToF16, 0x7c00},
		{"bf16", refBF16, BF16ToF32, F32ToBF16, 0x7f80},
	} {
		bad := 0
		for i := 0; i < 1<<16; i++ {
			h := uint16(i)
			want, got := c.ref(h), c.to(h)
			if math.IsNaN(want) {
				if !math.IsNaN(float64(got)) || !math.IsNaN(float64(c.to(c.from(got)))) {
					t.Errorf("%s %#04x: NaN gave %v", c.name, h, got)
				}
				continue
			}
			if float64(got) != want || math.Signbit(float64(got)) != math.Signbit(want) {
				t.Errorf("%s %#04x: got %v, want %v", c.name, h, got, want)
				bad++
			}
			if back := c.from(got); back != h {
				t.Errorf("%s %#04x: %v rounds back to %#04x", c.name, h, got, back)
				bad++
			}
			// Midpoint to the next value of larger magnitude: exact in
			// float64, and a float32 for both formats (f16 has 13 bits to
			// spare, bf16 16).
			if h&0x7fff < c.inf {
				next := c.ref(h + 1)
				if math.IsInf(next, 0) {
					continue
				}
				mid := float32((want + next) / 2)
				if float64(mid) != (want+next)/2 {
					t.Fatalf("%s %#04x: midpoint not exact", c.name, h)
				}
				even := h
				if h&1 == 1 {
					even = h + 1
				}
				if got := c.from(mid); got != even {
					t.Errorf("%s: midpoint %v of %#04x and %#04x rounds to %#04x, want %#04x", c.name, mid, h, h+1, got, even)
					bad++
				}
			}
			if bad > 10 {
				t.Fatal("too many failures")
			}
		}
	}
	// Overflow: the largest f16 is 65504; from 65520 (the midpoint to 2^16) on, inf.
	if F32ToF16(65519) != 0x7bff || F32ToF16(65520) != 0x7c00 || F32ToF16(-1e9) != 0xfc00 {
		t.Errorf("f16 overflow: %#04x %#04x %#04x", F32ToF16(65519), F32ToF16(65520), F32ToF16(-1e9))
	}
	// Below half the smallest subnormal (2^-25), zero keeping the sign.
	if F32ToF16(0x1p-26) != 0 || F32ToF16(-0x1p-26) != 0x8000 || F32ToF16(0x1.000002p-25) != 1 {
		t.Errorf("f16 underflow: %#04x %#04x %#04x", F32ToF16(0x1p-26), F32ToF16(-0x1p-26), F32ToF16(0x1.000002p-25))
	}
}
