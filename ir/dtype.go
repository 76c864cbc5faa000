package ir

import (
	"fmt"
	"math"
)

// DType is the element type of a tensor. The numbering is kiln's own;
// frontends map their formats' codes onto it.
type DType uint8

// Element types. Every ONNX tensor element type has one; quantized block
// types (ggml's Q4_0, Q4_K, ...) will be added after BF16 and described by
// the block fields of DTypeInfo.
const (
	InvalidDType DType = iota
	F32
	F64
	F16
	BF16
	I8
	I16
	I32
	I64
	U8
	U16
	U32
	U64
	Bool
	String
	C64
	C128
	numDTypes
)

// DTypeInfo describes an element type. For scalar types BlockLen is 1 and
// BlockBytes is the size of one element; a quantized block type stores
// BlockLen elements in BlockBytes bytes.
type DTypeInfo struct {
	Name       string // text-form name: f32, i64, bool, ...
	BlockLen   int
	BlockBytes int
	Float      bool // IEEE-style floating point (incl. f16, bf16)
	Int        bool // integer (signed or unsigned)
	Signed     bool
	Complex    bool
}

var dtypeInfo = [numDTypes]DTypeInfo{
	InvalidDType: {Name: "invalid"},
	F32:          {Name: "f32", BlockLen: 1, BlockBytes: 4, Float: true, Signed: true},
	F64:          {Name: "f64", BlockLen: 1, BlockBytes: 8, Float: true, Signed: true},
	F16:          {Name: "f16", BlockLen: 1, BlockBytes: 2, Float: true, Signed: true},
	BF16:         {Name: "bf16", BlockLen: 1, BlockBytes: 2, Float: true, Signed: true},
	I8:           {Name: "i8", BlockLen: 1, BlockBytes: 1, Int: true, Signed: true},
	I16:          {Name: "i16", BlockLen: 1, BlockBytes: 2, Int: true, Signed: true},
	I32:          {Name: "i32", BlockLen: 1, BlockBytes: 4, Int: true, Signed: true},
	I64:          {Name: "i64", BlockLen: 1, BlockBytes: 8, Int: true, Signed: true},
	U8:           {Name: "u8", BlockLen: 1, BlockBytes: 1, Int: true},
	U16:          {Name: "u16", BlockLen: 1, BlockBytes: 2, Int: true},
	U32:          {Name: "u32", BlockLen: 1, BlockBytes: 4, Int: true},
	U64:          {Name: "u64", BlockLen: 1, BlockBytes: 8, Int: true},
	Bool:         {Name: "bool", BlockLen: 1, BlockBytes: 1},
	String:       {Name: "string", BlockLen: 1, BlockBytes: 0},
	C64:          {Name: "c64", BlockLen: 1, BlockBytes: 8, Complex: true, Signed: true},
	C128:         {Name: "c128", BlockLen: 1, BlockBytes: 16, Complex: true, Signed: true},
}

// Info returns the description of d.
func (d DType) Info() DTypeInfo {
	if d >= numDTypes {
		return dtypeInfo[InvalidDType]
	}
	return dtypeInfo[d]
}

// String returns the text-form name of d.
func (d DType) String() string {
	if d >= numDTypes {
		return fmt.Sprintf("dtype(%d)", uint8(d))
	}
	return dtypeInfo[d].Name
}

// Size returns the byte size of one element of a scalar type, 0 for string.
func (d DType) Size() int { return d.Info().BlockBytes }

// IsFloat reports whether d is a real floating-point type.
func (d DType) IsFloat() bool { return d.Info().Float }

// IsInt reports whether d is an integer type.
func (d DType) IsInt() bool { return d.Info().Int }

// Valid reports whether d is a known element type.
func (d DType) Valid() bool { return d > InvalidDType && d < numDTypes }

// DTypes lists every valid element type in declaration order.
func DTypes() []DType {
	out := make([]DType, 0, numDTypes-1)
	for d := DType(1); d < numDTypes; d++ {
		out = append(out, d)
	}
	return out
}

// ParseDType returns the element type with text-form name s.
func ParseDType(s string) (DType, bool) {
	for d := DType(1); d < numDTypes; d++ {
		if dtypeInfo[d].Name == s {
			return d, true
		}
	}
	return InvalidDType, false
}

// Float16 is an IEEE 754 binary16 value, stored as its bits.
type Float16 uint16

// BFloat16 is a bfloat16 value (the top half of a float32), stored as its bits.
type BFloat16 uint16

// Float32 converts h to float32 exactly.
func (h Float16) Float32() float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // inf or NaN; keep the payload
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: value is mant * 2^-24.
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// F16FromFloat32 rounds f to the nearest binary16 value, ties to even.
func F16FromFloat32(f float32) Float16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			// NaN: keep it quiet and keep the top payload bits.
			return Float16(sign | 0x7e00 | uint16(mant>>13))
		}
		return Float16(sign | 0x7c00)
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return Float16(sign | 0x7c00)
	}
	if e <= 0 {
		// Subnormal or zero in binary16.
		if e < -10 {
			return Float16(sign)
		}
		m := mant | 0x800000
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		r := m >> shift
		rem := m & (1<<shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return Float16(sign | uint16(r))
	}
	r := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++ // may carry into the exponent, which is the right result
	}
	return Float16(sign | uint16(r))
}

// Float32 converts b to float32 exactly.
func (b BFloat16) Float32() float32 { return math.Float32frombits(uint32(b) << 16) }

// BF16FromFloat32 rounds f to the nearest bfloat16 value, ties to even.
func BF16FromFloat32(f float32) BFloat16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep it quiet
		return BFloat16(b>>16 | 0x40)
	}
	r := b + 0x7fff + (b>>16)&1
	return BFloat16(r >> 16)
}
