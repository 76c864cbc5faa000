package onnx

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	// ReduceSum-13 moved axes to an input and added noop_with_empty_axes;
	// the other nine keep the axes attribute through opset 17 (versions 1,
	// 11 (negative axes), 12 for Max/Min (int8/uint8), 13 (bfloat16)).
	// kiln takes axes as an input for all of them.
	register("ReduceSum", 1, 12, convReduceAxesAttr)
	register("ReduceSum", 13, 0, direct())
	for _, name := range []string{"ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
		"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"} {
		register(name, 1, 17, convReduceAxesAttr)
		// Opset 18 moved axes to an input, kiln's form (ReduceMax-20 and
		// ReduceMin-20 only add bool).
		register(name, 18, 0, direct())
	}
	// ArgMax/ArgMin-11 allow negative axes and -12 adds select_last_index;
	// kiln's op covers both, so every version maps directly.
	register("ArgMax", 1, 0, direct())
	register("ArgMin", 1, 0, direct())
	for _, name := range []string{"Softmax", "LogSoftmax", "Hardmax"} {
		register(name, 1, 12, convSoftmaxCoerced2D)
		register(name, 13, 0, direct())
	}
}

// convReduceAxesAttr converts a Reduce* node whose axes are an attribute:
// the attribute becomes a constant operand; without it the op reduces
// every axis, which is also what an absent axes operand means in kiln.
func convReduceAxesAttr(c *converter, n *node) ([]*ir.Value, error) {
	args := []*ir.Value{n.In(0), nil}
	if n.Has("axes") {
		axes := n.Ints("axes")
		args[1] = c.constI64(string(n.loc())+".axes", []int64{int64(len(axes))}, axes)
	}
	return c.directAs(n, n.proto.GetOpType(), args, "axes")
}

// convSoftmaxCoerced2D converts Softmax, LogSoftmax and Hardmax before
// opset 13: they flattened the input to 2-D at axis (default 1) and
// normalized each row over all trailing dims. When every dim after axis is
// known to be 1 (or axis is the last dim), that is the opset-13 op along
// axis; otherwise the input is flattened, normalized along the last axis
// and reshaped back to its original shape.
func convSoftmaxCoerced2D(c *converter, n *node) ([]*ir.Value, error) {
	x := n.In(0)
	if x == nil {
		return nil, fmt.Errorf("missing input")
	}
	name := n.proto.GetOpType()
	axis := n.Int("axis", 1)
	s := x.Type.Shape
	if r := s.Rank(); r >= 0 {
		// As for Flatten, axis may also equal the rank: every row is then a
		// single element.
		a := axis
		if a < 0 {
			a += int64(r)
		}
		if a < 0 || a > int64(r) {
			return nil, fmt.Errorf("axis %d out of range for rank %d", axis, r)
		}
		trailingOnes := a < int64(r)
		for _, d := range s.Dims[min(a+1, int64(r)):] {
			if d.Size != 1 {
				trailingOnes = false
			}
		}
		if trailingOnes {
			return c.emit(name, []*ir.Value{x}, []ir.Attr{{Name: "axis", Value: ir.IntAttr(a)}}, 1)
		}
		axis = a
	}
	flat, err := c.emit1("Flatten", []*ir.Value{x}, ir.Attr{Name: "axis", Value: ir.IntAttr(axis)})
	if err != nil {
		return nil, err
	}
	y, err := c.emit1(name, []*ir.Value{flat}, ir.Attr{Name: "axis", Value: ir.IntAttr(-1)})
	if err != nil {
		return nil, err
	}
	var shape *ir.Value
	if sizes, ok := s.Sizes(); ok {
		shape = c.constI64(string(n.loc())+".shape", []int64{int64(len(sizes))}, sizes)
	} else if shape, err = c.emit1("Shape", []*ir.Value{x}); err != nil {
		return nil, err
	}
	return c.emit("Reshape", []*ir.Value{y, shape}, nil, 1)
}
