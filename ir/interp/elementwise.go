package interp

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// The elementwise family's kernels are written once per op as element
// functions over three "wide" types: int64 for signed integers, uint64 for
// unsigned ones and float64 for floats. Each narrow element is widened,
// computed on and converted back, which is exact for every integer op whose
// narrow result is the wide result modulo 2^bits (add, sub, mul, div, neg,
// abs, shifts, comparisons) and correctly rounded for float32 add, sub, mul,
// div and sqrt (float64 has more than twice float32's precision). float16
// and bfloat16 go through float32 and are rounded once at the end.

// number is every Go type that backs a real numeric dtype.
type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// unaryFuncs is one op's element function per wide type; a nil field means
// the op does not accept that class of element types.
type unaryFuncs struct {
	i func(int64) int64
	u func(uint64) uint64
	f func(float64) float64
}

// binaryFuncs is unaryFuncs for two-operand ops.
type binaryFuncs struct {
	i func(x, y int64) int64
	u func(x, y uint64) uint64
	f func(x, y float64) float64
}

// compareFuncs is binaryFuncs for ops with a bool result.
type compareFuncs struct {
	i func(x, y int64) bool
	u func(x, y uint64) bool
	f func(x, y float64) bool
}

func mapWide[T, W number](a *Tensor, f func(W) W) *Tensor {
	return Unary(a, a.DType, func(x T) T { return T(f(W(x))) })
}

func zipWide[T, W number](a, b *Tensor, f func(x, y W) W) (*Tensor, error) {
	return Binary(a, b, a.DType, func(x, y T) T { return T(f(W(x), W(y))) })
}

func cmpWide[T, W number](a, b *Tensor, f func(x, y W) bool) (*Tensor, error) {
	return Binary(a, b, ir.Bool, func(x, y T) bool { return f(W(x), W(y)) })
}

// applyUnary runs fs on a, dispatching on a's element type.
func applyUnary(name string, a *Tensor, fs unaryFuncs) (*Tensor, error) {
	d := a.DType
	switch {
	case d == ir.F64 && fs.f != nil:
		return mapWide[float64](a, fs.f), nil
	case d.IsFloat() && fs.f != nil:
		return FromF32(mapWide[float32](ToF32(a), fs.f), d), nil
	case fs.i != nil && d == ir.I8:
		return mapWide[int8](a, fs.i), nil
	case fs.i != nil && d == ir.I16:
		return mapWide[int16](a, fs.i), nil
	case fs.i != nil && d == ir.I32:
		return mapWide[int32](a, fs.i), nil
	case fs.i != nil && d == ir.I64:
		return mapWide[int64](a, fs.i), nil
	case fs.u != nil && d == ir.U8:
		return mapWide[uint8](a, fs.u), nil
	case fs.u != nil && d == ir.U16:
		return mapWide[uint16](a, fs.u), nil
	case fs.u != nil && d == ir.U32:
		return mapWide[uint32](a, fs.u), nil
	case fs.u != nil && d == ir.U64:
		return mapWide[uint64](a, fs.u), nil
	}
	return nil, fmt.Errorf("%s does not support element type %v", name, d)
}

// applyBinary runs fs on a and b after broadcasting; both must have the same
// element type.
func applyBinary(name string, a, b *Tensor, fs binaryFuncs) (*Tensor, error) {
	d := a.DType
	if b.DType != d {
		return nil, fmt.Errorf("%s: operand element types differ: %v and %v", name, d, b.DType)
	}
	switch {
	case d == ir.F64 && fs.f != nil:
		return zipWide[float64](a, b, fs.f)
	case d.IsFloat() && fs.f != nil:
		out, err := zipWide[float32](ToF32(a), ToF32(b), fs.f)
		if err != nil {
			return nil, err
		}
		return FromF32(out, d), nil
	case fs.i != nil && d == ir.I8:
		return zipWide[int8](a, b, fs.i)
	case fs.i != nil && d == ir.I16:
		return zipWide[int16](a, b, fs.i)
	case fs.i != nil && d == ir.I32:
		return zipWide[int32](a, b, fs.i)
	case fs.i != nil && d == ir.I64:
		return zipWide[int64](a, b, fs.i)
	case fs.u != nil && d == ir.U8:
		return zipWide[uint8](a, b, fs.u)
	case fs.u != nil && d == ir.U16:
		return zipWide[uint16](a, b, fs.u)
	case fs.u != nil && d == ir.U32:
		return zipWide[uint32](a, b, fs.u)
	case fs.u != nil && d == ir.U64:
		return zipWide[uint64](a, b, fs.u)
	}
	return nil, fmt.Errorf("%s does not support element type %v", name, d)
}

// applyCompare runs fs on a and b after broadcasting, giving a bool tensor.
func applyCompare(name string, a, b *Tensor, fs compareFuncs) (*Tensor, error) {
	d := a.DType
	if b.DType != d {
		return nil, fmt.Errorf("%s: operand element types differ: %v and %v", name, d, b.DType)
	}
	switch {
	case d == ir.F64 && fs.f != nil:
		return cmpWide[float64](a, b, fs.f)
	case d.IsFloat() && fs.f != nil:
		// float16 and bfloat16 widen to float32 exactly, so comparing there
		// is exact.
		return cmpWide[float32](ToF32(a), ToF32(b), fs.f)
	case fs.i != nil && d == ir.I8:
		return cmpWide[int8](a, b, fs.i)
	case fs.i != nil && d == ir.I16:
		return cmpWide[int16](a, b, fs.i)
	case fs.i != nil && d == ir.I32:
		return cmpWide[int32](a, b, fs.i)
	case fs.i != nil && d == ir.I64:
		return cmpWide[int64](a, b, fs.i)
	case fs.u != nil && d == ir.U8:
		return cmpWide[uint8](a, b, fs.u)
	case fs.u != nil && d == ir.U16:
		return cmpWide[uint16](a, b, fs.u)
	case fs.u != nil && d == ir.U32:
		return cmpWide[uint32](a, b, fs.u)
	case fs.u != nil && d == ir.U64:
		return cmpWide[uint64](a, b, fs.u)
	}
	return nil, fmt.Errorf("%s does not support element type %v", name, d)
}

// viaFloat lifts a float element function to the integer classes, for ops
// ONNX defines on integers through a real-valued formula (Erf, Shrink):
// compute in float64, then convert back (truncating toward zero).
func viaFloat(f func(float64) float64) unaryFuncs {
	return unaryFuncs{
		i: func(x int64) int64 { return int64(f(float64(x))) },
		u: func(x uint64) uint64 { return uint64(f(float64(x))) },
		f: f,
	}
}

// floatsOnly wraps a float element function for ops defined on floats only.
func floatsOnly(f func(float64) float64) unaryFuncs { return unaryFuncs{f: f} }

// registerUnary registers a kernel for a one-operand op built from fs;
// mk receives the op so element functions can read its attributes.
func registerUnary(name string, mk func(op *ir.Op) unaryFuncs) {
	Register(name, func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
		ts, err := tensorOperands(args, 1, 1)
		if err != nil {
			return nil, err
		}
		out, err := applyUnary(name, ts[0], mk(op))
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	})
}

// registerBinary registers a kernel for a two-operand broadcasting op.
func registerBinary(name string, mk func(op *ir.Op) binaryFuncs) {
	Register(name, func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
		ts, err := tensorOperands(args, 2, 2)
		if err != nil {
			return nil, err
		}
		out, err := applyBinary(name, ts[0], ts[1], mk(op))
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	})
}

// registerCompare registers a kernel for a broadcasting comparison.
func registerCompare(name string, fs compareFuncs) {
	Register(name, func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
		ts, err := tensorOperands(args, 2, 2)
		if err != nil {
			return nil, err
		}
		out, err := applyCompare(name, ts[0], ts[1], fs)
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	})
}

// constUnary and constBinary are for ops whose element functions do not
// depend on the op's attributes.
func constUnary(fs unaryFuncs) func(*ir.Op) unaryFuncs { return func(*ir.Op) unaryFuncs { return fs } }
func constBinary(fs binaryFuncs) func(*ir.Op) binaryFuncs {
	return func(*ir.Op) binaryFuncs { return fs }
}

func init() {
	// Identity passes any value through: tensor, sequence or optional.
	Register("Identity", func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) { return args[:1], nil })
}
