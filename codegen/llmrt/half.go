package llmrt

import "math"

// f16Table maps every binary16 bit pattern to its float32 value, so that
// converting an F16 weight or cache entry is one load.
var f16Table = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = f16Decode(uint16(i))
	}
	return &t
}()

// f16Decode widens a binary16 value to float32 exactly.
func f16Decode(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// h2f widens a binary16 value to float32 exactly, as f16Decode, without
// a table (the attention loops read the cache with it; a 256 KiB table
// lookup per element misses the L1 cache): the sign, exponent and
// mantissa bits shifted into place (the sign extended and cut back to bit
// 31) read as a float32 2^112 times too small, for subnormals too, and
// the multiply by 2^112 is exact. Exponent 31 (infinity, NaN) keeps its
// mantissa under an all-ones exponent.
func h2f(h uint16) float32 {
	bits := uint32(int32(int16(h))<<13) & 0x8fffe000
	if h&0x7c00 == 0x7c00 {
		return math.Float32frombits(bits | 0x7f800000)
	}
	return math.Float32frombits(bits) * 0x1p112
}

// f16 returns the float32 value of the binary16 value stored at b[off:].
func f16(b []byte, off int) float32 {
	return f16Table[uint16(b[off])|uint16(b[off+1])<<8]
}

// f16Encode rounds f to the nearest binary16 value, ties to even
// (overflow to infinity, NaN kept quiet), as ggml's FP32_TO_FP16 does.
func f16Encode(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign
		}
		m := mant | 0x800000
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		r := m >> shift
		rem := m & (1<<shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++ // may carry into the exponent, up to infinity: still right
	}
	return sign | uint16(r)
}

// roundF16 rounds f to the nearest binary16 value and back.
func roundF16(f float32) float32 { return f16Table[f16Encode(f)] }
