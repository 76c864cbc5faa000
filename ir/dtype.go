package ir

import (
	"fmt"
	"math"
)

// DType is the element type of a tensor. The numbering is kiln's own;
// frontends map their formats' codes onto it.
type DType uint8

// Element types. Every ONNX tensor element type has one. The block types
// after C128 are ggml's quantized formats (package ir/quant decodes them):
// BlockLen consecutive elements of a tensor's innermost dim are stored
// together in BlockBytes bytes, so a value of such a type has an innermost
// dim that is a whole number of blocks, and its elements have no one-element
// form.
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
	Q4_0   // ggml Q4_0: 32 elements, an f16 scale and 4-bit codes
	Q4_1   // ggml Q4_1: 32 elements, f16 scale and minimum, 4-bit codes
	Q5_0   // ggml Q5_0: 32 elements, an f16 scale and 5-bit codes
	Q5_1   // ggml Q5_1: 32 elements, f16 scale and minimum, 5-bit codes
	Q8_0   // ggml Q8_0: 32 elements, an f16 scale and int8 codes
	Q2_K   // ggml Q2_K: 256 elements in 16 groups with 4-bit scales and minimums, 2-bit codes
	Q3_K   // ggml Q3_K: 256 elements in 16 groups with 6-bit scales, 3-bit codes
	Q4_K   // ggml Q4_K: 256 elements in 8 groups with 6-bit scales and minimums, 4-bit codes
	Q5_K   // ggml Q5_K: 256 elements in 8 groups with 6-bit scales and minimums, 5-bit codes
	Q6_K   // ggml Q6_K: 256 elements in 16 groups with int8 scales, 6-bit codes
	IQ4_NL // ggml IQ4_NL: 32 elements, an f16 scale and 4-bit indices into a non-uniform grid
	IQ4_XS // ggml IQ4_XS: 256 elements in 8 groups with 6-bit scales, IQ4_NL's grid

	// ONNX's narrow types (see narrow.go): four 8-bit floats, two 4-bit
	// integers and a 4-bit float. They are held one element per byte in
	// memory and packed as ONNX stores them in their byte form.
	F8E4M3FN   // float8: 4 exponent bits, 3 mantissa bits, no infinities, NaN S.1111.111
	F8E4M3FNUZ // float8: 4 exponent bits (bias 8), no infinities or -0, one NaN (0x80)
	F8E5M2     // float8: 5 exponent bits, 2 mantissa bits, IEEE-style infinities and NaNs
	F8E5M2FNUZ // float8: 5 exponent bits (bias 16), no infinities or -0, one NaN (0x80)
	I4         // 4-bit signed integer, -8..7; two per byte, low nibble first
	U4         // 4-bit unsigned integer, 0..15; two per byte, low nibble first
	F4E2M1     // float4: 2 exponent bits, 1 mantissa bit, no infinities or NaN; two per byte
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
	// Narrow marks ONNX's 8- and 4-bit float8, int4, uint4 and float4
	// types. Their elements are held one per byte in memory (the Go
	// storage type of StorageDType) and have no arithmetic: Cast, the
	// quantize ops and data movement take them.
	Narrow bool
	// Bits is the width of one element in the byte form when it is not a
	// whole byte: 4 for the packed types (two elements per byte, low
	// nibble first, an odd count padded with a zero nibble), else 0.
	Bits int
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
	Q4_0:         {Name: "q4_0", BlockLen: 32, BlockBytes: 18},
	Q4_1:         {Name: "q4_1", BlockLen: 32, BlockBytes: 20},
	Q5_0:         {Name: "q5_0", BlockLen: 32, BlockBytes: 22},
	Q5_1:         {Name: "q5_1", BlockLen: 32, BlockBytes: 24},
	Q8_0:         {Name: "q8_0", BlockLen: 32, BlockBytes: 34},
	Q2_K:         {Name: "q2_k", BlockLen: 256, BlockBytes: 84},
	Q3_K:         {Name: "q3_k", BlockLen: 256, BlockBytes: 110},
	Q4_K:         {Name: "q4_k", BlockLen: 256, BlockBytes: 144},
	Q5_K:         {Name: "q5_k", BlockLen: 256, BlockBytes: 176},
	Q6_K:         {Name: "q6_k", BlockLen: 256, BlockBytes: 210},
	IQ4_NL:       {Name: "iq4_nl", BlockLen: 32, BlockBytes: 18},
	IQ4_XS:       {Name: "iq4_xs", BlockLen: 256, BlockBytes: 136},
	F8E4M3FN:     {Name: "f8e4m3fn", BlockLen: 1, BlockBytes: 1, Signed: true, Narrow: true},
	F8E4M3FNUZ:   {Name: "f8e4m3fnuz", BlockLen: 1, BlockBytes: 1, Signed: true, Narrow: true},
	F8E5M2:       {Name: "f8e5m2", BlockLen: 1, BlockBytes: 1, Signed: true, Narrow: true},
	F8E5M2FNUZ:   {Name: "f8e5m2fnuz", BlockLen: 1, BlockBytes: 1, Signed: true, Narrow: true},
	I4:           {Name: "i4", BlockLen: 1, BlockBytes: 1, Signed: true, Narrow: true, Bits: 4},
	U4:           {Name: "u4", BlockLen: 1, BlockBytes: 1, Narrow: true, Bits: 4},
	F4E2M1:       {Name: "f4e2m1", BlockLen: 1, BlockBytes: 1, Signed: true, Narrow: true, Bits: 4},
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

// Size returns the byte size of one element of a scalar type, 0 for string,
// for block types and for the packed 4-bit types, whose elements have no
// byte size of their own (use ByteSize).
func (d DType) Size() int {
	if i := d.Info(); i.BlockLen == 1 && i.Bits == 0 {
		return i.BlockBytes
	}
	return 0
}

// IsBlock reports whether d is a block-quantized type (BlockLen > 1).
func (d DType) IsBlock() bool { return d.Info().BlockLen > 1 }

// BlockShapeError returns an error when t, or a type t holds (the element
// of a sequence or optional), is a tensor of a block type whose innermost
// dim is not a whole number of blocks, or a scalar of one. Unknown and
// symbolic innermost dims pass: they are checked when they are known.
func BlockShapeError(t Type) error {
	for t.Kind != TensorKind {
		if t.Elem == nil {
			return nil
		}
		t = *t.Elem
	}
	i := t.DType.Info()
	if i.BlockLen <= 1 || !t.Shape.Ranked {
		return nil
	}
	if len(t.Shape.Dims) == 0 {
		return fmt.Errorf("%v: a %s scalar is less than one %d-element block", t, i.Name, i.BlockLen)
	}
	last := t.Shape.Dims[len(t.Shape.Dims)-1]
	if last.IsStatic() && last.Size%int64(i.BlockLen) != 0 {
		return fmt.Errorf("%v: innermost dim %d is not a whole number of %d-element %s blocks", t, last.Size, i.BlockLen, i.Name)
	}
	return nil
}

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
