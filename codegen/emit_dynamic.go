package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// The ops whose results' shapes depend on the data (NonZero, Compress,
// Unique, NonMaxSuppression, Range of operands read at run time) call the generic kernels of
// codegen/kernels/generic_dynamic.go. Their results live on the heap, not
// in the arena: each run the kernel allocates them and fills a Tensor
// with the shape it found. Codegen takes them only as outputs of the
// model (a later op would need their shapes at compile time); the
// package's doc comments and its manifest (heap_allocated) say which
// outputs these are.
func init() {
	emitters["NonZero"] = emitNonZero
	emitters["Compress"] = emitCompress
	emitters["Unique"] = emitUnique
	emitters["NonMaxSuppression"] = emitNMS
	extendedEmitters["Range"] = emitRangeRT
}

// heapVal records result i of an op whose kernel allocates it: a value
// the function returns or later ops read over run-time shapes
// (emit_runshape.go, which refuses the ops it cannot run), its dims
// evaluated where the binding knows them, -1 elsewhere. A region's
// result cannot be one.
func (g *graph) heapVal(r *ir.Value, i int) (*val, error) {
	for _, u := range g.uses[r] {
		if u.Op == nil && u.Region != g.f.Body {
			return nil, fmt.Errorf("result %d: its shape depends on the data, and codegen does not return such a value from a region", i)
		}
	}
	t := r.Type
	if t.Kind != ir.TensorKind || !t.Shape.Ranked || goElem[t.DType] == "" || tensorField[t.DType] == "" {
		return nil, fmt.Errorf("result %d is %s; want a ranked number or bool tensor", i, t)
	}
	shape := make([]int, len(t.Shape.Dims))
	for j, d := range t.Shape.Dims {
		shape[j] = -1
		if n, ok := d.Eval(g.bind); ok {
			shape[j] = int(n)
		}
	}
	x := &val{v: r, dtype: t.DType, shape: shape, name: fmt.Sprintf("v%d", g.nextVar), where: inHeap}
	g.nextVar++
	x.root = x
	g.vals[r] = x
	return x, nil
}

// heapTensor is the statement setting *y to a Tensor of element type d
// with the given shape and data expressions.
func heapTensor(y string, d ir.DType, shape, data string) string {
	return fmt.Sprintf("*%s = Tensor{Shape: %s, %s: %s}\n", y, shape, tensorField[d], data)
}

// emitNonZero writes NonZero: the (rank, count) coordinates of the
// nonzero elements.
func emitNonZero(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	if goElem[dt] == "" || isHalf(dt) {
		return nil, fmt.Errorf("NonZero of %s: not supported", dt)
	}
	body := fmt.Sprintf("d, n := nonZero(x[:%d], %s)\n", numel(xs), intsLit(xs)) +
		heapTensor("y", ir.I64, fmt.Sprintf("[]int{%d, n}", len(xs)), "d")
	shapes := fmt.Sprintf("%s -> i64[%d,?]", dtypeText(dt, xs), len(xs))
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, heap: true, comment: "NonZero " + shapes, body: body, shapes: shapes}, nil
}

// emitCompress writes Compress along axis (absent: over the flattened
// input).
func emitCompress(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	cs, err := c.arg(1)
	if err != nil {
		return nil, err
	}
	dt, ct := c.op.Args[0].Type.DType, c.op.Args[1].Type.DType
	if goElem[dt] == "" || goElem[ct] == "" || isHalf(ct) || len(cs) != 1 {
		return nil, fmt.Errorf("Compress of %s by %s: want a 1-D number or bool condition", dtypeText(dt, xs), dtypeText(ct, cs))
	}
	outer, n, inner := 1, numel(xs), 1
	shape := "[]int{k}"
	if c.op.Has("axis") {
		ax, err := ir.NormAxis(c.op.Int("axis"), len(xs))
		if err != nil {
			return nil, err
		}
		outer, n, inner = numel(xs[:ax]), xs[ax], numel(xs[ax+1:])
		dims := make([]string, len(xs))
		for i, d := range xs {
			dims[i] = fmt.Sprint(d)
		}
		dims[ax] = "k"
		shape = "[]int{" + strings.Join(dims, ", ") + "}"
	}
	body := fmt.Sprintf("d, k, err := compress(x[:%d], cond[:%d], %d, %d, %d)\nif err != nil {\nreturn err\n}\n", numel(xs), numel(cs), outer, n, inner) +
		heapTensor("y", dt, shape, "d")
	shapes := fmt.Sprintf("%s, %s", dtypeText(dt, xs), dtypeText(ct, cs))
	return &kernel{in: c.op.Args[:2], params: []string{"x", "cond", "y"}, nout: 1, heap: true, fails: true, comment: "Compress " + shapes, body: body, shapes: shapes}, nil
}

// emitUnique writes Unique: the distinct elements (or slices along axis)
// with their first indices, each input's position among them and their
// counts.
func emitUnique(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	if goElem[dt] == "" || isHalf(dt) || dt == ir.Bool {
		return nil, fmt.Errorf("Unique of %s: not supported", dt)
	}
	outer, n, inner := 1, numel(xs), 1
	shape := "[]int{k}"
	if c.op.Has("axis") {
		ax, err := ir.NormAxis(c.op.Int("axis"), len(xs))
		if err != nil {
			return nil, err
		}
		outer, n, inner = numel(xs[:ax]), xs[ax], numel(xs[ax+1:])
		dims := make([]string, len(xs))
		for i, d := range xs {
			dims[i] = fmt.Sprint(d)
		}
		dims[ax] = "k"
		shape = "[]int{" + strings.Join(dims, ", ") + "}"
	}
	sorted := c.op.Int("sorted") != 0
	names := []string{"y", "indices", "inverse", "counts"}
	nout := len(c.op.Results)
	var b strings.Builder
	fmt.Fprintf(&b, "d, k, indices_, inverse_, counts_ := unique(x[:%d], %d, %d, %d, %t)\n", numel(xs), outer, n, inner, sorted)
	b.WriteString(heapTensor("y", dt, shape, "d"))
	for i, name := range names[1:nout] {
		sz := "k"
		if i == 1 {
			sz = fmt.Sprint(n)
		}
		b.WriteString(heapTensor(name, ir.I64, "[]int{"+sz+"}", name+"_"))
	}
	for _, name := range names[nout:] {
		fmt.Fprintf(&b, "_ = %s_\n", name)
	}
	shapes := dtypeText(dt, xs)
	return &kernel{in: c.op.Args[:1], params: append([]string{"x"}, names[:nout]...), nout: nout, heap: true, comment: fmt.Sprintf("Unique (sorted %t) of %s", sorted, shapes), body: b.String(), shapes: shapes}, nil
}

// emitNMS writes NonMaxSuppression; its optional scalars are read at run
// time.
func emitNMS(c *opCtx) (*kernel, error) {
	bs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	ss, err := c.arg(1)
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	if !isDraw(dt) || c.op.Args[1].Type.DType != dt || len(bs) != 3 || bs[2] != 4 || len(ss) != 3 || ss[0] != bs[0] || ss[2] != bs[1] {
		return nil, fmt.Errorf("boxes %s and scores %s: want [batches, boxes, 4] and [batches, classes, boxes] of f32 or f64", dtypeText(dt, bs), dtypeText(c.op.Args[1].Type.DType, ss))
	}
	in := c.op.Args[:2]
	params := []string{"boxes", "scores"}
	exprs := []string{"0", "0", "0"}
	has := "false"
	for i, name := range []string{"maxOut", "iou", "scoreThr"} {
		v := c.op.Arg(2 + i)
		if v == nil {
			continue
		}
		s, err := c.arg(2 + i)
		if err != nil {
			return nil, err
		}
		if numel(s) == 0 {
			continue // an empty tensor stands for an absent one
		}
		if numel(s) != 1 || i == 0 && v.Type.DType != ir.I64 || i > 0 && !isDraw(v.Type.DType) {
			return nil, fmt.Errorf("operand %d is %s; want a scalar (i64 for the box count, float for the thresholds)", 2+i, dtypeText(v.Type.DType, s))
		}
		in, params = append(in, v), append(params, name)
		exprs[i] = fmt.Sprintf("float64(%s[0])", name)
		if i == 0 {
			exprs[i] = "maxOut[0]"
		}
		if i == 2 {
			has = "true"
		}
	}
	center := c.op.Int("center_point_box") == 1
	body := fmt.Sprintf("d, err := nonMaxSuppression(boxes[:%d], scores[:%d], %d, %d, %d, %s, %s, %s, %s, %t)\nif err != nil {\nreturn err\n}\n",
		numel(bs), numel(ss), bs[0], bs[1], ss[1], exprs[0], exprs[1], exprs[2], has, center) +
		heapTensor("y", ir.I64, "[]int{len(d) / 3, 3}", "d")
	shapes := fmt.Sprintf("%s, %s", dtypeText(dt, bs), dtypeText(dt, ss))
	return &kernel{in: in, params: append(params, "y"), nout: 1, heap: true, fails: true, comment: "NonMaxSuppression " + shapes, body: body, shapes: shapes}, nil
}

// emitRangeRT writes Range whose operands are read at run time as a call
// of rangeInt or rangeFloat: on the heap when its length is not known at
// compile time, else into its buffer, Run checking the length. A Range
// of operands known at compile time is emitRange's.
func emitRangeRT(c *opCtx) (*kernel, error) {
	ys, shapeErr := c.out(0)
	if shapeErr == nil {
		k, err := emitters["Range"](c)
		if err == nil || c.knownRange() {
			return k, err
		}
	}
	dt := c.op.Args[0].Type.DType
	fn := "rangeFloat"
	switch dt {
	case ir.I16, ir.I32, ir.I64:
		fn = "rangeInt"
	case ir.F32, ir.F64:
	default:
		return nil, fmt.Errorf("Range of %s: not supported", dt)
	}
	for i := 0; i < 3; i++ {
		s, err := c.arg(i)
		if err != nil {
			return nil, err
		}
		if numel(s) != 1 || c.op.Args[i].Type.DType != dt {
			return nil, fmt.Errorf("operand %d is %s; want a %s scalar", i, dtypeText(c.op.Args[i].Type.DType, s), dt)
		}
	}
	body := fmt.Sprintf("d, err := %s(start[0], limit[0], delta[0])\nif err != nil {\nreturn err\n}\n", fn)
	if shapeErr == nil {
		n := numel(ys)
		body += fmt.Sprintf("if len(d) != %d {\nreturn fmt.Errorf(\"Range: %%d elements, compiled for %d\", len(d))\n}\ncopy(y[:%d], d)\n", n, n, n)
		return &kernel{in: c.op.Args[:3], params: []string{"start", "limit", "delta", "y"}, nout: 1, fails: true, comment: fmt.Sprintf("Range of %s read at run time", dtypeText(dt, ys)), body: body, shapes: dtypeText(dt, ys)}, nil
	}
	body += heapTensor("y", dt, "[]int{len(d)}", "d")
	return &kernel{in: c.op.Args[:3], params: []string{"start", "limit", "delta", "y"}, nout: 1, heap: true, fails: true, comment: fmt.Sprintf("Range of %s read at run time", dt), body: body, shapes: dt.String()}, nil
}

// knownRange reports whether a Range's three operands are known at
// compile time (then emitRange's error stands).
func (c *opCtx) knownRange() bool {
	for _, v := range c.op.Args[:3] {
		if v == nil {
			return false
		}
		if _, ok := ir.ConstFloats(v); ok {
			continue
		}
		if _, err := c.g.knownInts(v); err != nil {
			return false
		}
	}
	return true
}
