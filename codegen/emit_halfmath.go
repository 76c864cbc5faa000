package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// Max, Min and Mod on half floats compute as the interpreter does: each
// element widened to float32, the op in float64 over those values, the
// result rounded to float32 and then to the half type.
func init() {
	for _, name := range []string{"Max", "Min", "Mod"} {
		halfComputed[name] = true
		extendedEmitters[name] = emitHalfMath
	}
}

// halfComputed lists the ops whose emitters compute on half floats by
// widening them, so checkHalfTypes lets them through.
var halfComputed = map[string]bool{}

// halfConv returns the functions that widen a half type's bits to float32
// and round a float32 back.
func halfConv(d ir.DType) (widen, narrow string) {
	if d == ir.BF16 {
		return "bf16ToF32", "f32ToBF16"
	}
	return "halfToF32", "f32ToHalf"
}

// emitHalfMath writes Max, Min (any number of operands; NaN wins, as
// numpy's maximum and minimum) and Mod (fmod 1 takes the dividend's sign,
// 0 the divisor's) on f16 or bf16. Other element types go to the entry of
// emitters.
func emitHalfMath(c *opCtx) (*kernel, error) {
	dt := c.op.Args[0].Type.DType
	if !isHalf(dt) {
		return emitters[c.op.Name](c)
	}
	for i, v := range c.op.Args {
		if v == nil || v.Type.DType != dt {
			return nil, fmt.Errorf("operand %d is missing or not %s", i, dt)
		}
	}
	widen, narrow := halfConv(dt)
	name := c.op.Name
	fmod := name == "Mod" && c.op.Int("fmod") == 1
	return emitBroadcast(c, name+" on "+dt.String()+" in float32", func(v []string) string {
		var b strings.Builder
		if name == "Mod" {
			fmt.Fprintf(&b, "a, d := float64(%s(%s)), float64(%s(%s))\nr := math.Mod(a, d)\n", widen, v[0], widen, v[1])
			if !fmod {
				b.WriteString("if r != 0 && (r < 0) != (d < 0) {\nr += d\n}\n")
			}
			fmt.Fprintf(&b, "y[i] = %s(float32(r))", narrow)
			return b.String()
		}
		cmp := ">"
		if name == "Min" {
			cmp = "<"
		}
		fmt.Fprintf(&b, "t := %s(%s)\n", widen, v[0])
		for _, x := range v[1:] {
			fmt.Fprintf(&b, "if u := %s(%s); !(t %s u || t != t) {\nt = u\n}\n", widen, x, cmp)
		}
		fmt.Fprintf(&b, "y[i] = %s(t)", narrow)
		return b.String()
	})
}
