package onnx

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
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
	var size int64 // byte size; strings have none
	if d != ir.String {
		if size, err = d.ByteSize(n); err != nil {
			return nil, err
		}
	}
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
		if d.IsPacked() && n%2 == 1 && tp.RawData[size-1]&0xf0 != 0 {
			out.bytes = append([]byte(nil), tp.RawData...)
			clearPadding(d, n, out.bytes)
		}
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
	want := n * per
	if d.IsPacked() {
		want = size // int32_data holds the packed bytes
	}
	if int64(count) != want {
		return nil, fmt.Errorf("%d typed values for %d elements of %v", count, n, d)
	}
	if err := checkTypedRange(tp, d); err != nil {
		return nil, err
	}
	var b []byte
	switch d {
	case ir.F32, ir.C64: // complex64 as (real, imaginary) float pairs
		b = ir.EncodeSlice(tp.FloatData)
	case ir.F64, ir.C128:
		b = ir.EncodeSlice(tp.DoubleData)
	case ir.I64:
		b = ir.EncodeSlice(tp.Int64Data)
	case ir.U64:
		b = ir.EncodeSlice(tp.Uint64Data)
	case ir.U32:
		vals := make([]uint32, len(tp.Uint64Data))
		for i, v := range tp.Uint64Data {
			vals[i] = uint32(v)
		}
		b = ir.EncodeSlice(vals)
	case ir.F8E4M3FN, ir.F8E4M3FNUZ, ir.F8E5M2, ir.F8E5M2FNUZ:
		// int32_data carries each float8 value's bits.
		b = make([]byte, len(tp.Int32Data))
		for i, v := range tp.Int32Data {
			b[i] = byte(v)
		}
	case ir.I4, ir.U4, ir.F4E2M1:
		// int32_data carries the packed bytes, two elements each.
		b = make([]byte, len(tp.Int32Data))
		for i, v := range tp.Int32Data {
			b[i] = byte(v)
		}
		clearPadding(d, n, b)
	case ir.F16, ir.BF16: // int32_data carries their bits
		vals := make([]uint16, len(tp.Int32Data))
		for i, v := range tp.Int32Data {
			vals[i] = uint16(v)
		}
		b = ir.EncodeSlice(vals)
	default: // int32_data carries i8, i16, i32, u8, u16 and bool
		vals := make([]int64, len(tp.Int32Data))
		for i, v := range tp.Int32Data {
			vals[i] = int64(v)
		}
		if b, err = ir.EncodeInt64s(d, vals); err != nil {
			return nil, err
		}
	}
	out.bytes = b
	return out, nil
}

// clearPadding zeroes the padding nibble of n packed 4-bit elements, so
// that a constant's payload is the one its printed values parse back to.
func clearPadding(d ir.DType, n int64, b []byte) {
	if d.IsPacked() && n%2 == 1 && len(b) > 0 {
		b[len(b)-1] &= 0x0f
	}
}

// TensorFromProto converts an ONNX TensorProto (without external data) to
// an interpreter tensor.
func TensorFromProto(tp *onnxpb.TensorProto) (*tensor.Tensor, error) {
	td, err := decodeTensor(tp, nil)
	if err != nil {
		return nil, err
	}
	shape := make([]int, len(td.shape))
	for i, s := range td.shape {
		shape[i] = int(s)
	}
	if td.dtype == ir.String {
		return tensor.FromSlice(shape, td.strings), nil
	}
	return tensor.DecodeBytes(td.dtype, shape, td.bytes)
}

// TensorToProto converts an interpreter tensor to an ONNX TensorProto with
// raw_data (string_data for strings).
func TensorToProto(name string, t *tensor.Tensor) (*onnxpb.TensorProto, error) {
	tp := &onnxpb.TensorProto{Name: &name}
	code := ONNXDType(t.DType)
	tp.DataType = &code
	for _, s := range t.Shape {
		tp.Dims = append(tp.Dims, int64(s))
	}
	if t.DType == ir.String {
		for _, s := range tensor.Data[string](t) {
			tp.StringData = append(tp.StringData, []byte(s))
		}
		return tp, nil
	}
	b, err := tensor.EncodeBytes(t)
	if err != nil {
		return nil, err
	}
	tp.RawData = b
	return tp, nil
}

// checkTypedRange checks that the typed values of a tensor whose type is
// narrower than its ONNX carrier field fit that type: int32_data holds i8,
// i16, u8, u16 and bool values, the bits of f16, bf16 and float8 values
// and the packed bytes of 4-bit ones, and uint64_data holds u32 values. A value that does not fit is an error, not
// silently cut to its low bits.
func checkTypedRange(tp *onnxpb.TensorProto, d ir.DType) error {
	var lo, hi int64
	switch d {
	case ir.I8:
		lo, hi = math.MinInt8, math.MaxInt8
	case ir.I16:
		lo, hi = math.MinInt16, math.MaxInt16
	case ir.U8:
		lo, hi = 0, math.MaxUint8
	case ir.U16, ir.F16, ir.BF16:
		lo, hi = 0, math.MaxUint16
	case ir.F8E4M3FN, ir.F8E4M3FNUZ, ir.F8E5M2, ir.F8E5M2FNUZ, ir.I4, ir.U4, ir.F4E2M1:
		lo, hi = 0, math.MaxUint8 // float8 bits, or two packed 4-bit elements
	case ir.Bool:
		lo, hi = 0, 1
	case ir.U32:
		for i, v := range tp.Uint64Data {
			if v > math.MaxUint32 {
				return fmt.Errorf("uint64_data value %d at index %d does not fit %v", v, i, d)
			}
		}
		return nil
	default:
		return nil
	}
	for i, v := range tp.Int32Data {
		if int64(v) < lo || int64(v) > hi {
			what := fmt.Sprint(d)
			if d == ir.F16 || d == ir.BF16 {
				what += " bits (0..65535)"
			}
			return fmt.Errorf("int32_data value %d at index %d does not fit %s", v, i, what)
		}
	}
	return nil
}
