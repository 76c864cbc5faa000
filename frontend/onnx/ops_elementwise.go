package onnx

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
)

// Import rules of the elementwise family. Opset history that matters here:
//   - opset 1 gave many ops a consumed_inputs attribute (an in-place hint
//     with no effect on results); opset 6 removed it.
//   - before opset 7, binary ops broadcast only with broadcast=1 and align B
//     at axis (legacyBroadcast); from opset 7 on they broadcast numpy-style.
//   - Clip-1 and -6 took min/max as attributes; Clip-11 made them inputs.
//   - Cast-1 named its target type with a string; Cast-6 uses the enum.
//   - Max/Min/Sum/Mean before opset 8 required equal shapes, a special case
//     of kiln's broadcasting.
func init() {
	for _, op := range []string{"Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Greater", "Less"} {
		register(op, 1, 6, legacyBroadcast(op))
		register(op, 7, 0, direct())
	}
	// Ops that had consumed_inputs at opset 1.
	for _, op := range []string{
		"Abs", "Neg", "Ceil", "Floor", "Reciprocal", "Sqrt", "Exp", "Log", "Relu", "Sigmoid", "Tanh",
		"HardSigmoid", "LeakyRelu", "Elu", "Selu", "Sum", "Max", "Min", "Mean",
	} {
		register(op, 1, 5, direct("consumed_inputs"))
		register(op, 6, 0, direct())
	}
	register("PRelu", 1, 6, convPReluChannels)
	register("PRelu", 7, 0, direct())
	for op, since := range map[string]int64{
		"Softplus": 1, "Softsign": 1, "Not": 1, "Identity": 1,
		"Sin": 7, "Cos": 7, "Tan": 7, "Asin": 7, "Acos": 7, "Atan": 7,
		"Sinh": 9, "Cosh": 9, "Asinh": 9, "Acosh": 9, "Atanh": 9,
		"Sign": 9, "Erf": 9, "Shrink": 9, "IsNaN": 9, "Where": 9,
		"Mod": 10, "IsInf": 10,
		"Round": 11, "BitShift": 11,
		"Celu": 12, "GreaterOrEqual": 12, "LessOrEqual": 12,
		"HardSwish": 14,
	} {
		register(op, since, 0, direct())
	}
	// Opsets 18 to 26: new ops (Mish-22 and the opset-22 bfloat16
	// versions only add a type).
	for op, since := range map[string]int64{
		"BitwiseAnd": 18, "BitwiseOr": 18, "BitwiseXor": 18, "BitwiseNot": 18, "Mish": 18,
		"Gelu": 20, "Swish": 24, "BitCast": 26,
	} {
		register(op, since, 0, direct())
	}
	// ThresholdedRelu was an experimental op before opset 10, with the same
	// alpha (default 1.0); exporters of that time did emit it.
	register("ThresholdedRelu", 1, 0, direct())
	register("Clip", 1, 5, convClipAttrs)
	register("Clip", 6, 10, convClipAttrs)
	register("Clip", 11, 0, direct())
	register("Cast", 1, 5, convCast1)
	// Cast-19 added the float8 types and saturate (kiln's attribute of the
	// same name), -21 int4 and uint4, -23 float4e2m1. round_mode (-24)
	// only acts on conversions to float8e8m0, a type kiln does not have
	// (the importer refuses it), so it is dropped.
	for _, op := range []string{"Cast", "CastLike"} {
		since := int64(6)
		if op == "CastLike" {
			since = 15
		}
		register(op, since, 18, directWithout("saturate"))
		register(op, 19, 23, direct())
		register(op, 24, 0, direct("round_mode"))
	}
}

// legacyBroadcast converts a pre-opset-7 binary op. Without broadcast=1 the
// shapes must already match; with it, B of rank k is aligned to A's dims
// axis..axis+k-1 (axis defaults to the trailing dims), which kiln expresses
// by reshaping B so numpy broadcasting lines up the same way.
func legacyBroadcast(name string) convertFunc {
	return func(c *converter, n *node) ([]*ir.Value, error) {
		a, b := n.In(0), n.In(1)
		if a == nil || b == nil {
			return nil, fmt.Errorf("needs two inputs")
		}
		if n.Int("broadcast", 0) == 1 && n.Has("axis") {
			ra, rb := a.Type.Shape.Rank(), b.Type.Shape.Rank()
			if ra < 0 || rb < 0 {
				return nil, fmt.Errorf("broadcast with axis needs operands of known rank")
			}
			axis := n.Int("axis", 0)
			if axis < 0 {
				axis += int64(ra)
			}
			trailing := int64(ra) - axis - int64(rb)
			if axis < 0 || trailing < 0 {
				return nil, fmt.Errorf("axis %d does not fit B of rank %d into A of rank %d", n.Int("axis", 0), rb, ra)
			}
			if trailing > 0 {
				axes := make([]int64, trailing)
				for i := range axes {
					axes[i] = int64(rb) + int64(i)
				}
				ax := c.constI64(string(n.loc())+".axes", []int64{trailing}, axes)
				var err error
				if b, err = c.emit1("Unsqueeze", []*ir.Value{b, ax}); err != nil {
					return nil, err
				}
			}
		}
		return c.emit(name, []*ir.Value{a, b}, nil, 1)
	}
}

// convClipAttrs moves Clip-1/-6's min and max attributes into operands of
// the input's element type; an absent attribute leaves that side open
// (ONNX's defaults are the float type's lowest and highest values).
func convClipAttrs(c *converter, n *node) ([]*ir.Value, error) {
	x := n.In(0)
	if x == nil {
		return nil, fmt.Errorf("needs an input")
	}
	args := []*ir.Value{x, nil, nil}
	for i, name := range []string{"min", "max"} {
		if !n.Has(name) {
			continue
		}
		v, err := c.constFloatAs(string(n.loc())+"."+name, x.Type.DType, float64(n.Float(name, 0)))
		if err != nil {
			return nil, err
		}
		args[i+1] = v
	}
	return c.emit("Clip", args, nil, 1)
}

// constFloatAs adds a scalar constant of float type d holding v.
func (c *converter) constFloatAs(name string, d ir.DType, v float64) (*ir.Value, error) {
	if !d.IsFloat() {
		return nil, fmt.Errorf("need a float input, got %v", d)
	}
	b, err := ir.EncodeFloat64s(d, []float64{v})
	if err != nil {
		return nil, err
	}
	return c.addConst(strings.TrimPrefix(name, "#"), &tensorData{dtype: d, bytes: b}), nil
}

// convCast1 converts Cast-1, whose `to` is a type name such as "FLOAT".
func convCast1(c *converter, n *node) ([]*ir.Value, error) {
	if n.In(0) == nil {
		return nil, fmt.Errorf("needs an input")
	}
	a := n.attr("to")
	if a == nil {
		return nil, fmt.Errorf("missing attribute to")
	}
	// Cast-1 spells to as a type name; exporters also wrote the code.
	if checkAttrType(a, onnxpb.AttributeProto_INT) != nil {
		if err := checkAttrType(a, onnxpb.AttributeProto_STRING); err != nil {
			return nil, err
		}
	}
	code := int32(a.GetI())
	if len(a.GetS()) > 0 {
		s := strings.ToUpper(string(a.GetS()))
		v, ok := onnxpb.TensorProto_DataType_value[s]
		if !ok {
			return nil, fmt.Errorf("attribute to: unknown type name %q", s)
		}
		code = v
	}
	d, err := DType(code)
	if err != nil {
		return nil, fmt.Errorf("attribute to: %w", err)
	}
	return c.emit("Cast", []*ir.Value{n.In(0)}, []ir.Attr{{Name: "to", Value: ir.DTypeAttr(d)}}, 1)
}

// convPReluChannels converts PRelu-1 and -6, whose slope is either one value
// or one value per channel (dim 1 of X); PRelu-7 replaced that with
// unidirectional numpy broadcasting, under which a [C] slope would align
// with X's last dim instead. A per-channel slope becomes [C,1,...,1].
func convPReluChannels(c *converter, n *node) ([]*ir.Value, error) {
	x, slope := n.In(0), n.In(1)
	if x == nil || slope == nil {
		return nil, fmt.Errorf("needs two inputs")
	}
	rx, rs := x.Type.Shape.Rank(), slope.Type.Shape.Rank()
	if rs == 1 && rx > 2 && slope.Type.Shape.Dims[0].Size != 1 {
		trailing := make([]int64, rx-2)
		for i := range trailing {
			trailing[i] = int64(i + 1)
		}
		if slope.IsConst() {
			// A constant slope is reshaped for free by retyping its bytes.
			shape := append([]int64{slope.Type.Shape.Dims[0].Size}, make([]int64, rx-2)...)
			for i := 1; i < len(shape); i++ {
				shape[i] = 1
			}
			slope = c.addConst(slope.Const.Name+".per_channel", &tensorData{dtype: slope.Type.DType, shape: shape,
				bytes: slope.Const.Bytes, strings: slope.Const.Strings, source: slope.Const.Source})
		} else {
			ax := c.constI64(string(n.loc())+".axes", []int64{int64(len(trailing))}, trailing)
			var err error
			if slope, err = c.emit1("Unsqueeze", []*ir.Value{slope, ax}); err != nil {
				return nil, err
			}
		}
	}
	return c.emit("PRelu", []*ir.Value{x, slope}, nil, 1)
}
