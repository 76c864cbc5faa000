package ir

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestDTypeInfoByteSize(t *testing.T) {
	// A block type as ggml's q8_0 lays it out: 32 elements in 34 bytes. And
	// one with 18-byte blocks (q4_0's layout). Neither is a kiln DType yet.
	q8 := DTypeInfo{Name: "q8_test", BlockLen: 32, BlockBytes: 34}
	q4 := DTypeInfo{Name: "q4_test", BlockLen: 32, BlockBytes: 18}
	tests := []struct {
		info    DTypeInfo
		n       int64
		want    int64
		wantErr string
	}{
		{q8, 0, 0, ""},
		{q8, 32, 34, ""},
		{q8, 4096, 128 * 34, ""},
		{q4, 64, 36, ""},
		{q4, 33, 0, "not a whole number of 32-element blocks"},
		{q4, 16, 0, "not a whole number"},
		{q4, -32, 0, "negative"},
		{q8, math.MaxInt64 / 32 * 32, 0, "overflows"}, // more bytes than elements
		{q4, math.MaxInt64 / 18 / 32 * 32, math.MaxInt64 / 18 / 32 * 18, ""},
		{F32.Info(), 3, 12, ""},
		{C128.Info(), 5, 80, ""},
		{F32.Info(), math.MaxInt64/4 + 1, 0, "overflows"},
		{String.Info(), 1, 0, "no byte form"},
		{InvalidDType.Info(), 1, 0, "no byte form"},
	}
	for _, tc := range tests {
		got, err := tc.info.ByteSize(tc.n)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s.ByteSize(%d) = %d, %v; want error containing %q", tc.info.Name, tc.n, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s.ByteSize(%d) = %d, %v; want %d", tc.info.Name, tc.n, got, err, tc.want)
		}
	}
}

func TestTypeByteSize(t *testing.T) {
	tests := []struct {
		typ     Type
		want    int64
		wantErr string
	}{
		{TensorType(F32, ShapeOf(2, 3)), 24, ""},
		{TensorType(F16, ShapeOf()), 2, ""},
		{TensorType(I64, ShapeOf(0, 7)), 0, ""},
		{TensorType(Bool, ShapeOf(5)), 5, ""},
		{TensorType(F32, ShapeOf(1<<40, 1<<40)), 0, "overflows"},
		{TensorType(U8, ShapeOf(1<<31, 1<<31, 1<<2)), 0, "overflows"},
		{TensorType(F32, Shape{Ranked: true, Dims: []Dim{Unknown()}}), 0, "static"},
		{TensorType(String, ShapeOf(2)), 0, "no byte form"},
		{TensorType(InvalidDType, ShapeOf(2)), 0, "invalid element type"},
		{SequenceOf(TensorType(F32, ShapeOf(2))), 0, "not a tensor type"},
	}
	for _, tc := range tests {
		got, err := tc.typ.ByteSize()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v.ByteSize() = %d, %v; want error containing %q", tc.typ, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%v.ByteSize() = %d, %v; want %d", tc.typ, got, err, tc.want)
		}
	}
}

// The byte patterns below are written out by hand from the IEEE 754 and
// two's complement encodings, little-endian.
var codecCases = []struct {
	d     DType
	bytes []byte
	elems any
}{
	{F32, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}, []float32{1, -2}},
	{F64, []byte{0, 0, 0, 0, 0, 0, 0xe0, 0x3f}, []float64{0.5}},
	{F16, []byte{0, 0x3c, 0x00, 0x7c}, []Float16{0x3c00, 0x7c00}},
	{BF16, []byte{0x80, 0x3f}, []BFloat16{0x3f80}},
	{I8, []byte{0xff, 0x7f}, []int8{-1, 127}},
	{I16, []byte{0xfe, 0xff}, []int16{-2}},
	{I32, []byte{0xfd, 0xff, 0xff, 0xff, 1, 0, 0, 0}, []int32{-3, 1}},
	{I64, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, []int64{-1}},
	{U8, []byte{0, 0xff}, []uint8{0, 255}},
	{U16, []byte{0x34, 0x12}, []uint16{0x1234}},
	{U32, []byte{4, 3, 2, 1}, []uint32{0x01020304}},
	{U64, []byte{8, 7, 6, 5, 4, 3, 2, 1}, []uint64{0x0102030405060708}},
	{Bool, []byte{1, 0}, []bool{true, false}},
	{C64, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}, []complex64{complex(1, -2)}},
	{C128, []byte{0, 0, 0, 0, 0, 0, 0xe0, 0x3f, 0, 0, 0, 0, 0, 0, 0xf0, 0xbf}, []complex128{complex(0.5, -1)}},
	{F32, []byte{}, []float32{}},
}

func TestDecodeEncodeElems(t *testing.T) {
	for _, tc := range codecCases {
		got, err := DecodeElems(tc.d, tc.bytes)
		if err != nil || !reflect.DeepEqual(got, tc.elems) {
			t.Errorf("DecodeElems(%v, % x) = %#v, %v; want %#v", tc.d, tc.bytes, got, err, tc.elems)
		}
		b, err := EncodeElems(tc.elems)
		if err != nil || !bytes.Equal(b, tc.bytes) {
			t.Errorf("EncodeElems(%#v) = % x, %v; want % x", tc.elems, b, err, tc.bytes)
		}
		if d, n := ElemsDType(tc.elems); d != tc.d || n != reflect.ValueOf(tc.elems).Len() {
			t.Errorf("ElemsDType(%T) = %v, %d", tc.elems, d, n)
		}
		if z := MakeElems(tc.d, 3); reflect.TypeOf(z) != reflect.TypeOf(tc.elems) || reflect.ValueOf(z).Len() != 3 {
			t.Errorf("MakeElems(%v, 3) = %#v", tc.d, z)
		}
	}
	if b := EncodeSlice([]int16{-2, 3}); !bytes.Equal(b, []byte{0xfe, 0xff, 3, 0}) {
		t.Errorf("EncodeSlice([]int16{-2, 3}) = % x", b)
	}
	// Decoding copies: changing the source afterwards leaves the slice alone.
	src := []byte{7, 9}
	got, _ := DecodeElems(U8, src)
	src[0] = 0
	if got.([]uint8)[0] != 7 {
		t.Errorf("DecodeElems(U8) aliases its input")
	}
	// Any nonzero byte is true.
	if got, _ := DecodeElems(Bool, []byte{2}); !got.([]bool)[0] {
		t.Errorf("DecodeElems(Bool, 02) = false")
	}
}

func TestCodecErrors(t *testing.T) {
	tests := []struct {
		name    string
		run     func() error
		wantErr string
	}{
		{"odd f32 bytes", func() error { _, err := DecodeElems(F32, []byte{1, 2, 3}); return err }, "whole number"},
		{"string decode", func() error { _, err := DecodeElems(String, []byte{1}); return err }, "no byte form"},
		{"invalid decode", func() error { _, err := DecodeElems(InvalidDType, []byte{1}); return err }, "no byte form"},
		{"string encode", func() error { _, err := EncodeElems([]string{"a"}); return err }, "cannot encode"},
		{"non-slice encode", func() error { _, err := EncodeElems(42); return err }, "cannot encode"},
		{"ints of f32", func() error { _, err := DecodeInt64s(F32, make([]byte, 4)); return err }, "not an integer type"},
		{"floats of i32", func() error { _, err := DecodeFloat64s(I32, make([]byte, 4)); return err }, "not a floating-point type"},
		{"odd i16 bytes", func() error { _, err := DecodeInt64s(I16, make([]byte, 3)); return err }, "whole number"},
		{"encode ints as f32", func() error { _, err := EncodeInt64s(F32, []int64{1}); return err }, "not an integer type"},
		{"encode floats as c64", func() error { _, err := EncodeFloat64s(C64, []float64{1}); return err }, "cannot encode"},
		{"encode floats as string", func() error { _, err := EncodeFloat64s(String, []float64{1}); return err }, "cannot encode"},
	}
	for _, tc := range tests {
		err := tc.run()
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestDecodeNumbers(t *testing.T) {
	ints := []struct {
		d     DType
		bytes []byte
		want  []int64
	}{
		{I8, []byte{0xff, 0x80}, []int64{-1, -128}},
		{U8, []byte{0xff}, []int64{255}},
		{I16, []byte{0x00, 0x80}, []int64{-32768}},
		{U16, []byte{0x00, 0x80}, []int64{32768}},
		{I32, []byte{0xfe, 0xff, 0xff, 0xff}, []int64{-2}},
		{U32, []byte{0xfe, 0xff, 0xff, 0xff}, []int64{4294967294}},
		{I64, []byte{5, 0, 0, 0, 0, 0, 0, 0}, []int64{5}},
		{U64, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, []int64{-1}},
		{Bool, []byte{0, 1, 2}, []int64{0, 1, 2}},
	}
	for _, tc := range ints {
		got, err := DecodeInt64s(tc.d, tc.bytes)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("DecodeInt64s(%v, % x) = %v, %v; want %v", tc.d, tc.bytes, got, err, tc.want)
		}
	}
	floats := []struct {
		d     DType
		bytes []byte
		want  []float64
	}{
		{F32, []byte{0, 0, 0xc0, 0x3f}, []float64{1.5}},
		{F64, []byte{0, 0, 0, 0, 0, 0, 0xf0, 0xbf}, []float64{-1}},
		{F16, []byte{0x00, 0x3c, 0x01, 0x00}, []float64{1, math.Ldexp(1, -24)}},
		{BF16, []byte{0x00, 0xc0}, []float64{-2}},
	}
	for _, tc := range floats {
		got, err := DecodeFloat64s(tc.d, tc.bytes)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("DecodeFloat64s(%v, % x) = %v, %v; want %v", tc.d, tc.bytes, got, err, tc.want)
		}
	}
}

func TestEncodeNumbers(t *testing.T) {
	tests := []struct {
		name string
		got  func() ([]byte, error)
		want []byte
	}{
		{"i16 wraps", func() ([]byte, error) { return EncodeInt64s(I16, []int64{-2, 65537}) }, []byte{0xfe, 0xff, 1, 0}},
		{"u8", func() ([]byte, error) { return EncodeInt64s(U8, []int64{255, 256}) }, []byte{0xff, 0}},
		{"bool from ints", func() ([]byte, error) { return EncodeInt64s(Bool, []int64{0, 5, -1}) }, []byte{0, 1, 1}},
		{"i64", func() ([]byte, error) { return EncodeInt64s(I64, []int64{-1}) }, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"f32", func() ([]byte, error) { return EncodeFloat64s(F32, []float64{1, -2}) }, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}},
		{"f64", func() ([]byte, error) { return EncodeFloat64s(F64, []float64{0.5}) }, []byte{0, 0, 0, 0, 0, 0, 0xe0, 0x3f}},
		// 1+2^-11 is halfway between 1 and the next f16; ties go to even (1).
		{"f16 ties to even", func() ([]byte, error) { return EncodeFloat64s(F16, []float64{1, 1 + math.Ldexp(1, -11)}) }, []byte{0x00, 0x3c, 0x00, 0x3c}},
		{"bf16", func() ([]byte, error) { return EncodeFloat64s(BF16, []float64{-2}) }, []byte{0x00, 0xc0}},
		{"i8 truncates", func() ([]byte, error) { return EncodeFloat64s(I8, []float64{-1.7, 2.9}) }, []byte{0xff, 2}},
		{"u32 from float", func() ([]byte, error) { return EncodeFloat64s(U32, []float64{7}) }, []byte{7, 0, 0, 0}},
		{"bool from floats", func() ([]byte, error) { return EncodeFloat64s(Bool, []float64{0, 0.5}) }, []byte{0, 1}},
	}
	for _, tc := range tests {
		got, err := tc.got()
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: % x, %v; want % x", tc.name, got, err, tc.want)
		}
	}
}
