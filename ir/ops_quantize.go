package ir

import "fmt"

// Linear quantization ops: QuantizeLinear and DequantizeLinear at their
// opset-23 forms (per tensor, per axis, or blocked along axis with
// block_size; float16/bfloat16 scales; 16-bit integers; the float8 types
// with saturate (-19), int4 and uint4 (-21) and float4e2m1 (-23);
// output_dtype, which DequantizeLinear-23 also has), without the int2 and
// float8e8m0 types kiln does not have; DynamicQuantizeLinear-11.

func init() {
	Register(&OpDef{
		Name:    "QuantizeLinear",
		Doc:     "saturate(round_half_even(x / y_scale) + y_zero_point), per tensor or per axis",
		Kind:    Opaque, // per-axis parameters do not broadcast numpy-style
		Inputs:  []Operand{Req("x:T1"), Req("y_scale:F"), Opt("y_zero_point:T2")},
		Outputs: In("y:T2"),
		// QuantizeLinear-23: float32/16, bfloat16 or int32 in; 4-, 8- and
		// 16-bit integers, float8 or float4 out (the zero point's type,
		// else output_dtype, else uint8). A float8 or float4 output is
		// x / y_scale + y_zero_point rounded as Cast rounds, saturating
		// unless saturate is 0 (float4 always saturates).
		Types: []TypeConstraint{TC("T1", Types(F32, F16, BF16, I32)), TC("F", Types(F32, F16, BF16)), TC("T2", Types(U8, I8, U16, I16)|NarrowTypes)},
		Attrs: []AttrDef{AInt("axis", 1), AInt("block_size", 0).AtLeast(0), AOptional("output_dtype", AttrDType), AInt("saturate", 1).Range(0, 1)},
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
			switch {
			case d == U8, d == I8, d == U16, d == I16, d.IsNarrow():
			default:
				return nil, fmt.Errorf("output type %v, want u8, i8, u16, i16 or a narrow type (float8, int4, uint4, float4)", d)
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
		Types: []TypeConstraint{TC("T", Types(U8, I8, U16, I16, I32)|NarrowTypes), TC("F", Types(F32, F16, BF16)), TC("F2", Types(F32, F16, BF16))},
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
