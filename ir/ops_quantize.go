package ir

import "fmt"

// Linear quantization ops: QuantizeLinear and DequantizeLinear at their
// opset-21 forms (per tensor, per axis, or blocked along axis with
// block_size; float16/bfloat16 scales; 16-bit integers; output_dtype, which
// DequantizeLinear-23 also has), without the float8, int4, float4 and int2
// types kiln does not have; DynamicQuantizeLinear-11.

func init() {
	Register(&OpDef{
		Name:    "QuantizeLinear",
		Doc:     "saturate(round_half_even(x / y_scale) + y_zero_point), per tensor or per axis",
		Kind:    Opaque, // per-axis parameters do not broadcast numpy-style
		Inputs:  []Operand{Req("x:T1"), Req("y_scale:F"), Opt("y_zero_point:T2")},
		Outputs: In("y:T2"),
		// QuantizeLinear-21: float32/16, bfloat16 or int32 in, 8- and
		// 16-bit integers out (the zero point's type, else output_dtype,
		// else uint8).
		Types: []TypeConstraint{TC("T1", Types(F32, F16, BF16, I32)), TC("F", Types(F32, F16, BF16)), TC("T2", Types(U8, I8, U16, I16))},
		Attrs: []AttrDef{AInt("axis", 1), AInt("block_size", 0).AtLeast(0), AOptional("output_dtype", AttrDType)},
		Infer: func(op *Op) ([]Type, error) {
			x, err := nnTensorArg(op, 0)
			if err != nil {
				return nil, err
			}
			d := U8
			od, hasOD := op.Attr("output_dtype")
			if hasOD && op.Has("output_dtype") {
				d = od.DType
			}
			if len(op.Args) > 2 && op.Args[2] != nil {
				if op.Has("output_dtype") && op.Args[2].Type.DType != d {
					return nil, fmt.Errorf("zero point is %v but output_dtype is %v", op.Args[2].Type.DType, d)
				}
				d = op.Args[2].Type.DType
			}
			switch d {
			case U8, I8, U16, I16:
			default:
				return nil, fmt.Errorf("output type %v, want u8, i8, u16 or i16", d)
			}
			return []Type{TensorType(d, x.Shape)}, nil
		},
	})
	Register(&OpDef{
		Name:    "DequantizeLinear",
		Doc:     "(x - x_zero_point) * x_scale, per tensor or per axis",
		Kind:    Opaque, // per-axis parameters do not broadcast numpy-style
		Inputs:  []Operand{Req("x:T"), Req("x_scale:F"), Opt("x_zero_point:T")},
		Outputs: In("y:F2"),
		// The output is x_scale's type, or output_dtype (-23).
		Types: []TypeConstraint{TC("T", Types(U8, I8, U16, I16, I32)), TC("F", Types(F32, F16, BF16)), TC("F2", Types(F32, F16, BF16))},
		Attrs: []AttrDef{AInt("axis", 1), AInt("block_size", 0).AtLeast(0), AOptional("output_dtype", AttrDType)},
		Infer: func(op *Op) ([]Type, error) {
			x, err := nnTensorArg(op, 0)
			if err != nil {
				return nil, err
			}
			s, err := nnTensorArg(op, 1)
			if err != nil {
				return nil, err
			}
			d := s.DType
			if od, ok := op.Attr("output_dtype"); ok && op.Has("output_dtype") {
				d = od.DType
			}
			switch d {
			case F32, F16, BF16:
			default:
				return nil, fmt.Errorf("output_dtype %v, want f32, f16 or bf16", d)
			}
			return []Type{TensorType(d, x.Shape)}, nil
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
