package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// tensorData is a TensorProto's payload decoded into kiln's constant form:
// little-endian raw bytes (or strings), with its type.
type tensorData struct {
	dtype   ir.DType
	shape   []int64
	bytes   []byte
	strings []string
	source  *ir.Source // set when bytes alias a file region
}

func (t *tensorData) irType() ir.Type { return ir.TensorType(t.dtype, ir.ShapeOf(t.shape...)) }

// decodeTensor converts tp to raw little-endian bytes. External data is
// resolved by ext (nil: refuse external data).
func decodeTensor(tp *onnxpb.TensorProto, ext externalLoader) (*tensorData, error) {
	d, err := DType(tp.GetDataType())
	if err != nil {
		return nil, err
	}
	n := int64(1)
	for _, s := range tp.Dims {
		if s < 0 {
			return nil, fmt.Errorf("negative dim %d", s)
		}
		if s > 0 && n > math.MaxInt32/s {
			return nil, fmt.Errorf("dims %v: too many elements", tp.Dims)
		}
		n *= s
	}
	out := &tensorData{dtype: d, shape: append([]int64{}, tp.Dims...)}
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		if ext == nil {
			return nil, fmt.Errorf("external data is not allowed here")
		}
		if d == ir.String {
			return nil, fmt.Errorf("string tensors cannot use external data")
		}
		b, src, err := ext(tp, n*int64(d.Size()))
		if err != nil {
			return nil, err
		}
		out.bytes, out.source = b, src
		return out, nil
	}
	if d == ir.String {
		if int64(len(tp.StringData)) != n {
			return nil, fmt.Errorf("%d strings for %d elements", len(tp.StringData), n)
		}
		out.strings = make([]string, n)
		for i, s := range tp.StringData {
			out.strings[i] = string(s)
		}
		return out, nil
	}
	size := n * int64(d.Size())
	if tp.RawData != nil {
		if int64(len(tp.RawData)) != size {
			return nil, fmt.Errorf("raw_data has %d bytes, %v%v needs %d", len(tp.RawData), d, tp.Dims, size)
		}
		out.bytes = tp.RawData
		return out, nil
	}
	b := make([]byte, size)
	le := binary.LittleEndian
	count := func(have int, per int64) error {
		if int64(have) != n*per {
			return fmt.Errorf("%d typed values for %d elements of %v", have, n, d)
		}
		return nil
	}
	switch d {
	case ir.F32:
		if err := count(len(tp.FloatData), 1); err != nil {
			return nil, err
		}
		for i, v := range tp.FloatData {
			le.PutUint32(b[4*i:], math.Float32bits(v))
		}
	case ir.C64:
		if err := count(len(tp.FloatData), 2); err != nil {
			return nil, err
		}
		for i, v := range tp.FloatData {
			le.PutUint32(b[4*i:], math.Float32bits(v))
		}
	case ir.F64:
		if err := count(len(tp.DoubleData), 1); err != nil {
			return nil, err
		}
		for i, v := range tp.DoubleData {
			le.PutUint64(b[8*i:], math.Float64bits(v))
		}
	case ir.C128:
		if err := count(len(tp.DoubleData), 2); err != nil {
			return nil, err
		}
		for i, v := range tp.DoubleData {
			le.PutUint64(b[8*i:], math.Float64bits(v))
		}
	case ir.I64:
		if err := count(len(tp.Int64Data), 1); err != nil {
			return nil, err
		}
		for i, v := range tp.Int64Data {
			le.PutUint64(b[8*i:], uint64(v))
		}
	case ir.U32, ir.U64:
		if err := count(len(tp.Uint64Data), 1); err != nil {
			return nil, err
		}
		for i, v := range tp.Uint64Data {
			if d == ir.U32 {
				le.PutUint32(b[4*i:], uint32(v))
			} else {
				le.PutUint64(b[8*i:], v)
			}
		}
	default: // int32_data carries i8, i16, i32, u8, u16, bool, and f16/bf16 bits
		if err := count(len(tp.Int32Data), 1); err != nil {
			return nil, err
		}
		for i, v := range tp.Int32Data {
			switch d.Size() {
			case 1:
				b[i] = byte(v)
			case 2:
				le.PutUint16(b[2*i:], uint16(v))
			case 4:
				le.PutUint32(b[4*i:], uint32(v))
			}
		}
	}
	out.bytes = b
	return out, nil
}

// TensorFromProto converts an ONNX TensorProto (without external data) to
// an interpreter tensor.
func TensorFromProto(tp *onnxpb.TensorProto) (*interp.Tensor, error) {
	td, err := decodeTensor(tp, nil)
	if err != nil {
		return nil, err
	}
	shape := make([]int, len(td.shape))
	for i, s := range td.shape {
		shape[i] = int(s)
	}
	if td.dtype == ir.String {
		return interp.FromSlice(shape, td.strings), nil
	}
	return interp.DecodeBytes(td.dtype, shape, td.bytes)
}

// TensorToProto converts an interpreter tensor to an ONNX TensorProto with
// raw_data (string_data for strings).
func TensorToProto(name string, t *interp.Tensor) (*onnxpb.TensorProto, error) {
	tp := &onnxpb.TensorProto{Name: &name}
	code := ONNXDType(t.DType)
	tp.DataType = &code
	for _, s := range t.Shape {
		tp.Dims = append(tp.Dims, int64(s))
	}
	if t.DType == ir.String {
		for _, s := range interp.Data[string](t) {
			tp.StringData = append(tp.StringData, []byte(s))
		}
		return tp, nil
	}
	b, err := interp.EncodeBytes(t)
	if err != nil {
		return nil, err
	}
	tp.RawData = b
	return tp, nil
}
