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

// maxTensorElems bounds a tensor's element count so that byte sizes cannot
// overflow int64 (16 bytes per element at most); real tensors are far
// smaller, and the bytes must be present anyway.
const maxTensorElems = 1 << 56

// decodeTensor converts tp to raw little-endian bytes. Data that is not
// inline (external files, payloads cut out of the model skeleton) is
// resolved by ext (nil: refuse external data, use inline bytes as they are).
// Every size is checked against the bytes actually present before anything
// is allocated, so a hostile shape cannot cause a giant allocation.
func decodeTensor(tp *onnxpb.TensorProto, ext externalLoader) (*tensorData, error) {
	d, err := DType(tp.GetDataType())
	if err != nil {
		return nil, err
	}
	if tp.Segment != nil {
		return nil, fmt.Errorf("segmented tensors are not supported")
	}
	n := int64(1)
	for _, s := range tp.Dims {
		if s < 0 {
			return nil, fmt.Errorf("negative dim %d in dims %v", s, tp.Dims)
		}
		if s > maxTensorElems || (s > 0 && n > maxTensorElems/s) {
			return nil, fmt.Errorf("dims %v: too many elements", tp.Dims)
		}
		n *= s
	}
	out := &tensorData{dtype: d, shape: append([]int64{}, tp.Dims...)}
	size := n * int64(d.Size())
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		if ext == nil {
			return nil, fmt.Errorf("external data is not allowed here")
		}
		if d == ir.String {
			return nil, fmt.Errorf("string tensors cannot use external data")
		}
		b, src, err := ext(tp, size)
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
	if ext != nil {
		b, src, err := ext(tp, size)
		if err != nil {
			return nil, err
		}
		if src != nil {
			out.bytes, out.source = b, src
			return out, nil
		}
	}
	if tp.RawData != nil {
		if int64(len(tp.RawData)) != size {
			return nil, fmt.Errorf("raw_data has %d bytes, %v%v needs %d", len(tp.RawData), d, tp.Dims, size)
		}
		out.bytes = tp.RawData
		return out, nil
	}
	count, per := len(tp.Int32Data), int64(1)
	switch d {
	case ir.F32:
		count = len(tp.FloatData)
	case ir.C64:
		count, per = len(tp.FloatData), 2
	case ir.F64:
		count = len(tp.DoubleData)
	case ir.C128:
		count, per = len(tp.DoubleData), 2
	case ir.I64:
		count = len(tp.Int64Data)
	case ir.U32, ir.U64:
		count = len(tp.Uint64Data)
	}
	if int64(count) != n*per {
		return nil, fmt.Errorf("%d typed values for %d elements of %v", count, n, d)
	}
	b := make([]byte, size)
	le := binary.LittleEndian
	switch d {
	case ir.F32, ir.C64: // complex64 as (real, imaginary) float pairs
		for i, v := range tp.FloatData {
			le.PutUint32(b[4*i:], math.Float32bits(v))
		}
	case ir.F64, ir.C128:
		for i, v := range tp.DoubleData {
			le.PutUint64(b[8*i:], math.Float64bits(v))
		}
	case ir.I64:
		for i, v := range tp.Int64Data {
			le.PutUint64(b[8*i:], uint64(v))
		}
	case ir.U32, ir.U64:
		for i, v := range tp.Uint64Data {
			if d == ir.U32 {
				le.PutUint32(b[4*i:], uint32(v))
			} else {
				le.PutUint64(b[8*i:], v)
			}
		}
	default: // int32_data carries i8, i16, i32, u8, u16, bool, and f16/bf16 bits
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
