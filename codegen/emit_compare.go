package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	for name, op := range map[string]string{
		"Equal":          "==",
		"Less":           "<",
		"LessOrEqual":    "<=",
		"Greater":        ">",
		"GreaterOrEqual": ">=",
	} {
		emitters[name] = emitCompare(op, false)
	}
	for name, op := range map[string]string{"And": "&&", "Or": "||", "Xor": "!="} {
		emitters[name] = emitCompare(op, true)
	}
	emitters["Where"] = emitWhere
}

// emitCompare writes a broadcasting comparison (or, with logical, a
// boolean connective) with a bool result, as emitBinary writes arithmetic.
func emitCompare(goOp string, logical bool) emitter {
	return func(c *opCtx) (*kernel, error) {
		as, bs, ys, err := c.binaryShapes()
		if err != nil {
			return nil, err
		}
		at, bt := c.op.Args[0].Type.DType, c.op.Args[1].Type.DType
		if at != bt {
			return nil, fmt.Errorf("operands are %s and %s", at, bt)
		}
		if logical != (at == ir.Bool) {
			return nil, fmt.Errorf("operands are %s", at)
		}
		dims, strides := broadcastLoops(ys, as, bs)
		var b strings.Builder
		fmt.Fprintf(&b, "a = a[:%d]\nb = b[:%d]\ny = y[:%d]\n", numel(as), numel(bs), numel(ys))
		writeLoops(&b, dims, strides, func(idx []string) string {
			return fmt.Sprintf("y[i] = a[%s] %s b[%s]\ni++", idx[0], goOp, idx[1])
		}, "i := 0\n")
		shapes := fmt.Sprintf("%s, %s -> %s", dtypeText(at, as), dtypeText(bt, bs), dtypeText(ir.Bool, ys))
		return &kernel{
			in:      c.op.Args[:2],
			params:  []string{"a", "b", "y"},
			nout:    1,
			comment: fmt.Sprintf("y = a %s b: %s", goOp, shapes),
			body:    b.String(),
			shapes:  shapes,
			flops:   int64(numel(ys)),
		}, nil
	}
}

// emitWhere writes Where with its three operands broadcast.
func emitWhere(c *opCtx) (*kernel, error) {
	cs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	xs, ys, zs, err := func() ([]int, []int, []int, error) {
		x, err := c.arg(1)
		if err != nil {
			return nil, nil, nil, err
		}
		y, err := c.arg(2)
		if err != nil {
			return nil, nil, nil, err
		}
		z, err := c.out(0)
		return x, y, z, err
	}()
	if err != nil {
		return nil, err
	}
	dims, strides := broadcastLoops(zs, cs, xs, ys)
	var b strings.Builder
	fmt.Fprintf(&b, "cond = cond[:%d]\nx = x[:%d]\ny = y[:%d]\nz = z[:%d]\n", numel(cs), numel(xs), numel(ys), numel(zs))
	writeLoops(&b, dims, strides, func(idx []string) string {
		return fmt.Sprintf("if cond[%s] {\nz[i] = x[%s]\n} else {\nz[i] = y[%s]\n}\ni++", idx[0], idx[1], idx[2])
	}, "i := 0\n")
	d := c.op.Args[1].Type.DType
	shapes := fmt.Sprintf("%s, %s, %s -> %s", dtypeText(ir.Bool, cs), dtypeText(d, xs), dtypeText(d, ys), dtypeText(d, zs))
	return &kernel{in: c.op.Args[:3], params: []string{"cond", "x", "y", "z"}, nout: 1, comment: "Where " + shapes, body: b.String(), shapes: shapes}, nil
}
