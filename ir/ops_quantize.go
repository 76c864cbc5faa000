package ir

import "fmt"

// Linear quantization ops, at their opset-17 ONNX forms (QuantizeLinear-13,
// DequantizeLinear-13, DynamicQuantizeLinear-11).

func init() {
	Register(&OpDef{
		Name:    "QuantizeLinear",
		Doc:     "saturate(round_half_even(x / y_scale) + y_zero_point), per tensor or per axis",
		Kind:    Opaque, // per-axis parameters do not broadcast numpy-style
		Inputs:  []Operand{Req("x:T1"), Req("y_scale:F"), Opt("y_zero_point:T2")},
		Outputs: In("y:T2"),
		// QuantizeLinear-13: float32 or int32 in, 8-bit integers out.
		Types: []TypeConstraint{TC("T1", Types(F32, I32)), TC("F", Types(F32)), TC("T2", QuantTypes)},
		Attrs: []AttrDef{AInt("axis", 1)},
		Infer: func(op *Op) ([]Type, error) {
			x, err := nnTensorArg(op, 0)
			if err != nil {
				return nil, err
			}
			d := U8
			if len(op.Args) > 2 && op.Args[2] != nil {
				d = op.Args[2].Type.DType
			}
			if d != U8 && d != I8 {
				return nil, fmt.Errorf("zero point is %v, want u8 or i8", d)
			}
			return []Type{TensorType(d, x.Shape)}, nil
		},
	})
	Register(&OpDef{
		Name:    "DequantizeLinear",
		Doc:     "(x - x_zero_point) * x_scale, per tensor or per axis",
		Kind:    Opaque, // per-axis parameters do not broadcast numpy-style
		Inputs:  []Operand{Req("x:T"), Req("x_scale:F"), Opt("x_zero_point:T")},
		Outputs: In("y:F"),
		Types:   []TypeConstraint{TC("T", QuantTypes|Types(I32)), TC("F", Types(F32))},
		Attrs:   []AttrDef{AInt("axis", 1)},
		Infer: func(op *Op) ([]Type, error) {
			x, err := nnTensorArg(op, 0)
			if err != nil {
				return nil, err
			}
			s, err := nnTensorArg(op, 1)
			if err != nil {
				return nil, err
			}
			return []Type{TensorType(s.DType, x.Shape)}, nil
		},
	})
	Register(&OpDef{
		Name:    "DynamicQuantizeLinear",
		Doc:     "quantizes x to uint8 with scale and zero point computed from its range (widened to include 0)",
		Kind:    Opaque,
		Inputs:  In("x:T1"),
		Outputs: In("y:T2", "y_scale:T1", "y_zero_point:T2"),
		Types:   []TypeConstraint{TC("T1", Types(F32)), TC("T2", Types(U8))},
		Infer: func(op *Op) ([]Type, error) {
			x, err := nnTensorArg(op, 0)
			if err != nil {
				return nil, err
			}
			return []Type{TensorType(U8, x.Shape), TensorType(F32, ShapeOf()), TensorType(U8, ShapeOf())}, nil
		},
	})
}
