package interp

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("Not", func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
		ts, err := tensorOperands(args, 1, 1)
		if err != nil {
			return nil, err
		}
		if ts[0].DType != ir.Bool {
			return nil, fmt.Errorf("Not does not support element type %v", ts[0].DType)
		}
		return []Value{Unary(ts[0], ir.Bool, func(x bool) bool { return !x })}, nil
	})
	registerLogic("And", func(x, y bool) bool { return x && y })
	registerLogic("Or", func(x, y bool) bool { return x || y })
	registerLogic("Xor", func(x, y bool) bool { return x != y })

	Register("Equal", kernelEqual)
	registerCompare("Greater", compareFuncs{
		i: func(x, y int64) bool { return x > y },
		u: func(x, y uint64) bool { return x > y },
		f: func(x, y float64) bool { return x > y },
	})
	registerCompare("Less", compareFuncs{
		i: func(x, y int64) bool { return x < y },
		u: func(x, y uint64) bool { return x < y },
		f: func(x, y float64) bool { return x < y },
	})
	registerCompare("GreaterOrEqual", compareFuncs{
		i: func(x, y int64) bool { return x >= y },
		u: func(x, y uint64) bool { return x >= y },
		f: func(x, y float64) bool { return x >= y },
	})
	registerCompare("LessOrEqual", compareFuncs{
		i: func(x, y int64) bool { return x <= y },
		u: func(x, y uint64) bool { return x <= y },
		f: func(x, y float64) bool { return x <= y },
	})

	Register("IsNaN", func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
		return floatTest("IsNaN", args, func(x float64) bool { return x != x })
	})
	Register("IsInf", func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
		neg, pos := op.Int("detect_negative") != 0, op.Int("detect_positive") != 0
		return floatTest("IsInf", args, func(x float64) bool {
			return (pos && math.IsInf(x, 1)) || (neg && math.IsInf(x, -1))
		})
	})
	Register("Where", kernelWhere)
}

func registerLogic(name string, f func(x, y bool) bool) {
	Register(name, func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
		ts, err := tensorOperands(args, 2, 2)
		if err != nil {
			return nil, err
		}
		a, b := ts[0], ts[1]
		if a.DType != ir.Bool || b.DType != ir.Bool {
			return nil, fmt.Errorf("%s needs bool operands, got %v and %v", name, a.DType, b.DType)
		}
		out, err := Binary(a, b, ir.Bool, f)
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	})
}

// Equal compares numbers, and since Equal-11 bools (strings since Equal-19,
// which kiln accepts already).
func kernelEqual(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	a, b := ts[0], ts[1]
	var out *Tensor
	switch {
	case a.DType != b.DType:
		return nil, fmt.Errorf("Equal: operand element types differ: %v and %v", a.DType, b.DType)
	case a.DType == ir.Bool:
		out, err = Binary(a, b, ir.Bool, func(x, y bool) bool { return x == y })
	case a.DType == ir.String:
		out, err = Binary(a, b, ir.Bool, func(x, y string) bool { return x == y })
	default:
		out, err = applyCompare("Equal", a, b, compareFuncs{
			i: func(x, y int64) bool { return x == y },
			u: func(x, y uint64) bool { return x == y },
			f: func(x, y float64) bool { return x == y },
		})
	}
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}

func floatTest(name string, args []Value, f func(float64) bool) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	switch x.DType {
	case ir.F64:
		return []Value{Unary(x, ir.Bool, f)}, nil
	case ir.F32, ir.F16, ir.BF16:
		return []Value{Unary(ToF32(x), ir.Bool, func(v float32) bool { return f(float64(v)) })}, nil
	}
	return nil, fmt.Errorf("%s does not support element type %v", name, x.DType)
}

func kernelWhere(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 3, 3)
	if err != nil {
		return nil, err
	}
	cond, x, y := ts[0], ts[1], ts[2]
	if cond.DType != ir.Bool {
		return nil, fmt.Errorf("Where: condition is %v, want bool", cond.DType)
	}
	if x.DType != y.DType {
		return nil, fmt.Errorf("Where: X is %v but Y is %v", x.DType, y.DType)
	}
	shape, err := BroadcastShape(cond.Shape, x.Shape, y.Shape)
	if err != nil {
		return nil, err
	}
	ic, ix, iy := BroadcastIndex(cond.Shape, shape), BroadcastIndex(x.Shape, shape), BroadcastIndex(y.Shape, shape)
	// Selecting by flat index needs no arithmetic, so the generic
	// movement primitives serve every element type: broadcast X, then
	// overwrite the places where the condition is false with Y's elements.
	cs := Data[bool](cond)
	out := takeFlat(x, shape, ix)
	var at, from []int
	for k, j := range ic {
		if !cs[j] {
			at, from = append(at, k), append(from, iy[k])
		}
	}
	putFlat(out, takeFlat(y, []int{len(from)}, from), at)
	return []Value{out}, nil
}
