package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	emitters["Pad"] = emitPad
	emitters["Range"] = emitRange
	emitters["ConstantOfShape"] = emitConstantOfShape
	emitters["Expand"] = emitExpand
	emitters["Trilu"] = emitTrilu
	emitters["Dropout"] = emitDropout
	emitters["CastLike"] = emitCast
}

// emitTrilu writes Trilu: each matrix of the last two dims keeps the
// elements on and above (upper) or on and below diagonal k, zero
// elsewhere, k known at compile time.
func emitTrilu(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	if len(xs) < 2 {
		return nil, fmt.Errorf("input is %s, want rank 2 or more", typeText(xs))
	}
	k := int64(0)
	if a := c.op.Arg(1); a != nil {
		v, err := c.g.knownInts(a)
		if err != nil || len(v) != 1 {
			return nil, fmt.Errorf("k is not known at compile time")
		}
		k = v[0]
	}
	r := len(xs)
	rows, cols := xs[r-2], xs[r-1]
	keep := "j-i >= k"
	if c.op.Int("upper") == 0 {
		keep = "j-i <= k"
	}
	dt := c.op.Args[0].Type.DType
	var zero string
	switch dt {
	case ir.Bool:
		zero = "false"
	default:
		zero = "0"
	}
	body := fmt.Sprintf(`x = x[:%[1]d]
y = y[:%[1]d]
const k = %[5]d
for m := 0; m < %[2]d; m++ {
for i := 0; i < %[3]d; i++ {
for j := 0; j < %[4]d; j++ {
at := (m*%[3]d+i)*%[4]d + j
if %[6]s {
y[at] = x[at]
} else {
y[at] = %[7]s
}
}
}
}
`, numel(xs), numel(xs[:r-2]), rows, cols, k, keep, zero)
	shapes := dtypeText(dt, xs)
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("Trilu (upper %d, k %d) of %s", c.op.Int("upper"), k, shapes), body: body, shapes: shapes}, nil
}

// emitDropout writes Dropout at inference: the data unchanged and, when
// read, an all-true mask. training_mode must be absent or known false
// (training drops elements at random).
func emitDropout(c *opCtx) (*kernel, error) {
	if a := c.op.Arg(2); a != nil {
		v, err := c.g.knownInts(a)
		if err != nil || len(v) != 1 || v[0] != 0 {
			return nil, fmt.Errorf("training_mode is not known false; codegen compiles inference only")
		}
	}
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	n := numel(xs)
	params := []string{"x", "y"}
	body := fmt.Sprintf("copy(y[:%d], x[:%d])\n", n, n)
	if len(c.op.Results) > 1 {
		params = append(params, "mask")
		body += fmt.Sprintf("mask = mask[:%d]\nfor i := range mask {\nmask[i] = true\n}\n", n)
	}
	shapes := dtypeText(c.op.Args[0].Type.DType, xs)
	return &kernel{in: c.op.Args[:1], params: params, nout: len(c.op.Results), comment: "Dropout (inference) of " + shapes, body: body, shapes: shapes}, nil
}

// emitPad writes Pad with pads known at compile time. Each axis gets a
// table mapping each output index to the input element offset it reads
// (the index times the axis stride), or -1 where the constant goes; the
// reflect and edge modes only change the tables.
func emitPad(c *opCtx) (*kernel, error) {
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	pads, err := c.g.knownInts(c.op.Args[1])
	if err != nil {
		return nil, fmt.Errorf("pads: %w", err)
	}
	r := len(xs)
	if len(pads) != 2*r {
		return nil, fmt.Errorf("%d pads for rank %d", len(pads), r)
	}
	mode := c.op.Str("mode")
	dt := c.op.Args[0].Type.DType
	fill := "0"
	if len(c.op.Args) > 2 && c.op.Args[2] != nil {
		switch dt {
		case ir.F32, ir.F64:
			fs, ok := ir.ConstFloats(c.op.Args[2])
			if !ok || len(fs) != 1 {
				return nil, fmt.Errorf("constant_value is not a constant scalar; codegen needs it at compile time")
			}
			fill = fmt.Sprintf("%v", fs[0])
			if dt == ir.F32 {
				fill = f32Lit(float32(fs[0]))
			}
		case ir.I64, ir.I32:
			is, ok := ir.ConstInts(c.op.Args[2])
			if !ok || len(is) != 1 {
				return nil, fmt.Errorf("constant_value is not a constant scalar; codegen needs it at compile time")
			}
			fill = fmt.Sprint(is[0])
		default:
			return nil, fmt.Errorf("constant_value of %s: not supported yet", dt)
		}
	}
	if dt == ir.Bool {
		fill = "false"
	}
	stride := 1
	tables := make([][]int, r)
	for k := r - 1; k >= 0; k-- {
		n := xs[k]
		if ys[k] != n+int(pads[k])+int(pads[r+k]) {
			return nil, fmt.Errorf("axis %d: %d padded by %d and %d is not %d", k, n, pads[k], pads[r+k], ys[k])
		}
		t := make([]int, ys[k])
		for o := range t {
			s := o - int(pads[k])
			if s < 0 || s >= n {
				switch mode {
				case "constant":
					s = -1
				case "edge":
					if n == 0 {
						return nil, fmt.Errorf("axis %d is empty: nothing to pad with in edge mode", k)
					}
					s = min(max(s, 0), n-1)
				case "reflect":
					if n == 0 {
						return nil, fmt.Errorf("axis %d is empty: nothing to reflect", k)
					}
					for n > 1 && (s < 0 || s >= n) {
						if s < 0 {
							s = -s
						} else {
							s = 2*(n-1) - s
						}
					}
					if n == 1 {
						s = 0
					}
				default:
					return nil, fmt.Errorf("mode %q not supported", mode)
				}
			}
			if s >= 0 {
				s *= stride
			}
			t[o] = s
		}
		tables[k] = t
		stride *= n
	}
	var b strings.Builder
	fmt.Fprintf(&b, "x = x[:%d]\ny = y[:%d]\n", numel(xs), numel(ys))
	for k, t := range tables {
		fmt.Fprintf(&b, "m%d := [%d]int{%s}\n", k, len(t), joinInts(t))
	}
	b.WriteString("i := 0\n")
	var conds, offs []string
	for k := range tables {
		fmt.Fprintf(&b, "for _, o%d := range m%d {\n", k, k)
		conds = append(conds, fmt.Sprintf("o%d < 0", k))
		offs = append(offs, fmt.Sprintf("o%d", k))
	}
	if r == 0 {
		b.WriteString("{\n")
		conds, offs = []string{"false"}, []string{"0"}
	}
	fmt.Fprintf(&b, "if %s {\ny[i] = %s\n} else {\ny[i] = x[%s]\n}\ni++\n", strings.Join(conds, " || "), fill, strings.Join(offs, "+"))
	for range max(r, 1) {
		b.WriteString("}\n")
	}
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("Pad (%s) by %v: %s", mode, pads, shapes), body: b.String(), shapes: shapes}, nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// emitRange writes Range with start, limit and delta known at compile time
// (the result's length depends on them) as a fill.
func emitRange(c *opCtx) (*kernel, error) {
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	dt := c.op.Results[0].Type.DType
	var start, delta string
	switch dt {
	case ir.I64, ir.I32:
		var v [3]int64
		for i := range v {
			x, err := c.g.knownInts(c.op.Args[i])
			if err != nil || len(x) != 1 {
				return nil, fmt.Errorf("operand %d is not known at compile time; codegen needs Range's operands then", i)
			}
			v[i] = x[0]
		}
		start, delta = fmt.Sprint(v[0]), fmt.Sprint(v[2])
	case ir.F32:
		var v [3]float64
		for i := range v {
			x, ok := ir.ConstFloats(c.op.Args[i])
			if !ok || len(x) != 1 {
				return nil, fmt.Errorf("operand %d is not a constant; codegen needs Range's operands at compile time", i)
			}
			v[i] = x[0]
		}
		start, delta = f32Lit(float32(v[0])), f32Lit(float32(v[2]))
	default:
		return nil, fmt.Errorf("Range of %s: not supported yet", dt)
	}
	body := fmt.Sprintf("y = y[:%d]\nfor i := range y {\ny[i] = %s + %s(i)*%s\n}\n", numel(ys), start, goElem[dt], delta)
	shapes := dtypeText(dt, ys)
	return &kernel{params: []string{"y"}, nout: 1, comment: fmt.Sprintf("Range from %s by %s: %s", start, delta, shapes), body: body, shapes: shapes}, nil
}

// emitConstantOfShape writes the fill of a ConstantOfShape that codegen
// could not fold (a float one, or one too large to fold).
func emitConstantOfShape(c *opCtx) (*kernel, error) {
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	dt := c.op.Results[0].Type.DType
	val := "0"
	if a, ok := c.op.Attr("value"); ok && a.Tensor != nil {
		switch dt {
		case ir.F32, ir.F64:
			fs, ok := ir.ConstFloats(a.Tensor)
			if !ok || len(fs) != 1 {
				return nil, fmt.Errorf("value is not one element")
			}
			val = fmt.Sprintf("%v", fs[0])
			if dt == ir.F32 {
				val = f32Lit(float32(fs[0]))
			}
		case ir.I64, ir.I32, ir.Bool:
			is, ok := ir.ConstInts(a.Tensor)
			if !ok || len(is) != 1 {
				return nil, fmt.Errorf("value is not one element")
			}
			val = fmt.Sprint(is[0])
			if dt == ir.Bool {
				val = fmt.Sprint(is[0] != 0)
			}
		default:
			return nil, fmt.Errorf("value of %s: not supported yet", dt)
		}
	} else if dt == ir.Bool {
		val = "false"
	}
	body := fmt.Sprintf("y = y[:%d]\nfor i := range y {\ny[i] = %s\n}\n", numel(ys), val)
	shapes := dtypeText(dt, ys)
	return &kernel{params: []string{"y"}, nout: 1, comment: fmt.Sprintf("ConstantOfShape %s: %s", val, shapes), body: body, shapes: shapes}, nil
}

// emitExpand writes Expand (the target shape known at compile time, so the
// result's) as a broadcast copy.
func emitExpand(c *opCtx) (*kernel, error) {
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	dims, strides := broadcastLoops(ys, xs)
	var b strings.Builder
	fmt.Fprintf(&b, "x = x[:%d]\ny = y[:%d]\n", numel(xs), numel(ys))
	writeLoops(&b, dims, strides, func(idx []string) string { return "y[i] = x[" + idx[0] + "]\ni++" }, "i := 0\n")
	dt := c.op.Args[0].Type.DType
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: "Expand " + shapes, body: b.String(), shapes: shapes}, nil
}
