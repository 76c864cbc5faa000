package interp

import (
	"fmt"
	"math"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// Expected values below are worked out by hand from the formats' bit
// layouts and the rules cast_narrow.go states; the live comparisons with
// ONNX Runtime are in frontend/onnx/modeltest (narrow_test.go).

func TestCastNarrow(t *testing.T) {
	x := FromSlice([]int{8}, []float32{1.0625, -500, 480, float32(math.Inf(1)), 2.5, -0.75, 12, float32(math.NaN())})
	for _, tc := range []struct {
		to   ir.DType
		sat  bool
		want string
	}{
		// 1.0625 ties to 1 (0x38); -500 saturates to -448 (0xfe) or is
		// NaN (0xff); 480 is 448 either way; +Inf is 448 or NaN; 2.5 is
		// 0x42; -0.75 is 0xb4; 12 is 0x54; NaN is 0x7f.
		{ir.F8E4M3FN, true, "[56 254 126 126 66 180 84 127]"},
		{ir.F8E4M3FN, false, "[56 255 126 127 66 180 84 127]"},
		// E5M2: 1.0625 ties to 1 (0x3c); -500 is -512 (0xe0); 480 is 512
		// (0x60); +Inf saturates to 0x7b or stays 0x7c; 2.5 is 0x41; -0.75
		// is 0xba; 12 is 0x4a; NaN is 0x7f.
		{ir.F8E5M2, true, "[60 224 96 123 65 186 74 127]"},
		{ir.F8E5M2, false, "[60 224 96 124 65 186 74 127]"},
		// int4: ties away from zero, then the low four bits (12 and -500
		// are -4);
		// Inf and NaN are 0.
		{ir.I4, true, "[1 -4 0 0 3 -1 -4 0]"},
		{ir.U4, true, "[1 12 0 0 3 15 12 0]"},
		// float4: 1.0625 is 1 (0x2); -500 saturates to -6 (0xf); 480 and
		// Inf to 6 (0x7); 2.5 ties to 2 (0x4); -0.75 ties to -1 (0xa);
		// 12 to 6; NaN to 6.
		{ir.F4E2M1, false, "[2 15 7 7 4 10 7 7]"},
	} {
		got, err := CastSaturate(x, tc.to, tc.sat)
		if err != nil {
			t.Errorf("Cast to %v: %v", tc.to, err)
			continue
		}
		if s := fmt.Sprint(got.Data); got.DType != tc.to || s != tc.want {
			t.Errorf("Cast to %v saturate %v: %v %s, want %s", tc.to, tc.sat, got.DType, s, tc.want)
		}
	}
	// Back to f32, exactly.
	codes := &Tensor{DType: ir.F8E4M3FNUZ, Shape: []int{4}, Data: []uint8{0x80, 0x7f, 0x01, 0xc0}}
	got, err := CastTensor(codes, ir.F32)
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprint(got.Data); s != "[NaN 240 0.0009765625 -1]" {
		t.Errorf("f8e4m3fnuz to f32: %s", s)
	}
	i4 := &Tensor{DType: ir.I4, Shape: []int{3}, Data: []int8{-8, 7, -1}}
	if got, err := CastTensor(i4, ir.U4); err != nil || fmt.Sprint(got.Data) != "[8 7 15]" {
		t.Errorf("i4 to u4: %v, %v; want [8 7 15]", got, err)
	}
	bad := &Tensor{DType: ir.U4, Shape: []int{1}, Data: []uint8{16}}
	if _, err := CastTensor(bad, ir.F32); err == nil {
		t.Error("u4 holding 16: no error")
	}
}

// TestQDQNarrow quantizes to int4 per block and to float8, and
// dequantizes back.
func TestQDQNarrow(t *testing.T) {
	m, err := ir.Parse("q.kir", []byte(`func @main(%0 "x": f32[2,4], %1 "s": f32[2,2]) -> ("q": i4[2,4], "y": f32[2,4], "f": f8e4m3fn[2,4]) {
  %2 = QuantizeLinear(%0, %1) {axis = 1, block_size = 2, output_dtype = i4} : i4[2,4]
  %3 = DequantizeLinear(%2, %1) {axis = 1, block_size = 2} : f32[2,4]
  %4 = QuantizeLinear(%0, %1) {axis = 1, block_size = 2, output_dtype = f8e4m3fn, saturate = 0} : f8e4m3fn[2,4]
  return %2, %3, %4
}
`), ir.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x := FromSlice([]int{2, 4}, []float32{1, -3, 20, 0.75, 5, 5, -100, 2})
	s := FromSlice([]int{2, 2}, []float32{1, 0.5, 2, 0.125})
	res, err := New(m, Options{}).Run("", []Value{x, s})
	if err != nil {
		t.Fatal(err)
	}
	// x / s per block of two along axis 1: [1 -3 40 1.5] [2.5 2.5 -800
	// 16], rounded half to even and clamped to -8..7.
	if got := fmt.Sprint(res[0].(*Tensor).Data); got != "[1 -3 7 2 2 2 -8 7]" {
		t.Errorf("q = %s", got)
	}
	if got := fmt.Sprint(res[1].(*Tensor).Data); got != "[1 -3 3.5 1 4 4 -1 0.875]" {
		t.Errorf("y = %s", got)
	}
	// The same quotients in E4M3FN without saturation: 1 (0x38), -3
	// (0xc4), 40 (0x62), 1.5 (0x3c), 2.5 (0x42), 2.5, -800 (NaN 0xff), 16
	// (0x58).
	if got := fmt.Sprint(res[2].(*Tensor).Data); got != "[56 196 98 60 66 66 255 88]" {
		t.Errorf("f = %s", got)
	}
}
