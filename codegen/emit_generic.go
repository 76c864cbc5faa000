package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// extendedEmitters extend an entry of emitters to the cases it refuses:
// emitOp prefers them, and they call the entry of emitters for the cases
// it specializes.
var extendedEmitters = map[string]emitter{
	"Pow":  emitPow,
	"Clip": emitClip,
}

func init() {
	emitters["PRelu"] = emitPRelu
}

// convFromF64 is the Go conversion of a float64 expression to element type
// d as the interpreter casts: integers other than u64 through int64, so
// that values out of range wrap.
func convFromF64(d ir.DType, x string) string {
	if d.IsInt() && d != ir.I64 && d != ir.U64 {
		return fmt.Sprintf("%s(int64(%s))", goElem[d], x)
	}
	return fmt.Sprintf("%s(%s)", goElem[d], x)
}

// emitBroadcast writes an op over operands broadcast together (numpy
// rules) into result 0, as nested loops with constant strides; stmt gives
// the statement setting y[i] from the operands' element expressions.
func emitBroadcast(c *opCtx, name string, stmt func(x []string) string) (*kernel, error) {
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	var in []*ir.Value
	var shapes [][]int
	var params, texts []string
	for _, v := range c.op.Args {
		if v == nil {
			continue
		}
		s, err := c.shape(v)
		if err != nil {
			return nil, err
		}
		in = append(in, v)
		shapes = append(shapes, s)
		params = append(params, fmt.Sprintf("x%d", len(params)))
		texts = append(texts, dtypeText(v.Type.DType, s))
	}
	dims, strides := broadcastLoops(ys, shapes...)
	var b strings.Builder
	for i, s := range shapes {
		fmt.Fprintf(&b, "x%d = x%d[:%d]\n", i, i, numel(s))
	}
	fmt.Fprintf(&b, "y = y[:%d]\n", numel(ys))
	writeLoops(&b, dims, strides, func(idx []string) string {
		x := make([]string, len(idx))
		for k := range idx {
			x[k] = fmt.Sprintf("x%d[%s]", k, idx[k])
		}
		return stmt(x) + "\ni++"
	}, "i := 0\n")
	text := strings.Join(texts, ", ") + " -> " + dtypeText(c.op.Results[0].Type.DType, ys)
	return &kernel{in: in, params: append(params, "y"), nout: 1, comment: name + ": " + text, body: b.String(), shapes: text, flops: int64(numel(ys))}, nil
}

// emitPow writes Pow. A float32 power by a constant scalar keeps its
// specialized statement (squares and roots spelled out); any other is
// broadcast: integer by integer in int64 (powInt, generic_math.go), else
// math.Pow in float64, converted to the base's element type.
func emitPow(c *opCtx) (*kernel, error) {
	x, e := c.op.Args[0].Type.DType, c.op.Args[1].Type.DType
	if fs, ok := ir.ConstFloats(c.op.Args[1]); ok && len(fs) == 1 && x == ir.F32 {
		return emitters["Pow"](c)
	}
	if goElem[x] == "" || goElem[e] == "" || x == ir.Bool || e == ir.Bool {
		return nil, fmt.Errorf("Pow of %s by %s: not supported", x, e)
	}
	if x.IsInt() && e.IsInt() {
		return emitBroadcast(c, "Pow in int64", func(v []string) string {
			return fmt.Sprintf("y[i] = %s(powInt(int64(%s), int64(%s)))", goElem[x], v[0], v[1])
		})
	}
	return emitBroadcast(c, "Pow in float64", func(v []string) string {
		return "y[i] = " + convFromF64(x, fmt.Sprintf("math.Pow(float64(%s), float64(%s))", v[0], v[1]))
	})
}

// emitClip writes Clip. Float32 with constant bounds keeps its statement
// (it also fuses as an epilogue); bounds computed at run time, and other
// element types, read the bounds' one element each. Absent bounds do not
// clip.
func emitClip(c *opCtx) (*kernel, error) {
	dt := c.op.Args[0].Type.DType
	if _, err := clipStmt(c); err == nil && dt == ir.F32 {
		return emitters["Clip"](c)
	}
	if goElem[dt] == "" || dt == ir.Bool {
		return nil, fmt.Errorf("Clip of %s: not supported", dt)
	}
	for i := 1; i < len(c.op.Args); i++ {
		if c.op.Args[i] == nil {
			continue
		}
		s, err := c.arg(i)
		if err != nil {
			return nil, err
		}
		if numel(s) != 1 {
			return nil, fmt.Errorf("bound %d has shape %v, want one element", i, s)
		}
	}
	hasLo := len(c.op.Args) > 1 && c.op.Args[1] != nil
	hasHi := len(c.op.Args) > 2 && c.op.Args[2] != nil
	return emitBroadcast(c, "Clip", func(v []string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "t := %s", v[0])
		k := 1
		if hasLo {
			fmt.Fprintf(&b, "\nif t < %[1]s {\nt = %[1]s\n}", v[k])
			k++
		}
		if hasHi {
			fmt.Fprintf(&b, "\nif t > %[1]s {\nt = %[1]s\n}", v[k])
		}
		b.WriteString("\ny[i] = t")
		return b.String()
	})
}

// emitPRelu writes PRelu: x where x >= 0, slope * x elsewhere, the slope
// broadcast to x.
func emitPRelu(c *opCtx) (*kernel, error) {
	dt := c.op.Args[0].Type.DType
	if goElem[dt] == "" || dt == ir.Bool {
		return nil, fmt.Errorf("PRelu of %s: not supported", dt)
	}
	return emitBroadcast(c, "PRelu", func(v []string) string {
		return fmt.Sprintf("t := %s\nif t < 0 {\nt *= %s\n}\ny[i] = t", v[0], v[1])
	})
}
