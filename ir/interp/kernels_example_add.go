package interp

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("Add", kernelAdd)
	Register("Identity", func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) { return args[:1], nil })
}

// number is every Go type that backs a real numeric dtype.
type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

func add[T number](a, b *Tensor) (*Tensor, error) {
	return Binary(a, b, a.DType, func(x, y T) T { return x + y })
}

func kernelAdd(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := Tensors(args)
	if err != nil {
		return nil, err
	}
	a, b := ts[0], ts[1]
	if a.DType != b.DType {
		return nil, fmt.Errorf("operand dtypes differ: %v and %v", a.DType, b.DType)
	}
	var out *Tensor
	switch a.DType {
	case ir.F32:
		out, err = add[float32](a, b)
	case ir.F64:
		out, err = add[float64](a, b)
	case ir.F16, ir.BF16:
		out, err = add[float32](ToF32(a), ToF32(b))
		if err == nil {
			out = FromF32(out, a.DType)
		}
	case ir.I8:
		out, err = add[int8](a, b)
	case ir.I16:
		out, err = add[int16](a, b)
	case ir.I32:
		out, err = add[int32](a, b)
	case ir.I64:
		out, err = add[int64](a, b)
	case ir.U8:
		out, err = add[uint8](a, b)
	case ir.U16:
		out, err = add[uint16](a, b)
	case ir.U32:
		out, err = add[uint32](a, b)
	case ir.U64:
		out, err = add[uint64](a, b)
	default:
		return nil, fmt.Errorf("Add does not support %v", a.DType)
	}
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}
