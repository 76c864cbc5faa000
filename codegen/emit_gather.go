package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	emitters["GatherElements"] = emitGatherElements
	emitters["Mod"] = emitMod
}

// emitGatherElements writes GatherElements: each output position reads the
// data at the same coordinates but along axis at the index stored there.
// Indices come at run time; one out of range is an error of Run.
func emitGatherElements(c *opCtx) (*kernel, error) {
	xs, is, ys, err := c.binaryShapes()
	if err != nil {
		return nil, err
	}
	if len(is) != len(xs) || !sameShape(is, ys) {
		return nil, fmt.Errorf("indices %v and result %v do not fit data %v", is, ys, xs)
	}
	ax, err := ir.NormAxis(c.op.Int("axis"), len(xs))
	if err != nil {
		return nil, err
	}
	stride := make([]int, len(xs))
	s := 1
	for i := len(xs) - 1; i >= 0; i-- {
		stride[i] = s
		s *= xs[i]
	}
	// Loops over the indices' shape; the data offset walks every dim but
	// the axis, whose coordinate comes from the index.
	dims := append([]int(nil), is...)
	st := append([]int(nil), stride...)
	st[ax] = 0
	if len(dims) == 0 {
		dims, st = []int{1}, []int{0}
	}
	axLen := xs[ax]
	var b strings.Builder
	fmt.Fprintf(&b, "x = x[:%d]\nidx = idx[:%d]\ny = y[:%d]\n", numel(xs), numel(is), numel(ys))
	writeLoops(&b, dims, [][]int{st}, func(idx []string) string {
		return fmt.Sprintf("k := idx[i]\nif k < 0 {\nk += %d\n}\nif k < 0 || k >= %d {\nreturn fmt.Errorf(\"index %%d out of range [-%d, %d)\", idx[i])\n}\ny[i] = x[%s+int(k)*%d]\ni++", axLen, axLen, axLen, axLen, idx[0], stride[ax])
	}, "i := 0\n")
	dt := c.op.Args[0].Type.DType
	shapes := fmt.Sprintf("%s, %s -> %s", dtypeText(dt, xs), dtypeText(c.op.Args[1].Type.DType, is), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:2], params: []string{"x", "idx", "y"}, nout: 1, fails: true, comment: fmt.Sprintf("GatherElements on axis %d: %s", ax, shapes), body: b.String(), shapes: shapes}, nil
}

// emitMod writes Mod with broadcasting. Integers: fmod 0 takes the
// divisor's sign (as Python's %), fmod 1 the dividend's (as Go's and C's);
// a zero divisor is an error of Run. Floats need fmod 1 (math.Mod).
func emitMod(c *opCtx) (*kernel, error) {
	as, bs, ys, err := c.binaryShapes()
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	fmod := c.op.Int("fmod") != 0
	var stmt string
	fails := false
	switch dt {
	case ir.F32, ir.F64:
		conv := goElem[dt]
		stmt = fmt.Sprintf("y[i] = %s(math.Mod(float64(a[%%s]), float64(b[%%s])))", conv)
		if !fmod {
			// kiln also takes fmod 0 on floats: the divisor's sign.
			stmt = fmt.Sprintf("r := math.Mod(float64(a[%%s]), float64(b[%%s]))\nif d := float64(b[%%[2]s]); r != 0 && (r < 0) != (d < 0) {\nr += d\n}\ny[i] = %s(r)", conv)
		}
	case ir.I64, ir.I32, ir.I16, ir.I8, ir.U64, ir.U32, ir.U16, ir.U8:
		fails = true
		stmt = "d := b[%[2]s]\nif d == 0 {\nreturn fmt.Errorf(\"integer modulo by zero\")\n}\nr := a[%[1]s] %% d\n"
		if !fmod {
			stmt += "if r != 0 && (r < 0) != (d < 0) {\nr += d\n}\n"
		}
		stmt += "y[i] = r"
	default:
		return nil, fmt.Errorf("Mod of %s: not supported yet", dt)
	}
	dims, strides := broadcastLoops(ys, as, bs)
	var b strings.Builder
	fmt.Fprintf(&b, "a = a[:%d]\nb = b[:%d]\ny = y[:%d]\n", numel(as), numel(bs), numel(ys))
	writeLoops(&b, dims, strides, func(idx []string) string {
		return fmt.Sprintf(stmt, idx[0], idx[1]) + "\ni++"
	}, "i := 0\n")
	shapes := fmt.Sprintf("%s, %s -> %s", dtypeText(dt, as), dtypeText(dt, bs), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:2], params: []string{"a", "b", "y"}, nout: 1, fails: fails, comment: fmt.Sprintf("Mod (fmod %v): %s", fmod, shapes), body: b.String(), shapes: shapes, flops: int64(numel(ys))}, nil
}
