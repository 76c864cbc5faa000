package onnx

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
)

// TestNarrowTensorProto reads the narrow types' payloads as ONNX stores
// them: raw_data (one byte per float8 element, two 4-bit elements per
// byte, low nibble first) and int32_data (a float8 element's bits, or one
// packed byte, per value), a padding nibble cleared.
func TestNarrowTensorProto(t *testing.T) {
	for _, tc := range []struct {
		code  int32
		dims  []int64
		raw   []byte
		i32   []int32
		dtype ir.DType
		want  string
		err   string
	}{
		{code: 22, dims: []int64{3}, raw: []byte{0x78, 0xff}, dtype: ir.I4, want: "[-8 7 -1]"},
		{code: 22, dims: []int64{3}, i32: []int32{0x78, 0x0f}, dtype: ir.I4, want: "[-8 7 -1]"},
		{code: 21, dims: []int64{2, 2}, i32: []int32{0x21, 0xf3}, dtype: ir.U4, want: "[1 2 3 15]"},
		{code: 23, dims: []int64{1}, raw: []byte{0xf7}, dtype: ir.F4E2M1, want: "[7]"},
		{code: 17, dims: []int64{2}, i32: []int32{0x38, 0xff}, dtype: ir.F8E4M3FN, want: "[56 255]"},
		{code: 19, dims: []int64{2}, raw: []byte{0x7c, 0x80}, dtype: ir.F8E5M2, want: "[124 128]"},
		{code: 18, dims: []int64{1}, i32: []int32{256}, err: "does not fit"},
		{code: 22, dims: []int64{3}, i32: []int32{0x78}, err: "1 typed values for 3 elements"},
		{code: 21, dims: []int64{3}, raw: []byte{0x78}, err: "raw_data has 1 bytes"},
	} {
		tp := &onnxpb.TensorProto{DataType: proto.Int32(tc.code), Dims: tc.dims, RawData: tc.raw, Int32Data: tc.i32}
		td, err := decodeTensor(tp, nil)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("type %d %v: error %v, want %q", tc.code, tc.dims, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("type %d %v: %v", tc.code, tc.dims, err)
			continue
		}
		if n := len(td.bytes); td.dtype.IsPacked() && tc.dims[0]%2 == 1 && td.bytes[n-1]&0xf0 != 0 {
			t.Errorf("type %d: padding nibble kept: % x", tc.code, td.bytes)
		}
		x, err := TensorFromProto(tp)
		if err != nil {
			t.Errorf("type %d: %v", tc.code, err)
			continue
		}
		if x.DType != tc.dtype || fmt.Sprint(x.Data) != tc.want {
			t.Errorf("type %d: %v %v, want %v %s", tc.code, x.DType, x.Data, tc.dtype, tc.want)
		}
		back, err := TensorToProto("t", x)
		if err != nil {
			t.Errorf("type %d: TensorToProto: %v", tc.code, err)
			continue
		}
		if back.GetDataType() != tc.code {
			t.Errorf("type %d: written back as %d", tc.code, back.GetDataType())
		}
	}
}
