package codegen

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// lowered lists the ops whose 1-D form codegen compiles as the 2-D form
// over a height of 1: X [N,C,L] is viewed as [N,C,1,L], W [M,C,K] as
// [M,C,1,K], and the result is viewed back. The views cost nothing, and
// the 2-D emitters (the packed GEMM, the direct depthwise kernel) serve
// the audio models' 1-D convolutions.
// A kiln.FusedConv lowers the same way, its epilogue region moved to the
// 2-D op and its extra operands viewed as [N,M,1,L] too (rank-0 extras
// stay as they are; lower1DExtrasOK says which forms lower).
var lowered = map[string]bool{"Conv": true, "kiln.FusedConv": true}

// lower1DExtrasOK reports whether a fused 1-D convolution's extra
// operands can be viewed with the output: scalars, and tensors of the
// output's rank 3, which gain the same unit axis.
func lower1DExtrasOK(op *ir.Op) bool {
	_, n, _ := ir.FusedBase(op.Name)
	for _, e := range op.Args[min(n, len(op.Args)):] {
		if e == nil || !e.Type.Shape.Ranked {
			return false
		}
		if r := e.Type.Shape.Rank(); r != 0 && r != 3 {
			return false
		}
	}
	return true
}

// lower1D rewrites op, already inferred, when it is a 1-D form of a
// lowered op, and returns the last op it inserted (nil when it left op
// alone). The window attributes gain a leading 1 (pads a leading 0 on
// each side).
func lower1D(m *ir.Module, op *ir.Op) (*ir.Op, error) {
	if !lowered[op.Name] || len(op.Args) < 2 || len(op.Results) != 1 {
		return nil, nil
	}
	x, w := op.Args[0], op.Args[1]
	if x.Type.Shape.Rank() != 3 || w == nil || w.Type.Shape.Rank() != 3 {
		return nil, nil
	}
	axis := axisConst(m)
	b := ir.BuildBefore(op)
	b.Loc = op.Loc
	x4, err := b.Build("Unsqueeze", []*ir.Value{x, axis}, nil, 1)
	if err != nil {
		return nil, err
	}
	w4, err := b.Build("Unsqueeze", []*ir.Value{w, axis}, nil, 1)
	if err != nil {
		return nil, err
	}
	var attrs []ir.Attr
	for _, a := range op.Attrs {
		v := a.Value
		switch a.Name {
		case "kernel_shape", "strides", "dilations":
			v = ir.IntsAttr(append([]int64{1}, v.Ints...))
		case "pads":
			if len(v.Ints) != 2 {
				return nil, fmt.Errorf("pads %v for a 1-D window", v.Ints)
			}
			v = ir.IntsAttr([]int64{0, v.Ints[0], 0, v.Ints[1]})
		}
		attrs = append(attrs, ir.Attr{Name: a.Name, Value: v})
	}
	args := append([]*ir.Value{x4.Results[0], w4.Results[0]}, op.Args[2:]...)
	var conv *ir.Op
	if _, n, fused := ir.FusedBase(op.Name); fused {
		if !lower1DExtrasOK(op) {
			return nil, fmt.Errorf("%s: extra operands of ranks other than 0 and 3 do not lower to 2-D", op.Name)
		}
		for i := n; i < len(args); i++ {
			if args[i].Type.Shape.Rank() != 3 {
				continue
			}
			e4, err := b.Build("Unsqueeze", []*ir.Value{args[i], axis}, nil, 1)
			if err != nil {
				return nil, err
			}
			args[i] = e4.Results[0]
		}
		// The epilogue region moves to the 2-D op; its params are
		// scalars, so it reads the same whatever the views.
		t := op.Results[0].Type
		dims := append(append(append([]ir.Dim{}, t.Shape.Dims[:2]...), ir.Static(1)), t.Shape.Dims[2:]...)
		if conv, err = b.NewOp(op.Name, args, attrs, []ir.Type{ir.TensorType(t.DType, ir.Shape{Ranked: true, Dims: dims})}); err != nil {
			return nil, err
		}
		conv.Regions, op.Regions = op.Regions, nil
		for _, r := range conv.Regions {
			r.Parent = conv
		}
		if err := ir.InferTypes(conv); err != nil {
			return nil, err
		}
	} else if conv, err = b.Build(op.Name, args, attrs, 1); err != nil {
		return nil, err
	}
	y, err := b.Build("Squeeze", []*ir.Value{conv.Results[0], axis}, nil, 1)
	if err != nil {
		return nil, err
	}
	ir.ReplaceAllUses(op.Parent.Root(), op.Results[0], y.Results[0])
	if err := ir.EraseOp(op); err != nil {
		return nil, err
	}
	return y, nil
}

// axisConst returns the module's i64[1] constant [2], added on first use.
func axisConst(m *ir.Module) *ir.Value {
	const name = "codegen.axis2"
	if c := m.Const(name); c != nil {
		return c
	}
	b, _ := ir.EncodeElems([]int64{2})
	return m.AddConst(name, ir.TensorType(ir.I64, ir.ShapeOf(1)), &ir.Constant{Bytes: b})
}
