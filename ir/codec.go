package ir

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The element codec: the one place that turns a tensor's little-endian bytes
// into typed Go slices and back. The printer and parser, constant reads for
// inference, the frontends, tensor files and the interpreter all go through
// it, so every layer agrees on the byte layout of every element type.
//
// Each element type has one Go storage type:
//
//	f32 []float32    f64 []float64    f16 []Float16    bf16 []BFloat16
//	i8  []int8       i16 []int16      i32 []int32      i64  []int64
//	u8  []uint8      u16 []uint16     u32 []uint32     u64  []uint64
//	bool []bool      string []string  c64 []complex64 c128 []complex128
//
// The narrow types (narrow.go) are held one element per byte: []uint8 for
// f8e4m3fn, f8e4m3fnuz, f8e5m2, f8e5m2fnuz, u4 and f4e2m1, []int8 for i4.
// ElemsDType cannot tell them from u8 and i8, so their byte form goes
// through DecodeNarrow and EncodeNarrow, which take the type.
//
// Strings have no byte form: a string constant keeps its values in
// Constant.Strings. Complex elements are (real, imaginary) pairs of floats;
// a bool is one byte, 0 or 1 (any other byte decodes as true).

// ByteSize returns the number of bytes n elements described by i occupy: n
// must be a multiple of i.BlockLen, and the result must fit in an int64.
// Types without a byte form (string, invalid) are an error.
func (i DTypeInfo) ByteSize(n int64) (int64, error) {
	if i.BlockLen <= 0 || i.BlockBytes <= 0 {
		return 0, fmt.Errorf("%s elements have no byte form", i.Name)
	}
	if n < 0 {
		return 0, fmt.Errorf("negative element count %d", n)
	}
	if i.Bits == 4 {
		return n/2 + n%2, nil // two per byte, an odd count padded
	}
	if n%int64(i.BlockLen) != 0 {
		return 0, fmt.Errorf("%d %s elements are not a whole number of %d-element blocks", n, i.Name, i.BlockLen)
	}
	blocks := n / int64(i.BlockLen)
	if blocks > math.MaxInt64/int64(i.BlockBytes) {
		return 0, fmt.Errorf("%d %s elements: byte size overflows", n, i.Name)
	}
	return blocks * int64(i.BlockBytes), nil
}

// ByteSize returns the number of bytes n elements of d occupy, counting
// block-quantized types by whole blocks (see DTypeInfo.ByteSize). It is the
// byte count every payload of d must have.
func (d DType) ByteSize(n int64) (int64, error) {
	if !d.Valid() {
		return 0, fmt.Errorf("invalid element type %v", d)
	}
	return d.Info().ByteSize(n)
}

// ByteSize returns the byte size of a value of tensor type t, which must
// have a static shape. The element count is overflow-checked.
func (t Type) ByteSize() (int64, error) {
	if !t.IsTensor() {
		return 0, fmt.Errorf("%v is not a tensor type", t)
	}
	if !t.Shape.IsStatic() {
		return 0, fmt.Errorf("%v has no static shape", t)
	}
	n := int64(1)
	for _, dim := range t.Shape.Dims {
		if dim.Size < 0 {
			return 0, fmt.Errorf("%v has a negative dim", t)
		}
		if dim.Size != 0 && n > math.MaxInt64/dim.Size {
			return 0, fmt.Errorf("%v: element count overflows", t)
		}
		n *= dim.Size
	}
	return t.DType.ByteSize(n)
}

// MakeElems returns a zeroed slice of n elements of d's Go storage type, or
// nil when d has none. A narrow type's storage is that of its
// StorageDType.
func MakeElems(d DType, n int) any {
	switch d.StorageDType() {
	case F32:
		return make([]float32, n)
	case F64:
		return make([]float64, n)
	case F16:
		return make([]Float16, n)
	case BF16:
		return make([]BFloat16, n)
	case I8:
		return make([]int8, n)
	case I16:
		return make([]int16, n)
	case I32:
		return make([]int32, n)
	case I64:
		return make([]int64, n)
	case U8:
		return make([]uint8, n)
	case U16:
		return make([]uint16, n)
	case U32:
		return make([]uint32, n)
	case U64:
		return make([]uint64, n)
	case Bool:
		return make([]bool, n)
	case String:
		return make([]string, n)
	case C64:
		return make([]complex64, n)
	case C128:
		return make([]complex128, n)
	}
	return nil
}

// ElemsDType returns the element type whose Go storage type data has, and
// its length; InvalidDType and -1 when data is not one of those slices.
func ElemsDType(data any) (DType, int) {
	switch x := data.(type) {
	case []float32:
		return F32, len(x)
	case []float64:
		return F64, len(x)
	case []Float16:
		return F16, len(x)
	case []BFloat16:
		return BF16, len(x)
	case []int8:
		return I8, len(x)
	case []int16:
		return I16, len(x)
	case []int32:
		return I32, len(x)
	case []int64:
		return I64, len(x)
	case []uint8:
		return U8, len(x)
	case []uint16:
		return U16, len(x)
	case []uint32:
		return U32, len(x)
	case []uint64:
		return U64, len(x)
	case []bool:
		return Bool, len(x)
	case []string:
		return String, len(x)
	case []complex64:
		return C64, len(x)
	case []complex128:
		return C128, len(x)
	}
	return InvalidDType, -1
}

// elemCount returns how many elements of d b holds, refusing a byte count
// that is not a whole number of elements, types without a byte form, and
// block-quantized types (whose elements are decoded a block at a time by
// their own code, not by this codec).
func elemCount(d DType, b []byte) (int, error) {
	if d == String || !d.Valid() {
		return 0, fmt.Errorf("%v elements have no byte form", d)
	}
	if d.IsPacked() {
		return 0, fmt.Errorf("%v elements are packed two per byte; their count is not in their bytes", d)
	}
	if d.Info().BlockLen != 1 {
		return 0, fmt.Errorf("%v elements are stored in blocks and have no one-element form", d)
	}
	size := d.Size()
	if len(b)%size != 0 {
		return 0, fmt.Errorf("%d bytes are not a whole number of %v elements", len(b), d)
	}
	return len(b) / size, nil
}

// DecodeElems decodes little-endian bytes into a new slice of d's Go
// storage type (see MakeElems). len(b) must be a whole number of elements.
func DecodeElems(d DType, b []byte) (any, error) {
	n, err := elemCount(d, b)
	if err != nil {
		return nil, err
	}
	if d.IsNarrow() {
		return DecodeNarrow(d, b, n)
	}
	le := binary.LittleEndian
	switch d {
	case F32:
		x := make([]float32, n)
		for i := range x {
			x[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
		return x, nil
	case F64:
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
		return x, nil
	case F16:
		x := make([]Float16, n)
		for i := range x {
			x[i] = Float16(le.Uint16(b[2*i:]))
		}
		return x, nil
	case BF16:
		x := make([]BFloat16, n)
		for i := range x {
			x[i] = BFloat16(le.Uint16(b[2*i:]))
		}
		return x, nil
	case I8:
		x := make([]int8, n)
		for i := range x {
			x[i] = int8(b[i])
		}
		return x, nil
	case I16:
		x := make([]int16, n)
		for i := range x {
			x[i] = int16(le.Uint16(b[2*i:]))
		}
		return x, nil
	case I32:
		x := make([]int32, n)
		for i := range x {
			x[i] = int32(le.Uint32(b[4*i:]))
		}
		return x, nil
	case I64:
		x := make([]int64, n)
		for i := range x {
			x[i] = int64(le.Uint64(b[8*i:]))
		}
		return x, nil
	case U8:
		return append([]uint8(nil), b...), nil
	case U16:
		x := make([]uint16, n)
		for i := range x {
			x[i] = le.Uint16(b[2*i:])
		}
		return x, nil
	case U32:
		x := make([]uint32, n)
		for i := range x {
			x[i] = le.Uint32(b[4*i:])
		}
		return x, nil
	case U64:
		x := make([]uint64, n)
		for i := range x {
			x[i] = le.Uint64(b[8*i:])
		}
		return x, nil
	case Bool:
		x := make([]bool, n)
		for i := range x {
			x[i] = b[i] != 0
		}
		return x, nil
	case C64:
		x := make([]complex64, n)
		for i := range x {
			x[i] = complex(math.Float32frombits(le.Uint32(b[8*i:])), math.Float32frombits(le.Uint32(b[8*i+4:])))
		}
		return x, nil
	case C128:
		x := make([]complex128, n)
		for i := range x {
			x[i] = complex(math.Float64frombits(le.Uint64(b[16*i:])), math.Float64frombits(le.Uint64(b[16*i+8:])))
		}
		return x, nil
	}
	return nil, fmt.Errorf("%v elements have no byte form", d)
}

// EncodeElems returns the little-endian bytes of data, a slice of one of
// the Go storage types (see MakeElems) other than []string.
func EncodeElems(data any) ([]byte, error) {
	d, n := ElemsDType(data)
	if d == InvalidDType || d == String {
		return nil, fmt.Errorf("cannot encode %T as element bytes", data)
	}
	b := make([]byte, n*d.Size())
	le := binary.LittleEndian
	switch x := data.(type) {
	case []float32:
		for i, v := range x {
			le.PutUint32(b[4*i:], math.Float32bits(v))
		}
	case []float64:
		for i, v := range x {
			le.PutUint64(b[8*i:], math.Float64bits(v))
		}
	case []Float16:
		for i, v := range x {
			le.PutUint16(b[2*i:], uint16(v))
		}
	case []BFloat16:
		for i, v := range x {
			le.PutUint16(b[2*i:], uint16(v))
		}
	case []int8:
		for i, v := range x {
			b[i] = byte(v)
		}
	case []int16:
		for i, v := range x {
			le.PutUint16(b[2*i:], uint16(v))
		}
	case []int32:
		for i, v := range x {
			le.PutUint32(b[4*i:], uint32(v))
		}
	case []int64:
		for i, v := range x {
			le.PutUint64(b[8*i:], uint64(v))
		}
	case []uint8:
		copy(b, x)
	case []uint16:
		for i, v := range x {
			le.PutUint16(b[2*i:], v)
		}
	case []uint32:
		for i, v := range x {
			le.PutUint32(b[4*i:], v)
		}
	case []uint64:
		for i, v := range x {
			le.PutUint64(b[8*i:], v)
		}
	case []bool:
		for i, v := range x {
			if v {
				b[i] = 1
			}
		}
	case []complex64:
		for i, v := range x {
			le.PutUint32(b[8*i:], math.Float32bits(real(v)))
			le.PutUint32(b[8*i+4:], math.Float32bits(imag(v)))
		}
	case []complex128:
		for i, v := range x {
			le.PutUint64(b[16*i:], math.Float64bits(real(v)))
			le.PutUint64(b[16*i+8:], math.Float64bits(imag(v)))
		}
	}
	return b, nil
}

// Elem is the set of Go storage types that have a byte form (every one
// but string).
type Elem interface {
	float32 | float64 | Float16 | BFloat16 | int8 | int16 | int32 | int64 |
		uint8 | uint16 | uint32 | uint64 | bool | complex64 | complex128
}

// EncodeSlice returns the little-endian bytes of x. It is EncodeElems for
// callers that hold a typed slice, which cannot fail.
func EncodeSlice[T Elem](x []T) []byte {
	b, err := EncodeElems(x)
	if err != nil {
		panic("ir: EncodeSlice: " + err.Error()) // unreachable: Elem lists encodable types only
	}
	return b
}

// loadBits reads one little-endian element of size bytes (1, 2, 4 or 8)
// from the start of b, zero-extended.
func loadBits(b []byte, size int) uint64 {
	switch size {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	}
	return binary.LittleEndian.Uint64(b)
}

// storeBits writes the low size bytes (1, 2, 4 or 8) of v little-endian to
// the start of b.
func storeBits(b []byte, size int, v uint64) {
	switch size {
	case 1:
		b[0] = byte(v)
	case 2:
		binary.LittleEndian.PutUint16(b, uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(b, uint32(v))
	default:
		binary.LittleEndian.PutUint64(b, v)
	}
}

// signExtend interprets the low bits of v, of a signed integer type of the
// given byte size, as an int64.
func signExtend(v uint64, size int) int64 {
	shift := 64 - 8*size
	return int64(v<<shift) >> shift
}

// DecodeInt64s reads little-endian elements of an integer type or bool as
// int64s (u64 values above the int64 range wrap, as a cast would).
func DecodeInt64s(d DType, b []byte) ([]int64, error) {
	if !d.IsInt() && d != Bool {
		return nil, fmt.Errorf("%v is not an integer type", d)
	}
	n, err := elemCount(d, b)
	if err != nil {
		return nil, err
	}
	size := d.Size()
	out := make([]int64, n)
	for i := range out {
		v := loadBits(b[i*size:], size)
		if d.Info().Signed {
			out[i] = signExtend(v, size)
		} else {
			out[i] = int64(v)
		}
	}
	return out, nil
}

// DecodeFloat64s reads little-endian elements of a real floating-point type
// as float64s (exactly: every f32, f16 and bf16 value is a float64).
func DecodeFloat64s(d DType, b []byte) ([]float64, error) {
	if !d.IsFloat() {
		return nil, fmt.Errorf("%v is not a floating-point type", d)
	}
	n, err := elemCount(d, b)
	if err != nil {
		return nil, err
	}
	size := d.Size()
	out := make([]float64, n)
	for i := range out {
		out[i] = bitsToFloat64(d, loadBits(b[i*size:], size))
	}
	return out, nil
}

// bitsToFloat64 converts the bits of one element of float type d.
func bitsToFloat64(d DType, v uint64) float64 {
	switch d {
	case F64:
		return math.Float64frombits(v)
	case F16:
		return float64(Float16(v).Float32())
	case BF16:
		return float64(BFloat16(v).Float32())
	}
	return float64(math.Float32frombits(uint32(v)))
}

// EncodeInt64s returns vals as little-endian elements of an integer type or
// bool, converted as a cast would: integers keep their low bits (wrapping),
// bool is 1 for every value but 0.
func EncodeInt64s(d DType, vals []int64) ([]byte, error) {
	if !d.IsInt() && d != Bool {
		return nil, fmt.Errorf("%v is not an integer type", d)
	}
	size := d.Size()
	b := make([]byte, len(vals)*size)
	for i, v := range vals {
		if d == Bool && v != 0 {
			v = 1
		}
		storeBits(b[i*size:], size, uint64(v))
	}
	return b, nil
}

// EncodeFloat64s returns vals as little-endian elements of a real
// floating-point, integer or bool type: floats round to nearest even (f16
// and bf16 by way of float32, as the text parser reads them), integers
// truncate toward zero and keep their low bits, bool is 1 for every value
// but 0.
func EncodeFloat64s(d DType, vals []float64) ([]byte, error) {
	if !d.IsFloat() && !d.IsInt() && d != Bool {
		return nil, fmt.Errorf("cannot encode real numbers as %v", d)
	}
	size := d.Size()
	b := make([]byte, len(vals)*size)
	for i, f := range vals {
		var v uint64
		switch {
		case d.IsFloat():
			v = floatBits(f, d)
		case d == Bool:
			if f != 0 {
				v = 1
			}
		default:
			v = uint64(int64(f))
		}
		storeBits(b[i*size:], size, v)
	}
	return b, nil
}

// floatBits rounds f to float type d and returns its bits.
func floatBits(f float64, d DType) uint64 {
	switch d {
	case F64:
		return math.Float64bits(f)
	case F16:
		return uint64(F16FromFloat32(float32(f)))
	case BF16:
		return uint64(BF16FromFloat32(float32(f)))
	}
	return uint64(math.Float32bits(float32(f)))
}
