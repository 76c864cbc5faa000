package interp

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	registerBinary("Add", constBinary(binaryFuncs{
		i: func(x, y int64) int64 { return x + y },
		u: func(x, y uint64) uint64 { return x + y },
		f: func(x, y float64) float64 { return x + y },
	}))
	registerBinary("Sub", constBinary(binaryFuncs{
		i: func(x, y int64) int64 { return x - y },
		u: func(x, y uint64) uint64 { return x - y },
		f: func(x, y float64) float64 { return x - y },
	}))
	registerBinary("Mul", constBinary(binaryFuncs{
		i: func(x, y int64) int64 { return x * y },
		u: func(x, y uint64) uint64 { return x * y },
		f: func(x, y float64) float64 { return x * y },
	}))
	Register("Div", kernelDiv)
	Register("Mod", kernelMod)
	Register("Pow", kernelPow)
	registerBinary("BitShift", func(op *ir.Op) binaryFuncs {
		// Go defines shifts by >= the width as 0, which is what ONNX's
		// unsigned-only BitShift needs; narrow types are truncated after the
		// 64-bit shift, which is the same thing.
		if op.Str("direction") == "LEFT" {
			return binaryFuncs{u: func(x, y uint64) uint64 { return x << y }}
		}
		return binaryFuncs{u: func(x, y uint64) uint64 { return x >> y }}
	})
	// Bitwise ops work on the widened values: narrowing back keeps the low
	// bits, which are those of the narrow operation.
	registerBinary("BitwiseAnd", constBinary(binaryFuncs{
		i: func(x, y int64) int64 { return x & y },
		u: func(x, y uint64) uint64 { return x & y },
	}))
	registerBinary("BitwiseOr", constBinary(binaryFuncs{
		i: func(x, y int64) int64 { return x | y },
		u: func(x, y uint64) uint64 { return x | y },
	}))
	registerBinary("BitwiseXor", constBinary(binaryFuncs{
		i: func(x, y int64) int64 { return x ^ y },
		u: func(x, y uint64) uint64 { return x ^ y },
	}))
	registerBinary("PRelu", constBinary(binaryFuncs{
		i: func(x, s int64) int64 { return cond(x < 0, s*x, x) },
		u: func(x, s uint64) uint64 { return x },
		f: func(x, s float64) float64 { return cond(x < 0, s*x, x) },
	}))
	// Sum and Mean are float-only in ONNX; kiln's Sum also adds integers.
	Register("Sum", variadic("Sum", binaryFuncs{
		i: func(x, y int64) int64 { return x + y },
		u: func(x, y uint64) uint64 { return x + y },
		f: func(x, y float64) float64 { return x + y },
	}, false))
	Register("Mean", variadic("Mean", binaryFuncs{f: func(x, y float64) float64 { return x + y }}, true))
	Register("Max", variadic("Max", maxFuncs, false))
	Register("Min", variadic("Min", minFuncs, false))
	Register("Clip", kernelClip)
}

func cond[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}

// maxFuncs and minFuncs propagate NaN from either side, as numpy's maximum
// and minimum do.
var maxFuncs = binaryFuncs{
	i: func(x, y int64) int64 { return max(x, y) },
	u: func(x, y uint64) uint64 { return max(x, y) },
	f: func(x, y float64) float64 { return cond(x > y || x != x, x, y) },
}

var minFuncs = binaryFuncs{
	i: func(x, y int64) int64 { return min(x, y) },
	u: func(x, y uint64) uint64 { return min(x, y) },
	f: func(x, y float64) float64 { return cond(x < y || x != x, x, y) },
}

// Integer Div and Mod by zero are errors rather than a Go run-time panic;
// float division follows IEEE (inf or NaN).
var errDivZero = fmt.Errorf("integer division by zero")

func kernelDiv(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	a, b := ts[0], ts[1]
	zero := false
	out, err := applyBinary("Div", a, b, binaryFuncs{
		i: func(x, y int64) int64 {
			if y == 0 {
				zero = true
				return 0
			}
			return x / y
		},
		u: func(x, y uint64) uint64 {
			if y == 0 {
				zero = true
				return 0
			}
			return x / y
		},
		f: func(x, y float64) float64 { return x / y },
	})
	if err == nil && zero {
		err = errDivZero
	}
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}

// Mod with fmod=0 takes the sign of the divisor (Python's %); with fmod=1
// the sign of the dividend (C's fmod). ONNX requires fmod=1 for floats; kiln
// accepts fmod=0 there too with the divisor-sign meaning.
func kernelMod(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	a, b := ts[0], ts[1]
	fmod := op.Int("fmod") == 1
	zero := false
	out, err := applyBinary("Mod", a, b, binaryFuncs{
		i: func(x, y int64) int64 {
			if y == 0 {
				zero = true
				return 0
			}
			r := x % y
			if !fmod && r != 0 && (r < 0) != (y < 0) {
				r += y
			}
			return r
		},
		u: func(x, y uint64) uint64 {
			if y == 0 {
				zero = true
				return 0
			}
			return x % y
		},
		f: func(x, y float64) float64 {
			r := math.Mod(x, y)
			if !fmod && r != 0 && (r < 0) != (y < 0) {
				r += y
			}
			return r
		},
	})
	if err == nil && zero {
		err = errDivZero
	}
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}

// Pow's operands may have different element types (Pow-12 split T and T1);
// the result has the base's type. Integer powers are computed exactly by
// squaring; anything involving a float goes through float64.
func kernelPow(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x, y := ts[0], ts[1]
	if !isNumeric(x.DType) || !isNumeric(y.DType) {
		return nil, fmt.Errorf("Pow does not support %v ** %v", x.DType, y.DType)
	}
	var out *Tensor
	if x.DType.IsInt() && y.DType.IsInt() {
		xi, yi := mustCast(x, ir.I64), mustCast(y, ir.I64)
		out, err = Binary(xi, yi, ir.I64, powInt)
	} else {
		xf, yf := mustCast(x, ir.F64), mustCast(y, ir.F64)
		out, err = Binary(xf, yf, ir.F64, math.Pow)
	}
	if err != nil {
		return nil, err
	}
	if out, err = CastTensor(out, x.DType); err != nil {
		return nil, err
	}
	return []Value{out}, nil
}

func powInt(x, n int64) int64 {
	if n < 0 {
		// Only |x| == 1 has a nonzero integral reciprocal power; 0 ** -n is
		// a division by zero that integer types cannot express, taken as 0.
		switch {
		case x == 1:
			return 1
		case x == -1:
			return cond(n%2 == 0, int64(1), -1)
		}
		return 0
	}
	r := int64(1)
	for n > 0 {
		if n&1 == 1 {
			r *= x
		}
		x *= x
		n >>= 1
	}
	return r
}

func isNumeric(d ir.DType) bool { return d.IsInt() || d.IsFloat() }

// mustCast converts between numeric types, which cannot fail.
func mustCast(t *Tensor, d ir.DType) *Tensor {
	out, err := CastTensor(t, d)
	if err != nil {
		panic("interp: numeric cast failed: " + err.Error())
	}
	return out
}

// variadic folds fs over one or more operands with broadcasting. float16
// and bfloat16 operands are widened once and rounded once at the end, so a
// long Sum does not round at every step. mean divides by the count.
func variadic(name string, fs binaryFuncs, mean bool) Kernel {
	return func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
		ts, err := tensorOperands(args, 1, 0)
		if err != nil {
			return nil, err
		}
		d := ts[0].DType
		acc := ToF32(ts[0])
		if len(ts) == 1 {
			acc = acc.Clone()
		}
		for i, t := range ts[1:] {
			if t == nil || t.DType != d {
				return nil, fmt.Errorf("%s: operand %d is not %v", name, i+1, d)
			}
			if acc, err = applyBinary(name, acc, ToF32(t), fs); err != nil {
				return nil, err
			}
		}
		if mean {
			n := float64(len(ts))
			if acc, err = applyUnary(name, acc, floatsOnly(func(x float64) float64 { return x / n })); err != nil {
				return nil, err
			}
		}
		return []Value{FromF32(acc, d)}, nil
	}
}

// Clip bounds are optional scalars; absent bounds leave that side open.
// Clip(x, lo, hi) = min(max(x, lo), hi), so lo > hi gives hi everywhere, as
// ONNX specifies.
func kernelClip(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 3)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	out := x
	for i, fs := range []binaryFuncs{maxFuncs, minFuncs} {
		if ts[i+1] == nil {
			continue
		}
		b := ts[i+1]
		if b.Len() != 1 {
			return nil, fmt.Errorf("Clip: bound %d has shape %v, want a scalar", i+1, b.Shape)
		}
		if out, err = applyBinary("Clip", out, b.Reshaped(nil), fs); err != nil {
			return nil, err
		}
	}
	if out == x {
		out = x.Clone()
	}
	return []Value{out}, nil
}
