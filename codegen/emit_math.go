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
	emitters["Reciprocal"] = emitUnary(f32Stmt("v = 1 / v"))
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
