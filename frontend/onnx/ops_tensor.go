package onnx

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// Import rules for the shape, data-movement and indexing ops. kiln's ops
// take opset-17 forms; older versions that carried operands as attributes
// are rewritten here with those attributes turned into module constants.
func init() {
	// Reshape-1 took the shape as an attribute (and consumed_inputs); from
	// Reshape-5 it is an input; Reshape-14 added allowzero.
	register("Reshape", 1, 4, convReshape1)
	register("Reshape", 5, 0, direct())
	// Flatten-11 allowed negative axes; the kiln op accepts both.
	register("Flatten", 1, 0, direct())
	// Squeeze-13 and Unsqueeze-13 moved axes from an attribute to an input.
	register("Squeeze", 1, 12, attrToInputs("Squeeze", "axes"))
	register("Squeeze", 13, 0, direct())
	register("Unsqueeze", 1, 12, attrToInputs("Unsqueeze", "axes"))
	register("Unsqueeze", 13, 0, direct())
	register("Transpose", 1, 0, direct())
	// Concat-1 defaulted axis to 1; from Concat-4 it is required.
	register("Concat", 1, 3, convConcat1)
	register("Concat", 4, 0, direct())
	// Split-1 took split as an optional second input or an attribute;
	// Split-2..11 as an attribute; Split-13 as an input.
	register("Split", 1, 12, attrToInputs("Split", "split"))
	register("Split", 13, 17, direct())
	// Split-18 added num_outputs, which lets the last part be smaller.
	register("Split", 18, 0, direct())
	// Slice-1 had starts, ends and axes attributes; Slice-10 made them
	// inputs and added steps.
	register("Slice", 1, 9, attrToInputs("Slice", "starts", "ends", "axes"))
	register("Slice", 10, 0, direct())
	register("Gather", 1, 0, direct())
	register("GatherElements", 11, 0, direct())
	register("GatherND", 11, 0, direct()) // batch_dims from GatherND-12
	// Scatter-9 (deprecated by Scatter-11) is ScatterElements without
	// reduction.
	register("Scatter", 9, 0, func(c *converter, n *node) ([]*ir.Value, error) {
		return c.directAs(n, "ScatterElements", n.Inputs)
	})
	// reduction arrived at -16 (none, add, mul); -18 added max and min.
	for _, op := range []string{"ScatterElements", "ScatterND"} {
		register(op, 11, 17, scatterNoMinMax)
		register(op, 18, 0, direct())
	}
	register("Expand", 8, 0, direct())
	// Tile-1 took (input, tiles, axis): tiles copies along one axis.
	register("Tile", 1, 5, convTile1)
	register("Tile", 6, 0, direct())
	// Pad-1 had paddings and value attributes, Pad-2 pads and value; Pad-11
	// made pads and constant_value inputs.
	register("Pad", 1, 10, convPad1)
	register("Pad", 11, 17, padNoWrap)
	// Pad-18 added the axes input, Pad-19 wrap mode; later versions only
	// add element types.
	register("Pad", 18, 18, padNoWrap)
	register("Pad", 19, 0, direct())
	register("CenterCropPad", 18, 0, direct())
	register("Shape", 1, 0, direct()) // start/end from Shape-15
	register("Size", 1, 0, direct())
	register("ConstantOfShape", 9, 0, direct())
	register("Range", 11, 0, direct())
	register("OneHot", 9, 0, direct())
	register("Trilu", 14, 0, direct())
	register("EyeLike", 9, 0, direct())
	register("NonZero", 9, 0, direct())
	register("Compress", 9, 0, direct())
	register("DepthToSpace", 1, 0, direct()) // mode from DepthToSpace-11
	register("SpaceToDepth", 1, 0, direct())
	register("ReverseSequence", 10, 0, direct())
	register("Unique", 11, 0, direct())
	// TopK-1 took k as an attribute; TopK-10 made it an input; TopK-11
	// added largest and sorted.
	register("TopK", 1, 9, convTopK1)
	register("TopK", 10, 0, direct())
	register("CumSum", 11, 0, direct())
	register("CumProd", 26, 0, direct())
	register("TensorScatter", 24, 0, direct())
	// Resize-10 had only mode, with asymmetric coordinates; Resize-11 added
	// roi, sizes and the coordinate/nearest/cubic attributes.
	register("Resize", 10, 10, convResize10)
	// Resize-18 added antialias, axes and keep_aspect_ratio_policy,
	// Resize-19 the half_pixel_symmetric mode.
	register("Resize", 11, 17, resizeBefore19("antialias", "axes", "keep_aspect_ratio_policy"))
	register("Resize", 18, 18, resizeBefore19())
	register("Resize", 19, 0, direct())
	// Upsample: -1 had height_scale/width_scale, -7 a scales attribute, -9
	// a scales input; Upsample-10 only marks it deprecated (by Resize), so
	// it is still read in the -9 form.
	register("Upsample", 1, 6, convUpsample)
	register("Upsample", 7, 8, convUpsample)
	register("Upsample", 9, 10, convUpsample)
}

// attrConstName names a constant made from attribute attr of the current node.
func attrConstName(n *node, attr string) string {
	return string(n.loc()) + "." + attr
}

// attrToInputs converts an op whose listed attributes later became inputs
// (in this order, after the first operand): each present attribute becomes
// an i64 constant operand; an absent one stays an absent operand, unless an
// input already supplies it (Split-1's optional split input).
func attrToInputs(name string, attrs ...string) convertFunc {
	return func(c *converter, n *node) ([]*ir.Value, error) {
		if n.In(0) == nil {
			return nil, fmt.Errorf("missing input")
		}
		args := []*ir.Value{n.In(0)}
		for i, a := range attrs {
			switch {
			case n.Has(a):
				v := n.Ints(a)
				args = append(args, c.constI64(attrConstName(n, a), []int64{int64(len(v))}, v))
			case n.In(1+i) != nil:
				in := n.In(1 + i)
				// Split-1's split input has the data's (float) type.
				if f, ok := ir.ConstFloats(in); ok {
					v := make([]int64, len(f))
					for k, x := range f {
						v[k] = int64(x)
					}
					in = c.constI64(attrConstName(n, a), []int64{int64(len(v))}, v)
				}
				args = append(args, in)
			default:
				args = append(args, nil)
			}
		}
		for len(args) > 1 && args[len(args)-1] == nil {
			args = args[:len(args)-1]
		}
		if name == "Slice" && len(args) < 3 {
			return nil, fmt.Errorf("Slice-1 needs starts and ends")
		}
		if name == "Unsqueeze" && len(args) < 2 {
			return nil, fmt.Errorf("Unsqueeze needs axes")
		}
		return c.directAs(n, name, args, attrs...)
	}
}

func convReshape1(c *converter, n *node) ([]*ir.Value, error) {
	shape := n.Ints("shape")
	if !n.Has("shape") {
		return nil, fmt.Errorf("Reshape-1 without a shape attribute")
	}
	s := c.constI64(attrConstName(n, "shape"), []int64{int64(len(shape))}, shape)
	return c.directAs(n, "Reshape", []*ir.Value{n.In(0), s}, "shape", "consumed_inputs")
}

func convConcat1(c *converter, n *node) ([]*ir.Value, error) {
	axis := ir.Attr{Name: "axis", Value: ir.IntAttr(n.Int("axis", 1))}
	return c.emit("Concat", n.Inputs, []ir.Attr{axis}, 1)
}

func convTile1(c *converter, n *node) ([]*ir.Value, error) {
	x := n.In(0)
	if x == nil {
		return nil, fmt.Errorf("missing input")
	}
	tiles, ok1 := ir.ConstInts(n.In(1))
	axis, ok2 := ir.ConstInts(n.In(2))
	r := x.Type.Shape.Rank()
	if !ok1 || !ok2 || len(tiles) != 1 || len(axis) != 1 || r < 0 {
		return nil, fmt.Errorf("Tile-1 needs constant tiles and axis and an input of known rank")
	}
	ax, err := ir.NormAxis(axis[0], r)
	if err != nil {
		return nil, err
	}
	rep := make([]int64, r)
	for i := range rep {
		rep[i] = 1
	}
	rep[ax] = tiles[0]
	return c.emit("Tile", []*ir.Value{x, c.constI64(attrConstName(n, "repeats"), []int64{int64(r)}, rep)}, nil, 1)
}

// padValueConst adds a rank-0 constant of dtype d holding f (converted as a
// cast would).
func (c *converter) padValueConst(name string, d ir.DType, f float64) (*ir.Value, error) {
	b, err := ir.EncodeFloat64s(d, []float64{f})
	if err != nil {
		return nil, fmt.Errorf("no %v constant for %v", d, f)
	}
	return c.addConst(name, &tensorData{dtype: d, bytes: b}), nil
}

// scalesConst adds an f32 constant.
func (c *converter) scalesConst(name string, shape []int64, vals []float32) *ir.Value {
	return c.addConst(name, &tensorData{dtype: ir.F32, shape: shape, bytes: ir.EncodeSlice(vals)})
}

// resizeBefore19 converts Resize-11 to -18: half_pixel_symmetric is
// refused, and so are the attributes named (those a later version added).
func resizeBefore19(later ...string) convertFunc {
	return func(c *converter, n *node) ([]*ir.Value, error) {
		if m := n.Str("coordinate_transformation_mode", ""); m == "half_pixel_symmetric" {
			return nil, fmt.Errorf("coordinate_transformation_mode %s needs opset 19 (the model imports opset %d)", m, n.Opset)
		}
		return directWithout(later...)(c, n)
	}
}

// scatterNoMinMax converts ScatterElements and ScatterND before opset 18,
// whose reduction did not include max and min yet.
func scatterNoMinMax(c *converter, n *node) ([]*ir.Value, error) {
	if r := n.Str("reduction", "none"); r == "max" || r == "min" {
		return nil, fmt.Errorf("reduction %s needs opset 18 (the model imports opset %d)", r, n.Opset)
	}
	return c.directAs(n, n.proto.GetOpType(), n.Inputs)
}

// padNoWrap converts Pad-11 to -18, whose modes did not include wrap yet
// (kiln's Pad takes it, as Pad-19 does).
func padNoWrap(c *converter, n *node) ([]*ir.Value, error) {
	if m := n.Str("mode", "constant"); m == "wrap" {
		return nil, fmt.Errorf("mode wrap needs opset 19 (the model imports opset %d)", n.Opset)
	}
	return c.directAs(n, "Pad", n.Inputs)
}

func convPad1(c *converter, n *node) ([]*ir.Value, error) {
	x := n.In(0)
	if x == nil {
		return nil, fmt.Errorf("missing input")
	}
	key := "pads"
	if n.Opset < 2 {
		key = "paddings"
	}
	if !n.Has(key) {
		return nil, fmt.Errorf("missing %s attribute", key)
	}
	pads := n.Ints(key)
	args := []*ir.Value{x, c.constI64(attrConstName(n, key), []int64{int64(len(pads))}, pads)}
	if v := n.Float("value", 0); v != 0 && n.Str("mode", "constant") == "constant" {
		cv, err := c.padValueConst(attrConstName(n, "value"), x.Type.DType, float64(v))
		if err != nil {
			return nil, err
		}
		args = append(args, cv)
	}
	return c.directAs(n, "Pad", args, key, "value")
}

func convTopK1(c *converter, n *node) ([]*ir.Value, error) {
	if !n.Has("k") {
		return nil, fmt.Errorf("TopK-1 without k")
	}
	k := c.constI64(attrConstName(n, "k"), []int64{1}, []int64{n.Int("k", 0)})
	return c.directAs(n, "TopK", []*ir.Value{n.In(0), k}, "k")
}

// resizeLegacy emits a Resize with the semantics of Resize-10 and Upsample:
// an output index i reads input floor(i / scale) (nearest) or interpolates
// linearly at i / scale. ONNX's own Resize 10→11 version adapter maps the
// same way (asymmetric coordinates, nearest_mode floor).
func (c *converter) resizeLegacy(n *node, x, scales *ir.Value, mode string) ([]*ir.Value, error) {
	switch mode {
	case "nearest":
	case "linear", "bilinear":
		mode = "linear"
	default:
		return nil, fmt.Errorf("unsupported mode %q", mode)
	}
	attrs := []ir.Attr{
		{Name: "mode", Value: ir.StringAttr(mode)},
		{Name: "coordinate_transformation_mode", Value: ir.StringAttr("asymmetric")},
		{Name: "nearest_mode", Value: ir.StringAttr("floor")},
	}
	return c.emit("Resize", []*ir.Value{x, nil, scales, nil}, attrs, 1)
}

func convResize10(c *converter, n *node) ([]*ir.Value, error) {
	if n.In(0) == nil || n.In(1) == nil {
		return nil, fmt.Errorf("Resize-10 needs X and scales")
	}
	return c.resizeLegacy(n, n.In(0), n.In(1), n.Str("mode", "nearest"))
}

func convUpsample(c *converter, n *node) ([]*ir.Value, error) {
	x := n.In(0)
	if x == nil {
		return nil, fmt.Errorf("missing input")
	}
	var scales *ir.Value
	switch {
	case n.Opset >= 9:
		scales = n.In(1)
	case n.Opset >= 7:
		if !n.Has("scales") {
			return nil, fmt.Errorf("Upsample-7 without scales")
		}
		s := n.Floats("scales")
		scales = c.scalesConst(attrConstName(n, "scales"), []int64{int64(len(s))}, s)
	default:
		if x.Type.Shape.Rank() != 4 {
			return nil, fmt.Errorf("Upsample-1 needs a 4-D input")
		}
		s := []float32{1, 1, n.Float("height_scale", 1), n.Float("width_scale", 1)}
		scales = c.scalesConst(attrConstName(n, "scales"), []int64{4}, s)
	}
	if scales == nil {
		return nil, fmt.Errorf("missing scales")
	}
	return c.resizeLegacy(n, x, scales, n.Str("mode", "nearest"))
}
