package interp

import (
	"math"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	registerUnary("Abs", constUnary(unaryFuncs{
		i: func(x int64) int64 { return cond(x < 0, -x, x) },
		u: func(x uint64) uint64 { return x },
		f: math.Abs,
	}))
	registerUnary("Neg", constUnary(unaryFuncs{
		i: func(x int64) int64 { return -x },
		f: func(x float64) float64 { return -x },
	}))
	registerUnary("Sign", constUnary(unaryFuncs{
		i: func(x int64) int64 { return cond(x > 0, 1, cond(x < 0, int64(-1), 0)) },
		u: func(x uint64) uint64 { return cond(x > 0, uint64(1), 0) },
		f: func(x float64) float64 {
			switch {
			case x > 0:
				return 1
			case x < 0:
				return -1
			}
			return x // 0, -0 or NaN
		},
	}))
	registerUnary("Relu", constUnary(unaryFuncs{
		i: func(x int64) int64 { return max(x, 0) },
		f: func(x float64) float64 { return cond(x < 0, 0, x) }, // NaN stays NaN
	}))
	registerUnary("Erf", constUnary(viaFloat(math.Erf)))
	// Ceil, Floor and Round are identities on integers (ONNX defines them on
	// floats only; accepting integers costs nothing).
	for name, f := range map[string]func(float64) float64{
		"Ceil":  math.Ceil,
		"Floor": math.Floor,
		"Round": math.RoundToEven, // ONNX Round-11: halves go to the even neighbour
	} {
		registerUnary(name, constUnary(floatsOnly(f)))
	}
	for name, f := range map[string]func(float64) float64{
		"Reciprocal": func(x float64) float64 { return 1 / x },
		"Sqrt":       math.Sqrt,
		"Exp":        math.Exp,
		"Log":        math.Log,
		"Sin":        math.Sin,
		"Cos":        math.Cos,
		"Tan":        math.Tan,
		"Asin":       math.Asin,
		"Acos":       math.Acos,
		"Atan":       math.Atan,
		"Sinh":       math.Sinh,
		"Cosh":       math.Cosh,
		"Asinh":      math.Asinh,
		"Acosh":      math.Acosh,
		"Atanh":      math.Atanh,
		"Tanh":       math.Tanh,
		"Sigmoid":    sigmoid,
		"HardSwish":  func(x float64) float64 { return x * max(0, min(1, x/6+0.5)) },
		"Softsign":   func(x float64) float64 { return x / (1 + math.Abs(x)) },
		"Softplus":   softplus,
	} {
		registerUnary(name, constUnary(floatsOnly(f)))
	}

	registerUnary("Mish", constUnary(floatsOnly(func(x float64) float64 { return x * math.Tanh(softplus(x)) })))
	registerUnary("Gelu", func(op *ir.Op) unaryFuncs {
		if op.Str("approximate") == "tanh" {
			k := math.Sqrt(2 / math.Pi)
			return floatsOnly(func(x float64) float64 { return x / 2 * (1 + math.Tanh(k*(x+0.044715*x*x*x))) })
		}
		return floatsOnly(func(x float64) float64 { return x / 2 * (1 + math.Erf(x/math.Sqrt2)) })
	})
	registerUnary("Swish", func(op *ir.Op) unaryFuncs {
		alpha := float64(op.Float("alpha"))
		return floatsOnly(func(x float64) float64 { return x * sigmoid(alpha*x) })
	})
	registerUnary("BitwiseNot", constUnary(unaryFuncs{
		i: func(x int64) int64 { return ^x },
		u: func(x uint64) uint64 { return ^x },
	}))

	registerUnary("HardSigmoid", func(op *ir.Op) unaryFuncs {
		alpha, beta := float64(op.Float("alpha")), float64(op.Float("beta"))
		return floatsOnly(func(x float64) float64 { return max(0, min(1, alpha*x+beta)) })
	})
	registerUnary("LeakyRelu", func(op *ir.Op) unaryFuncs {
		alpha := float64(op.Float("alpha"))
		return floatsOnly(func(x float64) float64 { return cond(x < 0, alpha*x, x) })
	})
	registerUnary("Elu", func(op *ir.Op) unaryFuncs {
		alpha := float64(op.Float("alpha"))
		return floatsOnly(func(x float64) float64 { return cond(x < 0, alpha*math.Expm1(x), x) })
	})
	registerUnary("Selu", func(op *ir.Op) unaryFuncs {
		alpha, gamma := float64(op.Float("alpha")), float64(op.Float("gamma"))
		return floatsOnly(func(x float64) float64 { return gamma * cond(x <= 0, alpha*math.Expm1(x), x) })
	})
	registerUnary("Celu", func(op *ir.Op) unaryFuncs {
		alpha := float64(op.Float("alpha"))
		return floatsOnly(func(x float64) float64 { return max(0, x) + min(0, alpha*math.Expm1(x/alpha)) })
	})
	registerUnary("ThresholdedRelu", func(op *ir.Op) unaryFuncs {
		alpha := float64(op.Float("alpha"))
		return floatsOnly(func(x float64) float64 { return cond(x > alpha, x, 0) })
	})
	registerUnary("Shrink", func(op *ir.Op) unaryFuncs {
		bias, lambd := float64(op.Float("bias")), float64(op.Float("lambd"))
		return viaFloat(func(x float64) float64 {
			switch {
			case x < -lambd:
				return x + bias
			case x > lambd:
				return x - bias
			}
			return 0
		})
	})
}

// sigmoid is written so that neither branch overflows to inf/inf.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus is ln(1 + e^x), computed without overflow for large x.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}
