package codegen

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// Float functions of one operand beyond the activations in
// emit_elementwise.go, computed in float64 and rounded once, as the
// interpreter does.
func init() {
	for name, fn := range map[string]string{
		"Log":   "math.Log",
		"Cos":   "math.Cos",
		"Sin":   "math.Sin",
		"Tan":   "math.Tan",
		"Abs":   "math.Abs",
		"Floor": "math.Floor",
		"Ceil":  "math.Ceil",
		"Round": "math.RoundToEven", // ONNX Round: halves to even
		"Atan":  "math.Atan",
		"Asin":  "math.Asin",
		"Acos":  "math.Acos",
		"Sinh":  "math.Sinh",
		"Cosh":  "math.Cosh",
	} {
		emitters[name] = emitUnary(f32Stmt(fmt.Sprintf("v = float32(%s(float64(v)))", fn)))
	}
	for name, fn := range map[string]string{
		"Asinh": "math.Asinh",
		"Acosh": "math.Acosh",
		"Atanh": "math.Atanh",
	} {
		emitters[name] = emitUnary(f32Stmt(fmt.Sprintf("v = float32(%s(float64(v)))", fn)))
	}
	emitters["Reciprocal"] = emitUnary(f32Stmt("v = 1 / v"))
	emitters["Softsign"] = emitUnary(f32Stmt("v = float32(float64(v) / (1 + math.Abs(float64(v))))"))
	emitters["HardSwish"] = emitUnary(f32Stmt("x := float64(v)\nv = float32(x * max(0, min(1, x/6+0.5)))"))
	emitters["Sign"] = emitUnary(f32Stmt("switch {\ncase v > 0:\nv = 1\ncase v < 0:\nv = -1\n}"))
	// The exponential units, with the attribute as a literal; ONNX's
	// alpha*(e^x - 1) through Expm1, as the interpreter computes it.
	emitters["Elu"] = emitUnary(func(c *opCtx) (string, error) {
		if err := f32Operand(c); err != nil {
			return "", err
		}
		return fmt.Sprintf("if v < 0 {\nv = float32(%v * math.Expm1(float64(v)))\n}", float64(c.op.Float("alpha"))), nil
	})
	emitters["Selu"] = emitUnary(func(c *opCtx) (string, error) {
		if err := f32Operand(c); err != nil {
			return "", err
		}
		return fmt.Sprintf("x := float64(v)\nif x <= 0 {\nx = %v * math.Expm1(x)\n}\nv = float32(%v * x)", float64(c.op.Float("alpha")), float64(c.op.Float("gamma"))), nil
	})
	emitters["Celu"] = emitUnary(func(c *opCtx) (string, error) {
		if err := f32Operand(c); err != nil {
			return "", err
		}
		a := float64(c.op.Float("alpha"))
		return fmt.Sprintf("x := float64(v)\nv = float32(max(0, x) + min(0, %v*math.Expm1(x/%v)))", a, a), nil
	})
	emitters["ThresholdedRelu"] = emitUnary(func(c *opCtx) (string, error) {
		if err := f32Operand(c); err != nil {
			return "", err
		}
		return fmt.Sprintf("if !(float64(v) > %v) {\nv = 0\n}", float64(c.op.Float("alpha"))), nil
	})
	emitters["Shrink"] = emitUnary(func(c *opCtx) (string, error) {
		if err := f32Operand(c); err != nil {
			return "", err
		}
		b, l := float64(c.op.Float("bias")), float64(c.op.Float("lambd"))
		return fmt.Sprintf("x := float64(v)\nswitch {\ncase x < -(%[2]v):\nv = float32(x + %[1]v)\ncase x > %[2]v:\nv = float32(x - %[1]v)\ndefault:\nv = 0\n}", b, l), nil
	})
	emitters["Softplus"] = emitUnary(f32Stmt("v = float32(math.Log1p(math.Exp(float64(v))))"))
	emitters["LeakyRelu"] = emitUnary(func(c *opCtx) (string, error) {
		if err := f32Operand(c); err != nil {
			return "", err
		}
		return fmt.Sprintf("if v < 0 {\nv *= %s\n}", f32Lit(c.op.Float("alpha"))), nil
	})
	emitters["Not"] = emitUnary(func(c *opCtx) (string, error) {
		if t := c.op.Args[0].Type.DType; t != ir.Bool {
			return "", fmt.Errorf("operand is %s, want bool", t)
		}
		return "v = !v", nil
	})
}

// f32Stmt is an emitUnary statement for an op codegen computes on float32
// only.
func f32Stmt(stmt string) func(*opCtx) (string, error) {
	return func(c *opCtx) (string, error) {
		if err := f32Operand(c); err != nil {
			return "", err
		}
		return stmt, nil
	}
}

// f32Operand refuses an op whose operand 0 is not float32.
func f32Operand(c *opCtx) error {
	if t := c.op.Args[0].Type.DType; t != ir.F32 {
		return fmt.Errorf("operand is %s; codegen computes %s on f32 only so far", t, c.op.Name)
	}
	return nil
}
