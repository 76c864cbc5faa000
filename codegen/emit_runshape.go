package codegen

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// Values whose shapes are known only at run time, read by later ops.
// A result whose shape depends on the data (a Range of computed bounds,
// a Slice of computed starts) lives on the heap as a Tensor carrying its
// shape (emit_dynamic.go). The ops reading such a value run over the
// shapes Run finds (emitRunShape): elementwise and broadcasting ops call
// their own kernel, specialized for one element, once per element, with
// the broadcast worked out at run time (generic_runshape.go); Slice
// computes its bounds, the views (Reshape, Flatten, Squeeze, Unsqueeze,
// Identity) their shapes, and Shape and Size read the shape found. Each
// result whose shape the module
// knows goes into its arena buffer as usual, Run checking that the shape
// found is that one; the others stay on the heap for the next op. Other
// ops reading such values, and such values crossing a region's boundary,
// are refused with an error naming the op.

//go:embed kernels/generic_runshape.go
var runShapeSource string

func init() {
	genericLibs = append(genericLibs, genericLib{"runshape.go", &runShapeSource, []string{"rtBroadcast(", "rtShapeIs(", "rtCheck("}})
	// Shape and Size are folded at compile time, but for an operand whose
	// shape is known only at run time (readsRunShape sends those to
	// emitRunShape before any emitter).
	for _, name := range []string{"Shape", "Size"} {
		if emitters[name] == nil {
			emitters[name] = func(c *opCtx) (*kernel, error) {
				return nil, fmt.Errorf("%s of a shape that is neither known at compile time nor found at run time", c.op.Name)
			}
		}
	}
}

// heapTypes are the element types a heap value between ops may have:
// every generated Tensor has their fields.
var heapTypes = map[ir.DType]bool{ir.F32: true, ir.F64: true, ir.I64: true, ir.I32: true, ir.Bool: true}

// readsRunShape reports whether op runs over run-time shapes: an operand
// lives on the heap, or a result's shape is not known once the dims are
// bound and op is one emitRunShape computes.
func (g *graph) readsRunShape(op *ir.Op) bool {
	for _, a := range op.Args {
		if x := g.vals[a]; a != nil && x != nil && x.where == inHeap {
			return true
		}
	}
	if !runShapeOp(op) {
		return false
	}
	for _, r := range op.Results {
		if _, err := g.evalShape(r.Type.Shape); err != nil {
			return true
		}
	}
	return false
}

// runShapeOp reports whether emitRunShape computes op over run-time
// shapes: one-result elementwise and broadcasting ops, Slice, the views
// of runShapeViews, Shape and Size.
func runShapeOp(op *ir.Op) bool {
	if len(op.Results) != 1 || len(op.Regions) > 0 {
		return false
	}
	if op.Name == "Slice" || op.Name == "Shape" || op.Name == "Size" || runShapeViews[op.Name] != nil {
		return true
	}
	d := ir.Lookup(op.Name)
	return d != nil && (d.Kind == ir.Elementwise || d.Kind == ir.Broadcast)
}

// runShapeOperand is the Go text of one operand of a run-shape kernel:
// its data and shape as the kernel's locals dN and sN.
func runShapeOperand(op string, i int, param string, x *val) string {
	if x.where == inHeap {
		return fmt.Sprintf("d%[1]d, s%[1]d := %[2]s.%[3]s, %[2]s.Shape\nif err := rtCheck(%[4]q, %[1]d, len(d%[1]d), s%[1]d); err != nil {\nreturn err\n}\n", i, param, tensorField[x.dtype], op)
	}
	return fmt.Sprintf("d%[1]d, s%[1]d := %[2]s[:%[3]d], []int{%[4]s}\n", i, param, x.n, shapeList(x.shape))
}

// emitRunShape compiles op over run-time shapes (see the file comment).
func (g *graph) emitRunShape(op *ir.Op) error {
	if !runShapeOp(op) {
		return fmt.Errorf("an operand's shape depends on the data (known only at run time), and codegen runs only elementwise and broadcasting ops, Slice, the views, Shape and Size on such values, not %s", op.Name)
	}
	var in []*ir.Value
	var ins []*val
	for _, a := range op.Args {
		if a == nil {
			continue
		}
		x, err := g.data(a)
		if err != nil {
			return err
		}
		in, ins = append(in, a), append(ins, x)
	}
	r := op.Results[0]
	dt := r.Type.DType
	if !heapTypes[dt] {
		return fmt.Errorf("result is %s: codegen computes over run-time shapes on f32, f64, i64, i32 and bool only", r.Type)
	}
	var y *val
	if _, err := g.evalShape(r.Type.Shape); err == nil {
		if y, err = g.newVal(r); err != nil {
			return err
		}
		y.where = inArena
	} else {
		var err error
		if y, err = g.heapVal(r, 0); err != nil {
			return err
		}
	}
	var b strings.Builder
	params := make([]string, len(ins))
	for i, x := range ins {
		if x.where == inHeap && !heapTypes[x.dtype] {
			return fmt.Errorf("operand %d is %s: codegen computes over run-time shapes on f32, f64, i64, i32 and bool only", i, x.v.Type)
		}
		params[i] = fmt.Sprintf("x%d", i)
		b.WriteString(runShapeOperand(op.Name, i, params[i], x))
	}
	var err error
	switch op.Name {
	case "Shape":
		end := int64(0)
		if op.Has("end") {
			end = op.Int("end")
		}
		shape := fmt.Sprintf("got := rtShapeOf(s0, %d, %d, %t)\n", op.Int("start"), end, op.Has("end"))
		b.WriteString(shape)
		runShapeResult(&b, op.Name, y, "[]int{len(got)}", "copy(yd, got)\n")
	case "Size":
		runShapeResult(&b, op.Name, y, "[]int{}", "yd[0] = int64(len(d0))\n")
	case "Slice":
		err = g.runShapeSlice(&b, op, ins, y)
	default:
		if view := runShapeViews[op.Name]; view != nil {
			err = g.runShapeView(&b, op, view, ins, y)
			break
		}
		err = g.runShapeElementwise(&b, op, ins, y)
	}
	if err != nil {
		return err
	}
	var texts []string
	for _, x := range ins {
		texts = append(texts, runShapeText(x))
	}
	shapes := strings.Join(texts, ", ") + " -> " + runShapeText(y)
	body := b.String()
	for i := range ins {
		// Locals the op does not read (an index operand's shape) are
		// marked used for the Go compiler.
		for _, name := range []string{fmt.Sprintf("d%d", i), fmt.Sprintf("s%d", i)} {
			if len(regexp.MustCompile(`\b`+name+`\b`).FindAllStringIndex(body, 2)) < 2 {
				body += "_ = " + name + "\n"
			}
		}
	}
	k := &kernel{in: in, params: append(params, "y"), nout: 1, fails: true, comment: fmt.Sprintf("%s over shapes found at run time: %s", op.Name, shapes), body: body, shapes: shapes}
	return g.addKernelCall(op, k, append(ins, y))
}

// runShapeText spells a value's type for comments, ? for the dims known
// only at run time.
func runShapeText(x *val) string {
	if x.where != inHeap {
		return dtypeText(x.dtype, x.shape)
	}
	return x.dtype.String() + symbolicShape(x.v.Type.Shape)
}

// runShapeResult writes the end of a run-shape kernel: the result's
// elements yd, of the shape the Go expression shape holds, are allocated
// for a heap result (alloc true) or the result's buffer once Run checked
// that shape against its static one; then body (the loop filling them)
// and, for a heap result, the Tensor handed on.
func runShapeResult(b *strings.Builder, op string, y *val, shape, body string) {
	if y.where == inHeap {
		fmt.Fprintf(b, "yd := make([]%s, rtNumel(%s))\n%s", goElem[y.dtype], shape, body)
		b.WriteString(heapTensor("y", y.dtype, shape, "yd"))
		return
	}
	fmt.Fprintf(b, "if err := rtShapeIs(%q, %s, []int{%s}); err != nil {\nreturn err\n}\nyd := y[:%d]\n%s", op, shape, shapeList(y.shape), y.n, body)
}

// runShapeViews gives, for each view op, the Go statements setting got,
// the result's shape, from the data's shape s0 and the operand d1 (axes,
// or Reshape's shape) when the op has it.
var runShapeViews = map[string]func(op *ir.Op) string{
	"Identity": func(*ir.Op) string { return "got := s0\n" },
	"Reshape": func(op *ir.Op) string {
		return fmt.Sprintf("got, err := rtReshape(s0, d1, %t)\nif err != nil {\nreturn err\n}\n", op.Int("allowzero") != 0)
	},
	"Flatten": func(op *ir.Op) string {
		return fmt.Sprintf("got, err := rtFlatten(s0, %d)\nif err != nil {\nreturn err\n}\n", op.Int("axis"))
	},
	"Squeeze": func(op *ir.Op) string {
		axes := "nil"
		if op.Arg(1) != nil {
			axes = "d1"
		}
		return fmt.Sprintf("got, err := rtSqueeze(s0, %s)\nif err != nil {\nreturn err\n}\n", axes)
	},
	"Unsqueeze": func(*ir.Op) string { return "got, err := rtUnsqueeze(s0, d1)\nif err != nil {\nreturn err\n}\n" },
}

// runShapeView writes a view over run-time shapes: the result's shape
// found, the elements handed on. A heap result shares a heap operand's
// elements (no kernel writes into a value it reads) and copies those of
// an arena or weight operand, whose storage a later op may reuse.
func (g *graph) runShapeView(b *strings.Builder, op *ir.Op, view func(*ir.Op) string, ins []*val, y *val) error {
	if ins[0].dtype != y.dtype {
		return fmt.Errorf("internal error: %s of %s gives %s", op.Name, ins[0].dtype, y.dtype)
	}
	if len(ins) > 1 && ins[1].dtype != ir.I64 {
		return fmt.Errorf("operand 1 is %s, want i64", ins[1].dtype)
	}
	b.WriteString(view(op))
	if y.where == inHeap {
		data := "d0"
		if ins[0].where != inHeap {
			data = fmt.Sprintf("append([]%s(nil), d0...)", goElem[y.dtype])
		}
		b.WriteString(heapTensor("y", y.dtype, "got", data))
		return nil
	}
	runShapeResult(b, op.Name, y, "got", "copy(yd, d0)\n")
	return nil
}

// runShapeSlice writes a Slice over run-time shapes: the generic slice
// kernel's bounds (generic_runtime.go) give the result's shape, then its
// elements are copied.
func (g *graph) runShapeSlice(b *strings.Builder, op *ir.Op, ins []*val, y *val) error {
	if len(ins) < 3 {
		return fmt.Errorf("Slice takes data, starts and ends")
	}
	it := op.Args[1].Type.DType
	if !indexType(it) {
		return fmt.Errorf("starts are %s: want i32 or i64", it)
	}
	args := []string{"d1", "d2", "nil", "nil"}
	for i, a := range op.Args[1:] {
		if a == nil {
			continue
		}
		if a.Type.DType != it {
			return fmt.Errorf("Slice operands of %s and %s: codegen takes one index type over run-time shapes", it, a.Type.DType)
		}
		args[i] = fmt.Sprintf("d%d", indexOf(ins, g.vals[a]))
	}
	if ins[0].dtype != y.dtype {
		return fmt.Errorf("internal error: Slice of %s gives %s", ins[0].dtype, y.dtype)
	}
	rest := strings.Join(args, ", ")
	fmt.Fprintf(b, "_, _, got, err := sliceShape(s0, %s)\nif err != nil {\nreturn err\n}\n", rest)
	runShapeResult(b, op.Name, y, "got", fmt.Sprintf("if err := sliceRT(d0, yd, s0, got, %s); err != nil {\nreturn err\n}\n", rest))
	return nil
}

// indexOf returns the position of x in xs (the operand list of a
// run-shape kernel), or -1.
func indexOf(xs []*val, x *val) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// runShapeElementwise writes an elementwise or broadcasting op over
// run-time shapes: its kernel specialized for one element (scalar
// operands and result), called for each element of the broadcast
// result.
func (g *graph) runShapeElementwise(b *strings.Builder, op *ir.Op, ins []*val, y *val) error {
	fn, order, err := g.scalarKernel(op)
	if err != nil {
		return err
	}
	var shapes []string
	for i := range ins {
		shapes = append(shapes, fmt.Sprintf("s%d", i))
	}
	fmt.Fprintf(b, "shape, idx, err := rtBroadcast(%q, %s)\nif err != nil {\nreturn err\n}\n", op.Name, strings.Join(shapes, ", "))
	var loop strings.Builder
	loop.WriteString("for i := range yd {\n")
	var args []string
	for _, k := range order {
		fmt.Fprintf(&loop, "j%[1]d := idx[%[1]d][i]\n", k)
		args = append(args, fmt.Sprintf("d%[1]d[j%[1]d:j%[1]d+1]", k))
	}
	args = append(args, "yd[i:i+1]")
	call := fmt.Sprintf("%s(%s)", fn.name, strings.Join(args, ", "))
	if fn.fails {
		fmt.Fprintf(&loop, "if err := %s; err != nil {\nreturn err\n}\n", call)
	} else {
		loop.WriteString(call + "\n")
	}
	loop.WriteString("}\n")
	runShapeResult(b, op.Name, y, "shape", loop.String())
	return nil
}

// scalarKernel writes op's kernel for scalar operands and result (its
// emitter run on a copy of op over fresh scalar values, so constant
// operands count as run-time ones) and returns it with, for each of its
// data parameters, the index of the operand among op's present ones.
func (g *graph) scalarKernel(op *ir.Op) (*kfunc, []int, error) {
	sop := &ir.Op{Name: op.Name, Attrs: op.Attrs, Loc: op.Loc}
	pos := map[*ir.Value]int{}
	n := 0
	for _, a := range op.Args {
		if a == nil {
			sop.Args = append(sop.Args, nil)
			continue
		}
		s := &ir.Value{Name: a.Name + ".elem", Type: ir.TensorType(a.Type.DType, ir.ShapeOf())}
		sop.Args = append(sop.Args, s)
		pos[s] = n
		n++
	}
	r := op.Results[0]
	sop.Results = []*ir.Value{{Name: r.Name + ".elem", Type: ir.TensorType(r.Type.DType, ir.ShapeOf())}}
	if err := checkKernelTypes(sop); err != nil {
		return nil, nil, err
	}
	e := emitters[op.Name]
	if x := extendedEmitters[op.Name]; x != nil {
		e = x
	}
	if e == nil {
		return nil, nil, fmt.Errorf("codegen has no kernel for %s", op.Name)
	}
	k, err := e(&opCtx{g: g, op: sop})
	if err != nil {
		return nil, nil, err
	}
	if k.heap || k.gemm || k.colLen > 0 || len(k.packed) > 0 || k.nout != 1 || len(k.params) != len(k.in)+1 {
		return nil, nil, fmt.Errorf("internal error: the one-element kernel of %s is not a plain elementwise one", op.Name)
	}
	var order []int
	var types []string
	for _, v := range k.in {
		i, ok := pos[v]
		if !ok {
			return nil, nil, fmt.Errorf("%s's kernel reads a constant operand, which codegen needs at compile time; over run-time shapes it is not supported", op.Name)
		}
		order = append(order, i)
		types = append(types, goElem[v.Type.DType])
	}
	types = append(types, goElem[r.Type.DType])
	if k.par {
		g.needPar = true
	}
	return g.kernelFunc(op.Name, op.Name, k, types), order, nil
}

// kernelFunc returns the kernel function of k (parameters of the Go
// element types types) for an op named opName, its name starting with
// base; one identical to a function written before is that function.
func (g *graph) kernelFunc(opName, base string, k *kernel, types []string) *kfunc {
	key := "\x00rt\x00" + base + "\x00" + strings.Join(k.params, ",") + "\x00" + strings.Join(types, ",") + "\x00" + k.comment + "\x00" + k.body
	if fn := g.byBody[key]; fn != nil {
		fn.uses++
		return fn
	}
	g.perOp[base]++
	fn := &kfunc{
		name:    fmt.Sprintf("%s%d", funcBase(base), g.perOp[base]),
		op:      opName,
		comment: k.comment,
		params:  k.params,
		types:   types,
		fails:   k.fails,
		body:    k.body,
		shapes:  k.shapes,
		flops:   k.flops,
		uses:    1,
	}
	g.byBody[key] = fn
	g.funcs = append(g.funcs, fn)
	return fn
}

// addKernelCall adds the call of k's function on args (operands, then the
// result) to Run.
func (g *graph) addKernelCall(op *ir.Op, k *kernel, args []*val) error {
	var types []string
	for _, a := range args {
		if a.where == inHeap {
			types = append(types, "*Tensor")
			continue
		}
		types = append(types, goElem[a.dtype])
	}
	if len(types) != len(k.params) {
		return fmt.Errorf("internal error: kernel has %d parameters for %d values", len(k.params), len(types))
	}
	fn := g.kernelFunc(op.Name, op.Name+"RT", k, types)
	g.calls = append(g.calls, &call{op: op, fn: fn, args: args})
	return nil
}
