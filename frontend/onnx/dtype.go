package onnx

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
)

// onnxDTypes maps TensorProto.DataType codes to kiln element types.
var onnxDTypes = map[onnxpb.TensorProto_DataType]ir.DType{
	onnxpb.TensorProto_FLOAT:      ir.F32,
	onnxpb.TensorProto_UINT8:      ir.U8,
	onnxpb.TensorProto_INT8:       ir.I8,
	onnxpb.TensorProto_UINT16:     ir.U16,
	onnxpb.TensorProto_INT16:      ir.I16,
	onnxpb.TensorProto_INT32:      ir.I32,
	onnxpb.TensorProto_INT64:      ir.I64,
	onnxpb.TensorProto_STRING:     ir.String,
	onnxpb.TensorProto_BOOL:       ir.Bool,
	onnxpb.TensorProto_FLOAT16:    ir.F16,
	onnxpb.TensorProto_DOUBLE:     ir.F64,
	onnxpb.TensorProto_UINT32:     ir.U32,
	onnxpb.TensorProto_UINT64:     ir.U64,
	onnxpb.TensorProto_COMPLEX64:  ir.C64,
	onnxpb.TensorProto_COMPLEX128: ir.C128,
	onnxpb.TensorProto_BFLOAT16:   ir.BF16,
	// The narrow types came after the protobuf bindings kiln carries, so
	// their codes are spelled here (onnx.proto: 17 to 20 from ONNX 1.14,
	// 21 and 22 from 1.16, 23 from 1.18).
	onnxFloat8E4M3FN:   ir.F8E4M3FN,
	onnxFloat8E4M3FNUZ: ir.F8E4M3FNUZ,
	onnxFloat8E5M2:     ir.F8E5M2,
	onnxFloat8E5M2FNUZ: ir.F8E5M2FNUZ,
	onnxUint4:          ir.U4,
	onnxInt4:           ir.I4,
	onnxFloat4E2M1:     ir.F4E2M1,
}

// TensorProto.DataType codes of the narrow types.
const (
	onnxFloat8E4M3FN   onnxpb.TensorProto_DataType = 17
	onnxFloat8E4M3FNUZ onnxpb.TensorProto_DataType = 18
	onnxFloat8E5M2     onnxpb.TensorProto_DataType = 19
	onnxFloat8E5M2FNUZ onnxpb.TensorProto_DataType = 20
	onnxUint4          onnxpb.TensorProto_DataType = 21
	onnxInt4           onnxpb.TensorProto_DataType = 22
	onnxFloat4E2M1     onnxpb.TensorProto_DataType = 23
)

// DType returns the kiln element type of an ONNX TensorProto.DataType code.
func DType(code int32) (ir.DType, error) {
	d, ok := onnxDTypes[onnxpb.TensorProto_DataType(code)]
	if !ok {
		return ir.InvalidDType, fmt.Errorf("unsupported ONNX element type %d (%v)", code, onnxpb.TensorProto_DataType(code))
	}
	return d, nil
}

// ONNXDType returns the ONNX TensorProto.DataType code of a kiln element type.
func ONNXDType(d ir.DType) int32 {
	for k, v := range onnxDTypes {
		if v == d {
			return int32(k)
		}
	}
	return 0
}

// maxTypeDepth bounds the nesting of sequence and optional types. Real
// models nest two or three levels (a sequence of optional tensors); the
// bound keeps a hostile file from building types whose every later walk
// (printing, comparing, verifying) recurses without limit.
const maxTypeDepth = 32

// typeFromProto converts an ONNX TypeProto to a kiln type. Dims with a
// dim_param become symbolic dims; dims with neither value nor name are
// unknown (graph inputs then name them: nameInputDims). A tensor type
// without a shape has unknown rank. Negative dims, static dims whose
// product overflows and nesting deeper than maxTypeDepth are errors.
func typeFromProto(tp *onnxpb.TypeProto) (ir.Type, error) {
	return typeFromProtoDepth(tp, 0)
}

func typeFromProtoDepth(tp *onnxpb.TypeProto, depth int) (ir.Type, error) {
	if depth > maxTypeDepth {
		return ir.Type{}, fmt.Errorf("sequence and optional types nested more than %d deep", maxTypeDepth)
	}
	if tp == nil {
		return ir.Type{}, nil
	}
	switch v := tp.Value.(type) {
	case *onnxpb.TypeProto_TensorType:
		d := ir.InvalidDType
		if v.TensorType.GetElemType() != 0 {
			var err error
			if d, err = DType(v.TensorType.GetElemType()); err != nil {
				return ir.Type{}, err
			}
		}
		s := ir.UnrankedShape()
		if sh := v.TensorType.Shape; sh != nil {
			s = ir.Shape{Ranked: true, Dims: make([]ir.Dim, len(sh.Dim))}
			n := int64(1) // product of the nonzero static dims
			for i, dim := range sh.Dim {
				switch dv := dim.Value.(type) {
				case *onnxpb.TensorShapeProto_Dimension_DimValue:
					if dv.DimValue < 0 {
						return ir.Type{}, fmt.Errorf("negative dim %d", dv.DimValue)
					}
					// Refused even beside a zero dim: code that
					// multiplies some of the dims must not overflow.
					if d := dv.DimValue; d > 0 {
						if d > maxTensorElems/n {
							return ir.Type{}, fmt.Errorf("dims %v: too many elements", protoDims(sh))
						}
						n *= d
					}
					s.Dims[i] = ir.Static(dv.DimValue)
				case *onnxpb.TensorShapeProto_Dimension_DimParam:
					if dv.DimParam == "" {
						s.Dims[i] = ir.Unknown()
					} else {
						s.Dims[i] = ir.Symbolic(dv.DimParam)
					}
				default:
					s.Dims[i] = ir.Unknown()
				}
			}
		}
		return ir.TensorType(d, s), nil
	case *onnxpb.TypeProto_SequenceType:
		e, err := typeFromProtoDepth(v.SequenceType.ElemType, depth+1)
		if err != nil {
			return ir.Type{}, err
		}
		if e.Kind == ir.InvalidKind {
			return ir.Type{Kind: ir.SequenceKind}, nil
		}
		return ir.SequenceOf(e), nil
	case *onnxpb.TypeProto_OptionalType:
		e, err := typeFromProtoDepth(v.OptionalType.ElemType, depth+1)
		if err != nil {
			return ir.Type{}, err
		}
		if e.Kind == ir.InvalidKind {
			return ir.Type{Kind: ir.OptionalKind}, nil
		}
		return ir.OptionalOf(e), nil
	case *onnxpb.TypeProto_MapType:
		return ir.Type{}, fmt.Errorf("map types are not supported")
	case *onnxpb.TypeProto_SparseTensorType:
		return ir.Type{}, fmt.Errorf("sparse tensor types are not supported")
	case nil:
		return ir.Type{}, nil
	}
	return ir.Type{}, fmt.Errorf("unsupported type %T", tp.Value)
}

// protoDims spells a TensorShapeProto for error messages: values, names,
// and ? for unknown dims.
func protoDims(sh *onnxpb.TensorShapeProto) string {
	parts := make([]string, len(sh.Dim))
	for i, dim := range sh.Dim {
		switch dv := dim.Value.(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			parts[i] = fmt.Sprint(dv.DimValue)
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			parts[i] = dv.DimParam
		default:
			parts[i] = "?"
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}
