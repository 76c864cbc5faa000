package ir

import (
	"fmt"
	"math"
)

// ONNX's narrow element types: the float8 formats of ONNX 1.14 (opset 19),
// int4 and uint4 of ONNX 1.16 (opset 21) and float4 E2M1 of ONNX 1.18
// (opset 23). In memory a tensor of one of them holds one element per byte:
// the bit pattern of a float8 or float4 value in a []uint8 (low four bits
// for float4), a uint4 value in a []uint8 and an int4 value, sign-extended,
// in an []int8. Their byte form (constants, ONNX payloads, data files) is
// ONNX's: one byte per float8 element, and two 4-bit elements per byte, the
// first in the low nibble, an odd count padded with a zero high nibble.

// IsNarrow reports whether d is one of ONNX's narrow types (float8, int4,
// uint4, float4).
func (d DType) IsNarrow() bool { return d.Info().Narrow }

// IsPacked reports whether d's byte form packs two elements per byte.
func (d DType) IsPacked() bool { return d.Info().Bits == 4 }

// IsMiniFloat reports whether d is a float8 or float4 type, whose codes
// convert to and from real numbers by MiniFloat.
func (d DType) IsMiniFloat() bool { _, ok := miniFloats[d]; return ok }

// StorageDType returns the element type whose Go storage type holds d in
// memory: u8 for the float8, float4 and uint4 types, i8 for int4, d itself
// for every other type.
func (d DType) StorageDType() DType {
	switch d {
	case F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ, U4, F4E2M1:
		return U8
	case I4:
		return I8
	}
	return d
}

// MiniFloat describes a small binary floating-point format: a sign bit,
// ExpBits exponent bits with bias Bias and MantBits mantissa bits, with
// subnormals. The formats differ in what the top codes mean: E5M2 keeps
// IEEE infinities and NaNs; the "fn" formats have no infinities and one
// NaN mantissa pattern (all ones) in the top exponent; the "fnuz" formats
// have no infinities and no negative zero, whose code 0x80 is the one NaN;
// E2M1 has neither NaN nor infinities.
type MiniFloat struct {
	ExpBits, MantBits, Bias int
	Inf                     bool // IEEE-style: the top exponent is Inf and NaN
	FN                      bool // top exponent with all-ones mantissa is NaN
	UZ                      bool // no negative zero; 0x80 is NaN
	Max                     float64
}

var miniFloats = map[DType]MiniFloat{
	F8E4M3FN:   {ExpBits: 4, MantBits: 3, Bias: 7, FN: true, Max: 448},
	F8E4M3FNUZ: {ExpBits: 4, MantBits: 3, Bias: 8, UZ: true, Max: 240},
	F8E5M2:     {ExpBits: 5, MantBits: 2, Bias: 15, Inf: true, Max: 57344},
	F8E5M2FNUZ: {ExpBits: 5, MantBits: 2, Bias: 16, UZ: true, Max: 57344},
	F4E2M1:     {ExpBits: 2, MantBits: 1, Bias: 1, Max: 6},
}

// MiniFloatOf returns the format of a float8 or float4 type.
func MiniFloatOf(d DType) (MiniFloat, bool) {
	f, ok := miniFloats[d]
	return f, ok
}

func (f MiniFloat) bits() int       { return 1 + f.ExpBits + f.MantBits }
func (f MiniFloat) signBit() uint8  { return 1 << (f.bits() - 1) }
func (f MiniFloat) expMask() uint8  { return (1<<f.ExpBits - 1) << f.MantBits }
func (f MiniFloat) mantMask() uint8 { return 1<<f.MantBits - 1 }

// NaN returns the format's NaN code with the given sign (the fnuz formats
// have one NaN, 0x80, whatever the sign); ok is false for a format without
// NaN.
func (f MiniFloat) NaN(neg bool) (code uint8, ok bool) {
	switch {
	case f.UZ:
		return 0x80, true
	case f.FN || f.Inf:
		c := f.expMask() | f.mantMask()
		if neg {
			c |= f.signBit()
		}
		return c, true
	}
	return 0, false
}

// IsNaN reports whether code is a NaN of the format.
func (f MiniFloat) IsNaN(code uint8) bool {
	switch {
	case f.UZ:
		return code == 0x80
	case f.FN:
		return code&^f.signBit() == f.expMask()|f.mantMask()
	case f.Inf:
		return code&f.expMask() == f.expMask() && code&f.mantMask() != 0
	}
	return false
}

// Float64 returns the value of code (its low f.bits() bits), exactly.
func (f MiniFloat) Float64(code uint8) float64 {
	code &= 1<<f.bits() - 1
	if f.IsNaN(code) {
		return math.NaN()
	}
	neg := code&f.signBit() != 0
	e := int((code & f.expMask()) >> f.MantBits)
	m := float64(code & f.mantMask())
	var v float64
	switch {
	case f.Inf && e == 1<<f.ExpBits-1:
		v = math.Inf(1)
	case e == 0: // subnormal: m * 2^(1-bias-mantbits)
		v = math.Ldexp(m, 1-f.Bias-f.MantBits)
	default:
		v = math.Ldexp(1+m/float64(int(1)<<f.MantBits), e-f.Bias)
	}
	if neg {
		v = -v
	}
	return v
}

// Encode rounds x to the format, to nearest with ties to even, as ONNX's
// Cast-19 and QuantizeLinear-19 do, bit for bit as ONNX Runtime 1.30 does.
// With saturate, a value beyond the largest finite one, infinities
// included, becomes ±Max. Without saturate, out-of-range values and
// infinities become NaN, or in E5M2 an infinity, with two quirks of ONNX
// Runtime kept on purpose: in E4M3FN
// a value in [480, 496] becomes ±448 (the truncated code would be the NaN
// pattern, which the conversion turns into the largest value before
// rounding), and in E5M2 a finite value in [61440, 65536), which rounds
// past the largest value, becomes NaN rather than an infinity. NaN keeps
// its sign where the format has signed NaNs. E2M1 has neither NaN nor
// infinities: it always saturates, and NaN becomes +6.
func (f MiniFloat) Encode(x float64, saturate bool) uint8 {
	neg := math.Signbit(x)
	var sign uint8
	if neg {
		sign = f.signBit()
	}
	maxCode := f.maxCode()
	if math.IsNaN(x) {
		if c, ok := f.NaN(neg); ok {
			return c
		}
		return maxCode // E2M1: no NaN
	}
	overflow := func() uint8 {
		if !f.Inf && !f.FN && !f.UZ { // E2M1
			return sign | maxCode
		}
		if saturate {
			return sign | maxCode
		}
		if f.Inf {
			if _, ex := math.Frexp(f.Max); math.Abs(x) < math.Ldexp(1, ex) {
				// Rounded past Max within the top binade: NaN (see above).
				return sign | f.expMask() | f.mantMask()
			}
			return sign | f.expMask()
		}
		if f.FN {
			top := f.Max - f.Float64(maxCode-1)
			if a := math.Abs(x); a >= f.Max+top && a <= f.Max+1.5*top {
				return sign | maxCode // the E4M3FN quirk above
			}
		}
		c, _ := f.NaN(neg)
		return c
	}
	a := math.Abs(x)
	if math.IsInf(x, 0) {
		return overflow()
	}
	// Round a to a multiple of the spacing at its binade: the spacing is
	// 2^(e-mantbits) for a in [2^e, 2^(e+1)), and that of the subnormals
	// below the smallest normal.
	minExp := 1 - f.Bias
	e := minExp
	if a >= math.Ldexp(1, minExp) {
		_, ex := math.Frexp(a) // a = fr * 2^ex, fr in [0.5, 1)
		e = ex - 1
	}
	step := math.Ldexp(1, e-f.MantBits)
	q := math.RoundToEven(a / step) // exact: a/step < 2^(mantbits+2)
	r := q * step
	if r > f.Max {
		return overflow()
	}
	if r == 0 {
		if f.UZ {
			return 0 // no negative zero: 0x80 is NaN
		}
		return sign
	}
	// r is representable; build its code.
	var code uint8
	if r < math.Ldexp(1, minExp) {
		code = uint8(r / math.Ldexp(1, minExp-f.MantBits))
	} else {
		fr, ex := math.Frexp(r)
		be := ex - 1 + f.Bias
		m := uint8((fr*2 - 1) * float64(int(1)<<f.MantBits))
		code = uint8(be)<<f.MantBits | m
	}
	return sign | code
}

// maxCode returns the code of the largest finite value.
func (f MiniFloat) maxCode() uint8 {
	switch {
	case f.FN:
		return f.expMask() | (f.mantMask() - 1)
	case f.Inf:
		return f.expMask() - 1
	}
	return f.expMask() | f.mantMask()
}

// InRange reports whether the finite x rounds to a finite value of the
// format (to nearest, ties to even) without saturating: it is no further
// beyond Max than half the step below Max, and not exactly half a step
// beyond when Max's mantissa is odd.
func (f MiniFloat) InRange(x float64) bool {
	a := math.Abs(x)
	if a <= f.Max {
		return true
	}
	top := f.maxCode()
	half := (f.Max - f.Float64(top-1)) / 2
	return a < f.Max+half || (a == f.Max+half && top&1 == 0)
}

// packNibbles packs 4-bit elements (the low nibble of each byte of vals)
// two per byte, the first in the low nibble.
func packNibbles(vals []byte) []byte {
	out := make([]byte, (len(vals)+1)/2)
	for i, v := range vals {
		out[i/2] |= (v & 0xf) << (4 * (i % 2))
	}
	return out
}

// nibble returns element i of packed 4-bit data.
func nibble(b []byte, i int) byte { return b[i/2] >> (4 * (i % 2)) & 0xf }

// narrowBytes checks that b is the byte form of n elements of narrow type d.
func narrowBytes(d DType, b []byte, n int) error {
	want, err := d.ByteSize(int64(n))
	if err != nil {
		return err
	}
	if int64(len(b)) != want {
		return fmt.Errorf("%d bytes for %d %v elements (want %d)", len(b), n, d, want)
	}
	return nil
}

// DecodeNarrow decodes the byte form of n elements of a narrow type d
// into its in-memory storage: []uint8 (float8 and float4 codes, uint4
// values) or []int8 (int4 values, sign-extended). A padding nibble is
// ignored.
func DecodeNarrow(d DType, b []byte, n int) (any, error) {
	if !d.IsNarrow() {
		return nil, fmt.Errorf("%v is not a narrow type", d)
	}
	if err := narrowBytes(d, b, n); err != nil {
		return nil, err
	}
	switch {
	case d == I4:
		out := make([]int8, n)
		for i := range out {
			out[i] = int8(nibble(b, i)<<4) >> 4
		}
		return out, nil
	case d.IsPacked():
		out := make([]uint8, n)
		for i := range out {
			out[i] = nibble(b, i)
		}
		return out, nil
	}
	return append([]uint8(nil), b...), nil
}

// EncodeNarrow returns the byte form of data, the in-memory storage of a
// tensor of narrow type d (see DecodeNarrow). A 4-bit value out of its
// type's range is an error.
func EncodeNarrow(d DType, data any) ([]byte, error) {
	if !d.IsNarrow() {
		return nil, fmt.Errorf("%v is not a narrow type", d)
	}
	if err := CheckNarrow(d, data); err != nil {
		return nil, err
	}
	if x, ok := data.([]int8); ok {
		vals := make([]byte, len(x))
		for i, v := range x {
			vals[i] = byte(v)
		}
		return packNibbles(vals), nil
	}
	x := data.([]uint8)
	if d.IsPacked() {
		return packNibbles(x), nil
	}
	return append([]byte(nil), x...), nil
}

// CheckNarrow reports whether data is valid in-memory storage of narrow
// type d: the Go storage type of d.StorageDType(), with every 4-bit value
// in its range (i4 -8..7, u4 and f4e2m1 0..15).
func CheckNarrow(d DType, data any) error {
	if sd, _ := ElemsDType(data); sd != d.StorageDType() {
		return fmt.Errorf("tensor of dtype %v holds %T", d, data)
	}
	switch x := data.(type) {
	case []int8:
		for i, v := range x {
			if v < -8 || v > 7 {
				return fmt.Errorf("element %d: %d is out of range for %v", i, v, d)
			}
		}
	case []uint8:
		if !d.IsPacked() {
			return nil
		}
		for i, v := range x {
			if v > 15 {
				return fmt.Errorf("element %d: %d is out of range for %v", i, v, d)
			}
		}
	}
	return nil
}
