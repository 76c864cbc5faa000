package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// Ops whose index operands (Slice's starts, Pad's pads, ReduceSum's axes,
// a window's size) are computed at run time, while the result's shape is
// static: the base emitters need those values at compile time; these call
// the generic kernels of codegen/kernels/generic_runtime.go, which check
// at run time that the values give the compiled shape.
func init() {
	extendedEmitters["Slice"] = emitSliceRT
	extendedEmitters["ReduceSum"] = emitReduceSumRT
	extendedEmitters["Pad"] = emitPadRT
	extendedEmitters["ReduceMean"] = emitReduceMeanAxes
	for _, name := range []string{"HannWindow", "HammingWindow", "BlackmanWindow"} {
		emitters[name] = emitWindowFunc
	}
}

// knownOperands reports whether each present operand among c.op.Args[from:]
// is known at compile time.
func knownOperands(c *opCtx, from int) bool {
	for _, a := range c.op.Args[min(from, len(c.op.Args)):] {
		if a == nil {
			continue
		}
		if _, err := c.g.knownInts(a); err != nil {
			return false
		}
	}
	return true
}

// runtimeCall builds a kernel calling fn on the present operands (named
// by names, nil ones passed as nil), the result y and the extra
// arguments; the call's error is Run's.
func runtimeCall(c *opCtx, fn string, names []string, extra string) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	var in []*ir.Value
	var params, args, texts []string
	for i, name := range names {
		if i >= len(c.op.Args) || c.op.Args[i] == nil {
			args = append(args, "nil")
			continue
		}
		s, err := c.shape(c.op.Args[i])
		if err != nil {
			return nil, err
		}
		in = append(in, c.op.Args[i])
		params = append(params, name)
		args = append(args, fmt.Sprintf("%s[:%d]", name, numel(s)))
		texts = append(texts, dtypeText(c.op.Args[i].Type.DType, s))
	}
	dt := c.op.Results[0].Type.DType
	call := fmt.Sprintf("%s(%s, y[:%d], %s, %s, %s%s)", fn, args[0], numel(ys), intsLit(xs), intsLit(ys), strings.Join(args[1:], ", "), extra)
	body := fmt.Sprintf("if err := %s; err != nil {\nreturn err\n}\n", call)
	shapes := strings.Join(texts, ", ") + " -> " + dtypeText(dt, ys)
	return &kernel{in: in, params: append(params, "y"), nout: 1, fails: true, comment: fmt.Sprintf("%s, operands read at run time: %s", c.op.Name, shapes), body: body, shapes: shapes}, nil
}

// indexOperands refuses index operands (from from on) of a type the
// generic kernels do not take.
func indexOperands(c *opCtx, from int) error {
	for _, a := range c.op.Args[min(from, len(c.op.Args)):] {
		if a != nil && !indexType(a.Type.DType) {
			return fmt.Errorf("operand %s is %s: want i32 or i64", a.Name, a.Type.DType)
		}
	}
	return nil
}

// emitSliceRT writes a Slice whose starts, ends, axes or steps are
// computed at run time; otherwise the base kernel.
func emitSliceRT(c *opCtx) (*kernel, error) {
	if knownOperands(c, 1) {
		return emitters["Slice"](c)
	}
	if err := indexOperands(c, 1); err != nil {
		return nil, err
	}
	if goElem[c.op.Args[0].Type.DType] == "" {
		return nil, fmt.Errorf("Slice of %s: not supported", c.op.Args[0].Type.DType)
	}
	return runtimeCall(c, "sliceRT", []string{"x", "starts", "ends", "axes", "steps"}, "")
}

// emitReduceSumRT writes a ReduceSum whose axes are computed at run time.
func emitReduceSumRT(c *opCtx) (*kernel, error) {
	if knownOperands(c, 1) {
		return emitters["ReduceSum"](c)
	}
	if err := indexOperands(c, 1); err != nil {
		return nil, err
	}
	if !sortableType(c.op.Args[0].Type.DType) {
		return nil, fmt.Errorf("ReduceSum of %s with axes computed at run time: not supported", c.op.Args[0].Type.DType)
	}
	extra := fmt.Sprintf(", %v, %v", c.op.Int("keepdims") != 0, c.op.Int("noop_with_empty_axes") != 0)
	return runtimeCall(c, "reduceSumRT", []string{"x", "axes"}, extra)
}

// emitPadRT writes a Pad whose pads are computed at run time (the
// constant value is read at run time either way).
func emitPadRT(c *opCtx) (*kernel, error) {
	if _, err := c.g.knownInts(c.op.Args[1]); err == nil {
		return emitters["Pad"](c)
	}
	if len(c.op.Args) > 3 && c.op.Args[3] != nil {
		return nil, fmt.Errorf("pads computed at run time with axes: not supported")
	}
	if !indexType(c.op.Args[1].Type.DType) {
		return nil, fmt.Errorf("pads of %s: want i32 or i64", c.op.Args[1].Type.DType)
	}
	dt := c.op.Args[0].Type.DType
	if goElem[dt] == "" {
		return nil, fmt.Errorf("Pad of %s: not supported", dt)
	}
	k, err := runtimeCall(c, "padRT", []string{"x", "pads"}, fmt.Sprintf(", %q, value", c.op.Str("mode")))
	if err != nil {
		return nil, err
	}
	// The constant value: the operand's one element, else zero.
	zero := "0"
	if dt == ir.Bool {
		zero = "false"
	}
	if len(c.op.Args) > 2 && c.op.Args[2] != nil {
		k.in = append(k.in, c.op.Args[2])
		k.params = []string{"x", "pads", "cv", "y"}
		k.body = fmt.Sprintf("value := %s(%s)\nif len(cv) > 0 {\nvalue = cv[0]\n}\n", goElem[dt], zero) + k.body
	} else {
		k.body = fmt.Sprintf("value := %s(%s)\n", goElem[dt], zero) + k.body
	}
	return k, nil
}

// emitWindowFunc writes HannWindow, HammingWindow or BlackmanWindow of
// the static length the result has; the size operand, read at run time,
// must equal it.
func emitWindowFunc(c *opCtx) (*kernel, error) {
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	dt := c.op.Results[0].Type.DType
	if len(ys) != 1 || !numericType(dt) || !indexType(c.op.Args[0].Type.DType) {
		return nil, fmt.Errorf("%s of %s into %s: not supported", c.op.Name, c.op.Args[0].Type, c.op.Results[0].Type)
	}
	n := ys[0]
	// A symmetric window spans n-1 intervals, a periodic one n.
	den := n
	if c.op.Int("periodic") == 0 {
		den = n - 1
	}
	f := map[string]string{
		"HannWindow":     "0.5 - 0.5*math.Cos(a)",
		"HammingWindow":  "25.0/46 - 21.0/46*math.Cos(a)",
		"BlackmanWindow": "0.42 - 0.5*math.Cos(a) + 0.08*math.Cos(2*a)",
	}[c.op.Name]
	body := fmt.Sprintf("if int64(size[0]) != %[1]d {\nreturn fmt.Errorf(\"size %%d, the model was compiled for %[1]d\", size[0])\n}\ny = y[:%[1]d]\nfor i := range y {\na := 2 * math.Pi * float64(i) / %[2]d\ny[i] = %[3]s(%[4]s)\n}\n", n, den, goElem[dt], f)
	if n == 1 {
		// 0/0 for a symmetric window of one point: one point is the whole window.
		body = "if int64(size[0]) != 1 {\nreturn fmt.Errorf(\"size %d, the model was compiled for 1\", size[0])\n}\ny[0] = 1\n"
	}
	shapes := dtypeText(dt, ys)
	return &kernel{in: c.op.Args[:1], params: []string{"size", "y"}, nout: 1, fails: true, comment: fmt.Sprintf("%s %s (periodic %d)", c.op.Name, shapes, c.op.Int("periodic")), body: body, shapes: shapes}, nil
}

// emitReduceMeanAxes writes a ReduceMean the base kernel refuses (axes
// that are not one contiguous run) as the generic reduceSumRT over the
// axes, known at compile time, divided by the count of reduced elements.
func emitReduceMeanAxes(c *opCtx) (*kernel, error) {
	k, baseErr := emitters["ReduceMean"](c)
	if baseErr == nil {
		return k, nil
	}
	dt := c.op.Args[0].Type.DType
	if dt != ir.F32 && dt != ir.F64 {
		return nil, baseErr
	}
	var axes []int64
	if a := c.op.Arg(1); a != nil {
		var err error
		if axes, err = c.g.knownInts(a); err != nil {
			return nil, baseErr
		}
	}
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	if numel(ys) == 0 {
		return nil, baseErr
	}
	noop := c.op.Int("noop_with_empty_axes") != 0
	var lits []string
	for _, a := range axes {
		lits = append(lits, fmt.Sprint(a))
	}
	count := numel(xs) / numel(ys)
	body := fmt.Sprintf("if err := reduceSumRT(x[:%d], y[:%d], %s, %s, []int64{%s}, %v, %v); err != nil {\nreturn err\n}\nfor i := range y {\ny[i] /= %d\n}\n",
		numel(xs), numel(ys), intsLit(xs), intsLit(ys), strings.Join(lits, ", "), c.op.Int("keepdims") != 0, noop, count)
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, fails: true, comment: fmt.Sprintf("ReduceMean over axes %v: %s", axes, shapes), body: body, shapes: shapes, flops: int64(numel(xs))}, nil
}
