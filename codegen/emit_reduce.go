package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// reduceForms spells each Reduce op (ReduceMean has its own emitter in
// emit_nn.go) as the accumulator's start, the step folding one element v
// into acc, and the result computed from acc, in float64 for floats.
// ReduceLogSumExp is apart: it subtracts the maximum first.
var reduceForms = map[string]struct{ init, step, final string }{
	"ReduceSum":       {"0", "acc += v", "acc"},
	"ReduceSumSquare": {"0", "acc += v * v", "acc"},
	"ReduceL1":        {"0", "acc += math.Abs(v)", "acc"},
	"ReduceL2":        {"0", "acc += v * v", "math.Sqrt(acc)"},
	"ReduceProd":      {"1", "acc *= v", "acc"},
	"ReduceMax":       {"math.Inf(-1)", "acc = max(acc, v)", "acc"},
	"ReduceMin":       {"math.Inf(1)", "acc = min(acc, v)", "acc"},
	"ReduceLogSum":    {"0", "acc += v", "math.Log(acc)"},
}

// intReduceForms are the Reduce ops codegen computes on int64 too, with
// an int64 accumulator.
var intReduceForms = map[string]struct{ init, step string }{
	"ReduceSum":  {"0", "acc += v"},
	"ReduceProd": {"1", "acc *= v"},
	"ReduceMax":  {"math.MinInt64", "acc = max(acc, v)"},
	"ReduceMin":  {"math.MaxInt64", "acc = min(acc, v)"},
}

func init() {
	for name := range reduceForms {
		emitters[name] = emitReduce
	}
	emitters["ReduceLogSumExp"] = emitReduce
	emitters["LogSoftmax"] = emitLogSoftmax
	emitters["ArgMax"] = emitArgReduce
	emitters["ArgMin"] = emitArgReduce
	for _, name := range []string{"Max", "Min", "Sum", "Mean"} {
		emitters[name] = emitVariadic
	}
	emitters["Split"] = emitSplit
}

// emitReduce writes a Reduce op over any set of axes known at compile time:
// loops over the kept dims outside, over the reduced ones inside, each
// with its input stride as a constant.
func emitReduce(c *opCtx) (*kernel, error) {
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	var axes []int64
	if a := c.op.Arg(1); a != nil {
		if axes, err = c.g.knownInts(a); err != nil {
			return nil, fmt.Errorf("axes: %w", err)
		}
	}
	mask, noop, err := ir.ReduceAxes(axes, len(xs), c.op.Int("noop_with_empty_axes") != 0)
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	stride := make([]int, len(xs))
	s := 1
	for i := len(xs) - 1; i >= 0; i-- {
		stride[i] = s
		s *= xs[i]
	}
	var keep, keepSt, red, redSt []int
	for i, n := range xs {
		if n == 1 {
			continue
		}
		if mask[i] && !noop {
			red, redSt = append(red, n), append(redSt, stride[i])
		} else {
			keep, keepSt = append(keep, n), append(keepSt, stride[i])
		}
	}
	if numel(xs) == 0 {
		// An empty input: every output is the empty set's value.
		red, redSt = []int{0}, []int{0}
	}
	name := c.op.Name
	var init, step, final, conv, back string
	switch dt {
	case ir.F32, ir.F64:
		f, ok := reduceForms[name]
		if !ok && name != "ReduceLogSumExp" {
			return nil, fmt.Errorf("internal error: no form for %s", name)
		}
		init, step, final = f.init, f.step, f.final
		conv, back = "float64", goElem[dt]
	case ir.I64, ir.I32, ir.I16, ir.I8, ir.U32, ir.U16, ir.U8:
		// Every one of these fits the int64 accumulator.
		f, ok := intReduceForms[name]
		if !ok {
			return nil, fmt.Errorf("%s on %s: not supported yet", name, dt)
		}
		init, step, final = f.init, f.step, "acc"
		conv, back = "int64", goElem[dt]
	default:
		return nil, fmt.Errorf("%s on %s: not supported yet", name, dt)
	}
	idx := func(prefix string, sts []int) string {
		var terms []string
		for d, st := range sts {
			terms = append(terms, fmt.Sprintf("%s%d*%d", prefix, d, st))
		}
		if len(terms) == 0 {
			return "0"
		}
		return strings.Join(terms, "+")
	}
	inner := func(b *strings.Builder, body string) {
		for d, n := range red {
			fmt.Fprintf(b, "for r%d := 0; r%d < %d; r%d++ {\n", d, d, n, d)
		}
		fmt.Fprintf(b, "v := %s(x[base+%s])\n%s\n", conv, idx("r", redSt), body)
		for range red {
			b.WriteString("}\n")
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "x = x[:%d]\ny = y[:%d]\ni := 0\n", numel(xs), numel(ys))
	for d, n := range keep {
		fmt.Fprintf(&b, "for k%d := 0; k%d < %d; k%d++ {\n", d, d, n, d)
	}
	fmt.Fprintf(&b, "base := %s\n", idx("k", keepSt))
	if name == "ReduceLogSumExp" {
		b.WriteString("m := math.Inf(-1)\n")
		inner(&b, "m = max(m, v)")
		b.WriteString("var acc float64\n")
		inner(&b, "acc += math.Exp(v - m)")
		b.WriteString("if !math.IsInf(m, 0) {\nacc = m + math.Log(acc)\n} else {\nacc = m\n}\n")
		final = "acc"
	} else {
		if dt.IsFloat() {
			fmt.Fprintf(&b, "acc := float64(%s)\n", init)
		} else {
			fmt.Fprintf(&b, "acc := int64(%s)\n", init)
		}
		inner(&b, step)
	}
	fmt.Fprintf(&b, "y[i] = %s(%s)\ni++\n", back, final)
	b.WriteString("_ = base\n")
	for range keep {
		b.WriteString("}\n")
	}
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("%s over axes %v: %s", name, axes, shapes), body: b.String(), shapes: shapes, flops: int64(numel(xs))}, nil
}

// emitLogSoftmax writes LogSoftmax along one axis (opset-13 semantics):
// x - max - log(sum(exp(x - max))), in float64.
func emitLogSoftmax(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	if err := f32Operand(c); err != nil {
		return nil, err
	}
	ax, err := ir.NormAxis(c.op.Int("axis"), len(xs))
	if err != nil {
		return nil, err
	}
	outer, n, inner := numel(xs[:ax]), xs[ax], numel(xs[ax+1:])
	shapes := typeText(xs)
	body := fmt.Sprintf(`x = x[:%[1]d]
y = y[:%[1]d]
for o := 0; o < %[2]d; o++ {
for in := 0; in < %[4]d; in++ {
base := o*%[5]d + in
m := math.Inf(-1)
for i := 0; i < %[3]d; i++ {
m = max(m, float64(x[base+i*%[4]d]))
}
var sum float64
for i := 0; i < %[3]d; i++ {
sum += math.Exp(float64(x[base+i*%[4]d]) - m)
}
ls := m + math.Log(sum)
for i := 0; i < %[3]d; i++ {
y[base+i*%[4]d] = float32(float64(x[base+i*%[4]d]) - ls)
}
}
}
`, numel(xs), outer, n, inner, n*inner)
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("LogSoftmax over axis %d of %s", ax, shapes), body: body, shapes: shapes, flops: 4 * int64(numel(xs))}, nil
}

// emitArgReduce writes ArgMax or ArgMin along one axis: the first index of
// the extreme value, or the last with select_last_index.
func emitArgReduce(c *opCtx) (*kernel, error) {
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	if dt != ir.F32 && dt != ir.I64 {
		return nil, fmt.Errorf("%s of %s: not supported yet", c.op.Name, dt)
	}
	ax, err := ir.NormAxis(c.op.Int("axis"), len(xs))
	if err != nil {
		return nil, err
	}
	if xs[ax] == 0 {
		return nil, fmt.Errorf("axis %d is empty: no index to give", ax)
	}
	outer, n, inner := numel(xs[:ax]), xs[ax], numel(xs[ax+1:])
	cmp := ">"
	if c.op.Name == "ArgMin" {
		cmp = "<"
	}
	if c.op.Int("select_last_index") != 0 {
		cmp += "="
	}
	body := fmt.Sprintf(`x = x[:%[1]d]
y = y[:%[2]d]
for o := 0; o < %[3]d; o++ {
for in := 0; in < %[5]d; in++ {
base := o*%[6]d + in
best, at := x[base], 0
for i := 1; i < %[4]d; i++ {
if v := x[base+i*%[5]d]; v %[7]s best {
best, at = v, i
}
}
y[o*%[5]d+in] = int64(at)
}
}
`, numel(xs), numel(ys), outer, n, inner, n*inner, cmp)
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(ir.I64, ys))
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("%s along axis %d: %s", c.op.Name, ax, shapes), body: body, shapes: shapes}, nil
}

// emitVariadic writes Max, Min, Sum or Mean of any number of operands,
// broadcast together.
func emitVariadic(c *opCtx) (*kernel, error) {
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	dt := c.op.Results[0].Type.DType
	if goElem[dt] == "" || isHalf(dt) || dt == ir.Bool {
		return nil, fmt.Errorf("%s of %s: not supported yet", c.op.Name, dt)
	}
	var shapes [][]int
	var params, texts []string
	for i := range c.op.Args {
		s, err := c.arg(i)
		if err != nil {
			return nil, err
		}
		shapes = append(shapes, s)
		params = append(params, fmt.Sprintf("x%d", i))
		texts = append(texts, dtypeText(dt, s))
	}
	dims, strides := broadcastLoops(ys, shapes...)
	var b strings.Builder
	for i, s := range shapes {
		fmt.Fprintf(&b, "x%d = x%d[:%d]\n", i, i, numel(s))
	}
	fmt.Fprintf(&b, "y = y[:%d]\n", numel(ys))
	writeLoops(&b, dims, strides, func(idx []string) string {
		var st strings.Builder
		fmt.Fprintf(&st, "acc := x0[%s]\n", idx[0])
		for k := 1; k < len(idx); k++ {
			v := fmt.Sprintf("x%d[%s]", k, idx[k])
			switch c.op.Name {
			case "Max":
				fmt.Fprintf(&st, "acc = max(acc, %s)\n", v)
			case "Min":
				fmt.Fprintf(&st, "acc = min(acc, %s)\n", v)
			default:
				fmt.Fprintf(&st, "acc += %s\n", v)
			}
		}
		if c.op.Name == "Mean" {
			fmt.Fprintf(&st, "acc /= %d\n", len(idx))
		}
		st.WriteString("y[i] = acc\ni++")
		return st.String()
	}, "i := 0\n")
	text := strings.Join(texts, ", ") + " -> " + dtypeText(dt, ys)
	return &kernel{in: c.op.Args, params: append(params, "y"), nout: 1, comment: fmt.Sprintf("%s of %d operands: %s", c.op.Name, len(shapes), text), body: b.String(), shapes: text, flops: int64(numel(ys) * len(shapes))}, nil
}

// emitSplit writes Split along one axis as block copies into each result.
func emitSplit(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	ax, err := ir.NormAxis(c.op.Int("axis"), len(xs))
	if err != nil {
		return nil, err
	}
	outer, inner := numel(xs[:ax]), numel(xs[ax+1:])
	var b strings.Builder
	fmt.Fprintf(&b, "x = x[:%d]\n", numel(xs))
	params := []string{"x"}
	var texts []string
	off := 0
	for i, r := range c.op.Results {
		ys, err := c.shape(r)
		if err != nil {
			return nil, err
		}
		p := fmt.Sprintf("y%d", i)
		params = append(params, p)
		texts = append(texts, typeText(ys))
		chunk := ys[ax] * inner
		fmt.Fprintf(&b, "%s = %s[:%d]\nfor o := 0; o < %d; o++ {\ncopy(%s[o*%d:(o+1)*%d], x[o*%d+%d:])\n}\n", p, p, numel(ys), outer, p, chunk, chunk, xs[ax]*inner, off)
		off += chunk
	}
	if off != xs[ax]*inner {
		return nil, fmt.Errorf("the parts cover %d of axis %d's %d", off/max(inner, 1), ax, xs[ax])
	}
	shapes := typeText(xs) + " -> " + strings.Join(texts, ", ")
	return &kernel{in: c.op.Args[:1], params: params, nout: len(c.op.Results), comment: fmt.Sprintf("Split on axis %d: %s", ax, shapes), body: b.String(), shapes: shapes}, nil
}
