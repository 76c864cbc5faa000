//go:build cgo

// Package ortconv converts between kiln's tensors and ONNX Runtime's
// values (github.com/yalue/onnxruntime_go), for the commands and tests
// that run models in ONNX Runtime as the reference.
package ortconv

import (
	"fmt"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// ToValue copies t into a new ONNX Runtime value (the caller destroys
// it): every numeric element type, bool, string, float16 and bfloat16;
// rank 0 becomes an ONNX Runtime scalar, as onnxruntime_go refuses empty
// shapes for tensors. float8, int4 and uint4 tensors are passed as their
// ONNX byte form; FromValue reads float8 back (onnxruntime_go does not
// copy the packed 4-bit types' outputs correctly).
func ToValue(t *tensor.Tensor) (ort.Value, error) {
	shape := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		shape[i] = int64(d)
	}
	if et, ok := narrowORT[t.DType]; ok {
		// Narrow types cross as their ONNX byte form.
		b, err := tensor.EncodeBytes(t)
		if err != nil {
			return nil, err
		}
		if len(b) == 0 {
			return nil, fmt.Errorf("empty %v tensors are not passed to ONNX Runtime", t.DType)
		}
		return ort.NewCustomDataTensor(ort.NewShape(shape...), b, et)
	}
	switch d := t.Data.(type) {
	case []float32:
		return newORTValue(shape, d)
	case []float64:
		return newORTValue(shape, d)
	case []int8:
		return newORTValue(shape, d)
	case []int16:
		return newORTValue(shape, d)
	case []int32:
		return newORTValue(shape, d)
	case []int64:
		return newORTValue(shape, d)
	case []uint8:
		return newORTValue(shape, d)
	case []uint16:
		return newORTValue(shape, d)
	case []uint32:
		return newORTValue(shape, d)
	case []uint64:
		return newORTValue(shape, d)
	case []bool:
		return newORTValue(shape, d)
	case []string:
		s, err := ort.NewStringTensor(ort.NewShape(shape...))
		if err != nil {
			return nil, err
		}
		if err := s.SetContents(d); err != nil {
			s.Destroy()
			return nil, err
		}
		return s, nil
	case []ir.Float16, []ir.BFloat16:
		b, err := tensor.EncodeBytes(t)
		if err != nil {
			return nil, err
		}
		var et ort.TensorElementDataType = ort.TensorElementDataTypeFloat16
		if t.DType == ir.BF16 {
			et = ort.TensorElementDataTypeBFloat16
		}
		return ort.NewCustomDataTensor(ort.NewShape(shape...), b, et)
	}
	return nil, fmt.Errorf("%v tensors are not passed to ONNX Runtime", t.DType)
}

// narrowORT maps the narrow types to ONNX Runtime's element types (the
// ONNX TensorProto codes).
var narrowORT = map[ir.DType]ort.TensorElementDataType{
	ir.F8E4M3FN:   ort.TensorElementDataTypeFloat8E4M3FN,
	ir.F8E4M3FNUZ: ort.TensorElementDataTypeFloat8E4M3FNUZ,
	ir.F8E5M2:     ort.TensorElementDataTypeFloat8E5M2,
	ir.F8E5M2FNUZ: ort.TensorElementDataTypeFloat8E5M2FNUZ,
	ir.I4:         ort.TensorElementDataTypeInt4,
	ir.U4:         ort.TensorElementDataTypeUint4,
}

// newORTValue copies data into an ONNX Runtime tensor, or a scalar for
// rank 0.
func newORTValue[T ort.TensorData](shape []int64, data []T) (ort.Value, error) {
	if len(shape) == 0 {
		return ort.NewScalar(data[0])
	}
	return ort.NewTensor(ort.NewShape(shape...), append([]T{}, data...))
}

// FromValue copies an ONNX Runtime value into a tensor: the types
// ToValue writes.
func FromValue(v ort.Value) (*tensor.Tensor, error) {
	switch x := v.(type) {
	case *ort.Tensor[float32]:
		return fromORTTensor(x)
	case *ort.Tensor[float64]:
		return fromORTTensor(x)
	case *ort.Tensor[int8]:
		return fromORTTensor(x)
	case *ort.Tensor[int16]:
		return fromORTTensor(x)
	case *ort.Tensor[int32]:
		return fromORTTensor(x)
	case *ort.Tensor[int64]:
		return fromORTTensor(x)
	case *ort.Tensor[uint8]:
		return fromORTTensor(x)
	case *ort.Tensor[uint16]:
		return fromORTTensor(x)
	case *ort.Tensor[uint32]:
		return fromORTTensor(x)
	case *ort.Tensor[uint64]:
		return fromORTTensor(x)
	case *ort.Tensor[bool]:
		return fromORTTensor(x)
	case *ort.StringTensor:
		s, err := x.GetContents()
		if err != nil {
			return nil, err
		}
		return tensor.FromSlice(ortShape(x.GetShape()), s), nil
	case *ort.CustomDataTensor:
		var d ir.DType
		switch ort.TensorElementDataType(x.DataType()) {
		case ort.TensorElementDataTypeFloat16:
			d = ir.F16
		case ort.TensorElementDataTypeBFloat16:
			d = ir.BF16
		case ort.TensorElementDataTypeFloat8E4M3FN:
			d = ir.F8E4M3FN
		case ort.TensorElementDataTypeFloat8E4M3FNUZ:
			d = ir.F8E4M3FNUZ
		case ort.TensorElementDataTypeFloat8E5M2:
			d = ir.F8E5M2
		case ort.TensorElementDataTypeFloat8E5M2FNUZ:
			d = ir.F8E5M2FNUZ
		default:
			// onnxruntime_go copies one byte per element of other types,
			// which is not the byte form of the packed 4-bit ones.
			return nil, fmt.Errorf("ONNX Runtime returned element type %d, which kiln does not read", x.DataType())
		}
		return tensor.DecodeBytes(d, ortShape(x.GetShape()), x.GetData())
	}
	return nil, fmt.Errorf("ONNX Runtime returned a %T, which kiln does not read", v)
}

// ortShape converts an ONNX Runtime shape.
func ortShape(s ort.Shape) []int {
	out := make([]int, len(s))
	for i, d := range s {
		out[i] = int(d)
	}
	return out
}

func fromORTTensor[T ort.TensorData](x *ort.Tensor[T]) (*tensor.Tensor, error) {
	shape := make([]int, len(x.GetShape()))
	n := 1
	for i, d := range x.GetShape() {
		shape[i] = int(d)
		n *= int(d)
	}
	data := x.GetData()
	if len(data) != n {
		// onnxruntime_go sizes rank-0 outputs as empty.
		return nil, fmt.Errorf("ONNX Runtime output of shape %v holds %d values", shape, len(data))
	}
	return tensor.FromSlice(shape, append([]T{}, data...)), nil
}
