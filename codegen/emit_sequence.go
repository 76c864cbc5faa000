package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// Sequences and optionals in generated code. A package whose model has
// them gets, in seqtypes.go, a Sequence type (a slice of its Tensor) and
// an Optional type (Present, then the Tensor or the Sequence it holds, as
// the model's type says); Inputs and Outputs take them where the model's
// signature has them. Inside Run such a value is a Go variable of that
// type: it lives on the heap, not in the arena (the memory plan covers
// tensors only), since its length and its items' shapes are known only
// at run time. Tensors taken out of a sequence or optional (SequenceAt,
// ConcatFromSequence, OptionalGetElement) land in the arena when their
// type has a static shape under the binding, Run checking the item's
// shape first; otherwise they stay boxed: a Tensor variable on the heap,
// which the ops of boxedEmitters (Identity, Shape, the broadcasting
// arithmetic and comparisons) read and write with shapes taken at run
// time, as a SequenceMap body's do with the items it is given. Tensors
// going into a sequence are copied out of the arena. The kernels call
// the generic ones of codegen/kernels/generic_sequence.go; positions out
// of range (negative ones count from the back, as ONNX says), an erase
// from an empty sequence, an empty optional read, and items of the wrong
// shape are errors Run returns.

// seqEmitter writes the kernel of a sequence or optional op.
type seqEmitter func(g *graph, op *ir.Op) (*seqKernel, error)

// seqEmitters are the ops on sequences and optionals; boxedEmitters the
// tensor ops codegen also runs on boxed tensors (shapes known at run time
// only), used when an operand is one.
var seqEmitters, boxedEmitters = map[string]seqEmitter{}, map[string]seqEmitter{}

func init() {
	seqEmitters["SequenceEmpty"] = emitSequenceEmpty
	seqEmitters["SequenceConstruct"] = emitSequenceConstruct
	seqEmitters["SequenceInsert"] = emitSequenceInsert
	seqEmitters["SequenceErase"] = emitSequenceErase
	seqEmitters["SequenceAt"] = emitSequenceAt
	seqEmitters["SequenceLength"] = emitSequenceLength
	seqEmitters["SplitToSequence"] = emitSplitToSequence
	seqEmitters["ConcatFromSequence"] = emitConcatFromSequence
	seqEmitters["Optional"] = emitOptional
	seqEmitters["OptionalHasElement"] = emitOptionalHasElement
	seqEmitters["OptionalGetElement"] = emitOptionalGetElement
	boxedEmitters["Identity"] = emitBoxedIdentity
	boxedEmitters["Shape"] = emitBoxedShape
	boxedEmitters["Slice"] = emitBoxedSlice
	for name := range boxedBinary {
		boxedEmitters[name] = emitBoxedBinary
	}
	regionEmitters["SequenceMap"] = emitSequenceMap
}

// seqKernel is the kernel of one sequence op: like kernel, with its
// operands and results as vals already (some boxed).
type seqKernel struct {
	in      []*val
	out     []*val
	params  []string
	comment string
	body    string
	fails   bool
}

// boxed reports whether x lives in a Go variable of the package's
// Tensor, Sequence or Optional type rather than in a slice.
func boxed(x *val) bool {
	return x.where == inHeap || x.v.Type.Kind != ir.TensorKind
}

// goType is the Go type of a boxed value.
func goType(x *val) string {
	switch x.v.Type.Kind {
	case ir.SequenceKind:
		return "Sequence"
	case ir.OptionalKind:
		return "Optional"
	}
	return "Tensor"
}

// leafType returns the tensor type inside t (t itself, a sequence's or an
// optional's element, an optional sequence's element), or an error for
// the nestings codegen does not compile and unknown element types.
func leafType(t ir.Type) (ir.Type, error) {
	e := t
	for depth := 0; e.Kind != ir.TensorKind; depth++ {
		if e.Elem == nil {
			return ir.Type{}, fmt.Errorf("is %s, whose element type is unknown", t)
		}
		if depth == 2 || (depth == 1 && !(t.Kind == ir.OptionalKind && e.Kind == ir.SequenceKind)) {
			return ir.Type{}, fmt.Errorf("is %s; codegen compiles sequences and optionals of tensors, and optional sequences of tensors, only", t)
		}
		e = *e.Elem
	}
	switch e.DType {
	case ir.F32, ir.F64, ir.I32, ir.I64, ir.Bool:
		// The element types every generated Tensor has a field for.
	default:
		return ir.Type{}, fmt.Errorf("is %s; codegen handles sequences, optionals and tensors of run-time shape of f32, f64, i32, i64 and bool only so far", t)
	}
	return e, nil
}

// boxVal records v as a boxed value: a sequence, an optional, or a
// tensor whose shape is known only at run time. Its dtype is the
// element type of the tensors inside, its shape theirs with -1 for the
// dims the binding does not give (nil when the rank is unknown).
func (g *graph) boxVal(v *ir.Value) (*val, error) {
	leaf, err := leafType(v.Type)
	if err != nil {
		return nil, err
	}
	var shape []int
	if leaf.Shape.Ranked {
		shape = make([]int, len(leaf.Shape.Dims))
		for j, d := range leaf.Shape.Dims {
			shape[j] = -1
			if n, ok := d.Eval(g.bind); ok {
				shape[j] = int(n)
			}
		}
	}
	x := &val{v: v, dtype: leaf.DType, shape: shape, name: fmt.Sprintf("v%d", g.nextVar), where: inHeap}
	g.nextVar++
	x.root = x
	g.vals[v] = x
	return x, nil
}

// tensorResult records result r of a sequence op that is a tensor: in
// the arena when its shape is static under the binding and box is not
// set, else boxed.
func (g *graph) tensorResult(r *ir.Value, box bool) (*val, error) {
	if !box && r.Type.Kind == ir.TensorKind && r.Type.Shape.Ranked {
		if _, err := g.evalShape(r.Type.Shape); err == nil {
			y, err := g.newVal(r)
			if err != nil {
				return nil, err
			}
			y.where = inArena
			return y, nil
		}
	}
	return g.boxVal(r)
}

// emitSeqOp emits op when it is a sequence or optional op, or a tensor op
// reading a boxed value; it reports whether it did.
func (g *graph) emitSeqOp(op *ir.Op) (bool, error) {
	e := seqEmitters[op.Name]
	if e == nil {
		readsBoxed := false
		for _, a := range op.Args {
			if a == nil {
				continue
			}
			if x, ok := g.vals[a]; a.Type.Kind != ir.TensorKind || ok && boxed(x) {
				readsBoxed = true
			}
		}
		if !readsBoxed && !g.feedsSequence(op) {
			return false, nil
		}
		if !readsNonTensor(op) && !inSequenceMap(op) && !g.feedsSequence(op) && runShapeOp(op) && op.Name != "Shape" && op.Name != "Size" {
			// Tensors of run-time shape outside sequences: emit_runshape.go,
			// which also writes a result of static shape into its buffer.
			// (Shape and Size of a boxed tensor stay here: the fold would
			// try them first.)
			return false, nil
		}
		if e = boxedEmitters[op.Name]; e == nil {
			return true, fmt.Errorf("reads a sequence, an optional or a tensor whose shape is known only at run time, and codegen runs %s on static shapes only", op.Name)
		}
	}
	k, err := e(g, op)
	if err != nil || k == nil {
		return true, err // nil: the result is the operand's val
	}
	g.addSeqCall(op, k)
	return true, nil
}

// seqSupported reports whether codegen compiles op as a sequence op (for
// checkSupported).
func seqSupported(op *ir.Op) bool {
	return len(op.Regions) == 0 && (seqEmitters[op.Name] != nil || boxedEmitters[op.Name] != nil && (readsNonTensor(op) || inSequenceMap(op)))
}

// inSequenceMap reports whether op lies in the body of a SequenceMap,
// whose items' shapes are known only at run time.
func inSequenceMap(op *ir.Op) bool {
	for r := op.Parent; r != nil && r.Parent != nil; r = r.Parent.Parent {
		if r.Parent.Name == "SequenceMap" {
			return true
		}
	}
	return false
}

// readsNonTensor reports whether an operand of op is a sequence or an
// optional.
func readsNonTensor(op *ir.Op) bool {
	for _, a := range op.Args {
		if a != nil && a.Type.Kind != ir.TensorKind {
			return true
		}
	}
	return false
}

// addSeqCall adds the call of k's function (shared with identical ones)
// to the call list.
func (g *graph) addSeqCall(op *ir.Op, k *seqKernel) {
	args := append(append([]*val(nil), k.in...), k.out...)
	types := make([]string, len(args))
	for i, a := range args {
		if boxed(a) {
			types[i] = "*" + goType(a)
		} else {
			types[i] = goElem[a.dtype]
		}
	}
	key := op.Name + "\x00" + strings.Join(k.params, ",") + "\x00" + strings.Join(types, ",") + "\x00" + k.comment + "\x00" + k.body
	fn := g.byBody[key]
	if fn == nil {
		g.perOp[op.Name]++
		fn = &kfunc{name: fmt.Sprintf("%s%d", funcBase(op.Name), g.perOp[op.Name]), op: op.Name, comment: k.comment, params: k.params, types: types, fails: k.fails, body: k.body, shapes: k.comment}
		for _, a := range args {
			if !boxed(a) {
				fn.bytes += int64(a.n) * int64(a.dtype.Size())
			}
		}
		g.byBody[key] = fn
		g.funcs = append(g.funcs, fn)
	}
	fn.uses++
	g.calls = append(g.calls, &call{op: op, fn: fn, args: args})
}

// seqArgs returns the vals of op's operands (nil for absent ones).
func (g *graph) seqArgs(op *ir.Op) ([]*val, error) {
	out := make([]*val, len(op.Args))
	for i, a := range op.Args {
		if a == nil {
			continue
		}
		x, err := g.data(a)
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// valText describes a val for a kernel's comment.
func valText(x *val) string {
	switch x.v.Type.Kind {
	case ir.SequenceKind:
		return "seq<" + leafText(x) + ">"
	case ir.OptionalKind:
		if e := x.v.Type.Elem; e != nil && e.Kind == ir.SequenceKind {
			return "opt<seq<" + leafText(x) + ">>"
		}
		return "opt<" + leafText(x) + ">"
	}
	return leafText(x)
}

// leafText spells the tensor type inside a val: dims the binding does not
// give as ?, an unknown rank as [*].
func leafText(x *val) string {
	if x.shape == nil && x.where == inHeap {
		if leaf, err := leafType(x.v.Type); err == nil && !leaf.Shape.Ranked {
			return x.dtype.String() + "[*]"
		}
	}
	parts := make([]string, len(x.shape))
	for i, d := range x.shape {
		parts[i] = fmt.Sprint(d)
		if d < 0 {
			parts[i] = "?"
		}
	}
	return x.dtype.String() + "[" + strings.Join(parts, ",") + "]"
}

// tensorIn is the Go expression of param p (of val x, a tensor) as a
// Tensor: itself when boxed, else a copy of its elements out of the
// arena, the weights or the caller's input.
func tensorIn(p string, x *val) string {
	if boxed(x) {
		return "*" + p
	}
	return fmt.Sprintf("Tensor{Shape: %s, %s: append([]%s(nil), %s...)}", intsLit(x.shape), tensorField[x.dtype], goElem[x.dtype], p)
}

// tensorData returns the Go expressions of param p's elements and shape.
func tensorData(p string, x *val) (data, shape string) {
	if boxed(x) {
		return p + "." + tensorField[x.dtype], p + ".Shape"
	}
	return p, intsLit(x.shape)
}

// tensorOut is the statement storing the Tensor expression t into result
// param p of val y: the Tensor itself when y is boxed, else its elements
// into the arena once its shape is checked.
func tensorOut(p string, y *val, t string) string {
	if boxed(y) {
		return fmt.Sprintf("*%s = %s\n", p, t)
	}
	return fmt.Sprintf("if err := shapeIs(%s.Shape, %s); err != nil {\nreturn err\n}\ncopy(%s, %s.%s)\n", t, intsLit(y.shape), p, t, tensorField[y.dtype])
}

// position is the Go expression of the one element of an integer operand
// read as an int64 (a sequence position).
func position(p string, x *val) (string, error) {
	if boxed(x) || x.n != 1 || !(x.dtype == ir.I64 || x.dtype == ir.I32) {
		return "", fmt.Errorf("position is %s, want one int32 or int64", valText(x))
	}
	if x.dtype == ir.I32 {
		return fmt.Sprintf("int64(%s[0])", p), nil
	}
	return p + "[0]", nil
}

func emitSequenceEmpty(g *graph, op *ir.Op) (*seqKernel, error) {
	y, err := g.boxVal(op.Results[0])
	if err != nil {
		return nil, err
	}
	return &seqKernel{out: []*val{y}, params: []string{"y"}, comment: "SequenceEmpty -> " + valText(y), body: "*y = Sequence{}\n"}, nil
}

func emitSequenceConstruct(g *graph, op *ir.Op) (*seqKernel, error) {
	in, err := g.seqArgs(op)
	if err != nil {
		return nil, err
	}
	y, err := g.boxVal(op.Results[0])
	if err != nil {
		return nil, err
	}
	var params, items, texts []string
	for i, x := range in {
		if x == nil || x.v.Type.Kind != ir.TensorKind || x.dtype != y.dtype {
			return nil, fmt.Errorf("operand %d: want a %s tensor", i, y.dtype)
		}
		p := fmt.Sprintf("x%d", i)
		params = append(params, p)
		items = append(items, tensorIn(p, x))
		texts = append(texts, valText(x))
	}
	body := fmt.Sprintf("*y = Sequence{%s}\n", strings.Join(items, ", "))
	return &seqKernel{in: in, out: []*val{y}, params: append(params, "y"), comment: fmt.Sprintf("SequenceConstruct of %s", strings.Join(texts, ", ")), body: body}, nil
}

func emitSequenceInsert(g *graph, op *ir.Op) (*seqKernel, error) {
	in, err := g.seqArgs(op)
	if err != nil {
		return nil, err
	}
	if len(in) < 2 || in[0] == nil || in[1] == nil || in[0].v.Type.Kind != ir.SequenceKind || in[1].v.Type.Kind != ir.TensorKind || in[0].dtype != in[1].dtype {
		return nil, fmt.Errorf("want a sequence and a tensor of its element type")
	}
	y, err := g.boxVal(op.Results[0])
	if err != nil {
		return nil, err
	}
	pos, has, params := "0", "false", []string{"s", "x"}
	ins := in[:2]
	if len(in) > 2 && in[2] != nil {
		if pos, err = position("pos", in[2]); err != nil {
			return nil, err
		}
		has, params, ins = "true", append(params, "pos"), in[:3]
	}
	body := fmt.Sprintf("r, err := seqInsert(*s, %s, %s, %s)\nif err != nil {\nreturn err\n}\n*y = r\n", tensorIn("x", in[1]), pos, has)
	comment := fmt.Sprintf("SequenceInsert of %s into %s", valText(in[1]), valText(in[0]))
	return &seqKernel{in: ins, out: []*val{y}, params: append(params, "y"), comment: comment, body: body, fails: true}, nil
}

func emitSequenceErase(g *graph, op *ir.Op) (*seqKernel, error) {
	in, err := g.seqArgs(op)
	if err != nil {
		return nil, err
	}
	if len(in) < 1 || in[0] == nil || in[0].v.Type.Kind != ir.SequenceKind {
		return nil, fmt.Errorf("want a sequence")
	}
	y, err := g.boxVal(op.Results[0])
	if err != nil {
		return nil, err
	}
	pos, has, params := "0", "false", []string{"s"}
	ins := in[:1]
	if len(in) > 1 && in[1] != nil {
		if pos, err = position("pos", in[1]); err != nil {
			return nil, err
		}
		has, params, ins = "true", append(params, "pos"), in[:2]
	}
	body := fmt.Sprintf("r, err := seqErase(*s, %s, %s)\nif err != nil {\nreturn err\n}\n*y = r\n", pos, has)
	return &seqKernel{in: ins, out: []*val{y}, params: append(params, "y"), comment: "SequenceErase from " + valText(in[0]), body: body, fails: true}, nil
}

func emitSequenceAt(g *graph, op *ir.Op) (*seqKernel, error) {
	in, err := g.seqArgs(op)
	if err != nil {
		return nil, err
	}
	if len(in) != 2 || in[0] == nil || in[1] == nil || in[0].v.Type.Kind != ir.SequenceKind {
		return nil, fmt.Errorf("want a sequence and a position")
	}
	pos, err := position("pos", in[1])
	if err != nil {
		return nil, err
	}
	y, err := g.tensorResult(op.Results[0], false)
	if err != nil {
		return nil, err
	}
	body := fmt.Sprintf("t, err := seqAt(*s, %s)\nif err != nil {\nreturn err\n}\n", pos)
	if boxed(y) {
		// The item stays in the sequence: the result gets its own copy.
		body += fmt.Sprintf("*y = Tensor{Shape: append([]int(nil), t.Shape...), %[1]s: append([]%[2]s(nil), t.%[1]s...)}\n", tensorField[y.dtype], goElem[y.dtype])
	} else {
		body += tensorOut("y", y, "t")
	}
	comment := fmt.Sprintf("SequenceAt of %s -> %s", valText(in[0]), valText(y))
	return &seqKernel{in: in, out: []*val{y}, params: []string{"s", "pos", "y"}, comment: comment, body: body, fails: true}, nil
}

// seqToTensor returns the operands of op, which must be one sequence, and
// its tensor result (SequenceLength, ConcatFromSequence).
func (g *graph) seqToTensor(op *ir.Op) (in []*val, y *val, err error) {
	if in, err = g.seqArgs(op); err != nil {
		return nil, nil, err
	}
	if len(in) != 1 || in[0] == nil || in[0].v.Type.Kind != ir.SequenceKind {
		return nil, nil, fmt.Errorf("want a sequence")
	}
	if y, err = g.tensorResult(op.Results[0], false); err != nil {
		return nil, nil, err
	}
	return in, y, nil
}

func emitSequenceLength(g *graph, op *ir.Op) (*seqKernel, error) {
	in, y, err := g.seqToTensor(op)
	if err != nil {
		return nil, err
	}
	if boxed(y) || y.dtype != ir.I64 || y.n != 1 {
		return nil, fmt.Errorf("result is %s, want one int64", valText(y))
	}
	return &seqKernel{in: in, out: []*val{y}, params: []string{"s", "y"}, comment: "SequenceLength of " + valText(in[0]), body: "y[0] = int64(len(*s))\n"}, nil
}

func emitSplitToSequence(g *graph, op *ir.Op) (*seqKernel, error) {
	in, err := g.seqArgs(op)
	if err != nil {
		return nil, err
	}
	if len(in) < 1 || in[0] == nil || boxed(in[0]) {
		return nil, fmt.Errorf("want a tensor of static shape")
	}
	x := in[0]
	y, err := g.boxVal(op.Results[0])
	if err != nil {
		return nil, err
	}
	axis, err := ir.NormAxis(op.Int("axis"), len(x.shape))
	if err != nil {
		return nil, err
	}
	split, rank, has, drop := "nil", 0, "false", op.Int("keepdims") == 0
	params, ins := []string{"x"}, in[:1]
	var b strings.Builder
	if len(in) > 1 && in[1] != nil {
		s := in[1]
		if boxed(s) || !(s.dtype == ir.I64 || s.dtype == ir.I32) {
			return nil, fmt.Errorf("split is %s, want int32 or int64", valText(s))
		}
		split, rank, has, drop = "split", len(s.shape), "true", false
		params, ins = append(params, "split"), in[:2]
		if s.dtype == ir.I32 {
			b.WriteString("sp := make([]int64, len(split))\nfor i, v := range split {\nsp[i] = int64(v)\n}\n")
			split = "sp"
		}
	}
	fmt.Fprintf(&b, "sizes, err := splitSizes(%d, %s, %d, %s)\nif err != nil {\nreturn err\n}\n", x.shape[axis], split, rank, has)
	fmt.Fprintf(&b, "parts, shapes := splitAxis(x, %s, %d, sizes, %v)\nr := make(Sequence, len(parts))\nfor i := range parts {\nr[i] = Tensor{Shape: shapes[i], %s: parts[i]}\n}\n*y = r\n", intsLit(x.shape), axis, drop, tensorField[x.dtype])
	comment := fmt.Sprintf("SplitToSequence of %s along axis %d", valText(x), axis)
	return &seqKernel{in: ins, out: []*val{y}, params: append(params, "y"), comment: comment, body: b.String(), fails: true}, nil
}

func emitConcatFromSequence(g *graph, op *ir.Op) (*seqKernel, error) {
	in, y, err := g.seqToTensor(op)
	if err != nil {
		return nil, err
	}
	f, e := tensorField[in[0].dtype], goElem[in[0].dtype]
	body := fmt.Sprintf("parts := make([][]%s, len(*s))\nshapes := make([][]int, len(*s))\nfor i, t := range *s {\nparts[i], shapes[i] = t.%s, t.Shape\n}\n", e, f)
	body += fmt.Sprintf("d, shape, err := concatAxis(parts, shapes, %d, %v)\nif err != nil {\nreturn err\n}\n", op.Int("axis"), op.Int("new_axis") == 1)
	body += tensorOut("y", y, fmt.Sprintf("(Tensor{Shape: shape, %s: d})", f))
	comment := fmt.Sprintf("ConcatFromSequence of %s -> %s", valText(in[0]), valText(y))
	return &seqKernel{in: in, out: []*val{y}, params: []string{"s", "y"}, comment: comment, body: body, fails: true}, nil
}

func emitOptional(g *graph, op *ir.Op) (*seqKernel, error) {
	in, err := g.seqArgs(op)
	if err != nil {
		return nil, err
	}
	y, err := g.boxVal(op.Results[0])
	if err != nil {
		return nil, err
	}
	if len(in) == 0 || in[0] == nil {
		return &seqKernel{out: []*val{y}, params: []string{"y"}, comment: "Optional, empty: " + valText(y), body: "*y = Optional{}\n"}, nil
	}
	x := in[0]
	var body string
	switch x.v.Type.Kind {
	case ir.TensorKind:
		body = fmt.Sprintf("*y = Optional{Present: true, Tensor: %s}\n", tensorIn("x", x))
	case ir.SequenceKind:
		body = "*y = Optional{Present: true, Sequence: *x}\n"
	default:
		return nil, fmt.Errorf("operand is %s; want a tensor or a sequence", x.v.Type)
	}
	return &seqKernel{in: in[:1], out: []*val{y}, params: []string{"x", "y"}, comment: "Optional of " + valText(x), body: body}, nil
}

func emitOptionalHasElement(g *graph, op *ir.Op) (*seqKernel, error) {
	in, err := g.seqArgs(op)
	if err != nil {
		return nil, err
	}
	y, err := g.tensorResult(op.Results[0], false)
	if err != nil {
		return nil, err
	}
	if boxed(y) || y.dtype != ir.Bool || y.n != 1 {
		return nil, fmt.Errorf("result is %s, want one bool", valText(y))
	}
	switch {
	case len(in) == 0 || in[0] == nil:
		return &seqKernel{out: []*val{y}, params: []string{"y"}, comment: "OptionalHasElement of nothing", body: "y[0] = false\n"}, nil
	case in[0].v.Type.Kind != ir.OptionalKind:
		// Opset 18 takes a plain tensor or sequence too: it is there.
		return &seqKernel{in: in[:1], out: []*val{y}, params: []string{"x", "y"}, comment: "OptionalHasElement of " + valText(in[0]), body: "_ = x\ny[0] = true\n"}, nil
	}
	return &seqKernel{in: in[:1], out: []*val{y}, params: []string{"x", "y"}, comment: "OptionalHasElement of " + valText(in[0]), body: "y[0] = x.Present\n"}, nil
}

func emitOptionalGetElement(g *graph, op *ir.Op) (*seqKernel, error) {
	in, err := g.seqArgs(op)
	if err != nil {
		return nil, err
	}
	if len(in) != 1 || in[0] == nil {
		return nil, fmt.Errorf("want an optional")
	}
	x := in[0]
	if x.v.Type.Kind != ir.OptionalKind {
		// Opset 18 takes a plain tensor or sequence too, and gives it
		// back: the result is the operand's val.
		if x.v.Type.Kind != op.Results[0].Type.Kind {
			return nil, fmt.Errorf("operand is %s, result %s", x.v.Type, op.Results[0].Type)
		}
		g.vals[op.Results[0]] = x
		return nil, nil
	}
	var y *val
	var body string
	if op.Results[0].Type.Kind == ir.SequenceKind {
		if y, err = g.boxVal(op.Results[0]); err != nil {
			return nil, err
		}
		body = "if !x.Present {\nreturn fmt.Errorf(\"the optional is empty\")\n}\n*y = x.Sequence\n"
	} else {
		if y, err = g.tensorResult(op.Results[0], false); err != nil {
			return nil, err
		}
		body = "if !x.Present {\nreturn fmt.Errorf(\"the optional is empty\")\n}\n" + tensorOut("y", y, "x.Tensor")
	}
	comment := fmt.Sprintf("OptionalGetElement of %s -> %s", valText(x), valText(y))
	return &seqKernel{in: in, out: []*val{y}, params: []string{"x", "y"}, comment: comment, body: body, fails: true}, nil
}

// emitBoxedIdentity passes a sequence, an optional or a boxed tensor on
// without a kernel: the result is the operand's Go variable (items are
// never written, so sharing them is safe).
func emitBoxedIdentity(g *graph, op *ir.Op) (*seqKernel, error) {
	in, err := g.seqArgs(op)
	if err != nil {
		return nil, err
	}
	if len(in) != 1 || in[0] == nil {
		return nil, fmt.Errorf("want one operand")
	}
	if x, r := in[0], op.Results[0]; x.v.Type.Kind != r.Type.Kind {
		return nil, fmt.Errorf("operand is %s, result %s", x.v.Type, r.Type)
	}
	g.vals[op.Results[0]] = in[0]
	return nil, nil
}

// emitBoxedShape writes Shape of a boxed tensor (start and end as ONNX
// Shape-15 has them: clamped to the rank, negative ones from the back).
func emitBoxedShape(g *graph, op *ir.Op) (*seqKernel, error) {
	in, err := g.seqArgs(op)
	if err != nil {
		return nil, err
	}
	if len(in) != 1 || in[0] == nil || in[0].v.Type.Kind != ir.TensorKind {
		return nil, fmt.Errorf("want one tensor")
	}
	x := in[0]
	y, err := g.boxVal(op.Results[0])
	if err != nil {
		return nil, err
	}
	end := "len(x.Shape)"
	if op.Has("end") {
		end = fmt.Sprint(op.Int("end"))
	}
	body := fmt.Sprintf("r := len(x.Shape)\nclamp := func(i int) int {\nif i < 0 {\ni += r\n}\nreturn max(0, min(i, r))\n}\nlo, hi := clamp(%d), clamp(%s)\nd := []int64{}\nfor i := lo; i < hi; i++ {\nd = append(d, int64(x.Shape[i]))\n}\n*y = Tensor{Shape: []int{len(d)}, I64: d}\n", op.Int("start"), end)
	return &seqKernel{in: in, out: []*val{y}, params: []string{"x", "y"}, comment: "Shape of " + valText(x), body: body}, nil
}

// boxedBinary are the broadcasting binary ops codegen runs on boxed
// tensors: the Go expression of the result's element from a and b, and
// whether the result is bool.
var boxedBinary = map[string]struct {
	expr    string
	compare bool
}{
	"Add":     {"a + b", false},
	"Sub":     {"a - b", false},
	"Mul":     {"a * b", false},
	"Equal":   {"a == b", true},
	"Less":    {"a < b", true},
	"Greater": {"a > b", true},
}

// emitBoxedBinary writes a broadcasting binary op of boxedBinary with a
// boxed operand: the shapes are broadcast at run time.
func emitBoxedBinary(g *graph, op *ir.Op) (*seqKernel, error) {
	in, err := g.seqArgs(op)
	if err != nil {
		return nil, err
	}
	if len(in) != 2 || in[0] == nil || in[1] == nil || in[0].v.Type.Kind != ir.TensorKind || in[1].v.Type.Kind != ir.TensorKind || in[0].dtype != in[1].dtype {
		return nil, fmt.Errorf("want two tensors of one element type")
	}
	d := in[0].dtype
	if d == ir.Bool || isHalf(d) {
		return nil, fmt.Errorf("%s on %s: not supported on boxed tensors", op.Name, d)
	}
	y, err := g.boxVal(op.Results[0])
	if err != nil {
		return nil, err
	}
	spec := boxedBinary[op.Name]
	rt := goElem[d]
	if spec.compare {
		rt = "bool"
	}
	a, as := tensorData("a", in[0])
	b, bs := tensorData("b", in[1])
	body := fmt.Sprintf("d, shape, err := broadcastRT(%s, %s, %s, %s, func(a, b %s) %s { return %s })\nif err != nil {\nreturn err\n}\n*y = Tensor{Shape: shape, %s: d}\n", a, as, b, bs, goElem[d], rt, spec.expr, tensorField[y.dtype])
	comment := fmt.Sprintf("%s of %s and %s, broadcast at run time", op.Name, valText(in[0]), valText(in[1]))
	return &seqKernel{in: in, out: []*val{y}, params: []string{"a", "b", "y"}, comment: comment, body: body, fails: true}, nil
}

// ctlSeqMap marks the calls of a SequenceMap: ctlMapBegin opens the for
// statement over the items, ctlMapEnd appends the body's results and
// closes it.
const (
	ctlMapBegin ctlKind = 100 + iota
	ctlMapEnd
)

// seqMap is what Run needs to write a SequenceMap.
type seqMap struct {
	id      int
	seqs    []*val // the sequence operands
	params  []*val // the body's params taking their items
	results []*val // the op's results: sequences
	outs    []*val // the body's results
}

// emitSequenceMap compiles a SequenceMap into a Go for statement in Run
// over the items of its sequence operands (which must have one length):
// each iteration gives the body one item of each (a boxed tensor) and the
// other operands whole, and appends the body's results to the result
// sequences.
func emitSequenceMap(g *graph, op *ir.Op) error {
	body := op.Regions[0]
	if len(body.Params) != len(op.Args) || len(body.Results) != len(op.Results) {
		return fmt.Errorf("body takes %d params and returns %d values for %d operands and %d results", len(body.Params), len(body.Results), len(op.Args), len(op.Results))
	}
	M := &seqMap{id: g.nextVar}
	g.nextVar++
	for i, a := range op.Args {
		if a == nil {
			return fmt.Errorf("operand %d is absent", i)
		}
		x, err := g.data(a)
		if err != nil {
			return err
		}
		if a.Type.Kind == ir.SequenceKind {
			p, err := g.boxVal(body.Params[i])
			if err != nil {
				return fmt.Errorf("body param %d %v", i, err)
			}
			if p.v.Type.Kind != ir.TensorKind {
				return fmt.Errorf("body param %d is %s; codegen maps sequences of tensors only", i, p.v.Type)
			}
			M.seqs = append(M.seqs, x)
			M.params = append(M.params, p)
			continue
		}
		if i == 0 {
			return fmt.Errorf("operand 0 is %s, want a sequence", a.Type)
		}
		// A tensor (or other) operand reaches every iteration whole.
		g.vals[body.Params[i]] = x
	}
	for i, r := range op.Results {
		y, err := g.boxVal(r)
		if err != nil {
			return fmt.Errorf("result %d %v", i, err)
		}
		if r.Type.Kind != ir.SequenceKind {
			return fmt.Errorf("result %d is %s, want a sequence", i, r.Type)
		}
		M.results = append(M.results, y)
	}
	begin := &call{op: op, ctl: ctlMapBegin, args: append(append(append([]*val(nil), M.seqs...), M.results...), M.params...), nctl: len(M.results) + len(M.params)}
	begin.seqMap = M
	g.calls = append(g.calls, begin)
	for _, bop := range body.Ops {
		if err := g.emitOp(bop); err != nil {
			return fmt.Errorf("body: %s %s: %w", bop.Name, nodeName(bop), err)
		}
	}
	for i, r := range body.Results {
		x, err := g.data(r)
		if err != nil {
			return fmt.Errorf("body result %d: %w", i, err)
		}
		if x.v.Type.Kind != ir.TensorKind || x.dtype != M.results[i].dtype {
			return fmt.Errorf("body result %d is %s, the result a sequence of %s", i, valText(x), M.results[i].dtype)
		}
		M.outs = append(M.outs, x)
	}
	// The end reads the body's results and keeps the results and the
	// sequences live through the loop.
	end := &call{op: op, ctl: ctlMapEnd, args: append(append(append([]*val(nil), M.outs...), M.results...), M.seqs...)}
	end.seqMap = M
	g.calls = append(g.calls, end)
	return nil
}

// writeSeqMapBegin opens a SequenceMap's for statement.
func (g *graph) writeSeqMapBegin(b *strings.Builder, c *call) {
	M := c.seqMap
	fmt.Fprintf(b, "// SequenceMap %s\n", quoteLocs(c.op))
	for _, y := range M.results {
		fmt.Fprintf(b, "%s := Sequence{}\n", y.name)
	}
	first := g.expr(M.seqs[0])
	for j, s := range M.seqs[1:] {
		fmt.Fprintf(b, "if len(%s) != len(%s) {\nreturn Outputs{}, fmt.Errorf(\"%%s: sequence operand %d has %%d items, operand 0 %%d\", %q, len(%s), len(%s))\n}\n", g.expr(s), first, j+1, c.op.Name+" "+nodeName(c.op), g.expr(s), first)
	}
	fmt.Fprintf(b, "for e%d := range %s {\n", M.id, first)
	for j, p := range M.params {
		fmt.Fprintf(b, "%s := %s[e%d]\n", p.name, g.expr(M.seqs[j]), M.id)
	}
}

// writeSeqMapEnd appends the body's results and closes the statement.
func (g *graph) writeSeqMapEnd(b *strings.Builder, c *call) {
	M := c.seqMap
	for i, x := range M.outs {
		t := "x"
		if boxed(x) {
			t = g.expr(x)
		} else {
			t = fmt.Sprintf("Tensor{Shape: %s, %s: append([]%s(nil), %s...)}", intsLit(x.shape), tensorField[x.dtype], goElem[x.dtype], g.expr(x))
		}
		fmt.Fprintf(b, "%s = append(%s, %s)\n", M.results[i].name, M.results[i].name, t)
	}
	b.WriteString("}\n")
}

// boxedState gives a Loop's or Scan's carried sequence or optional its
// Go variables: the op's result, which the body's param reads, and the
// next value an iteration sets before it is carried.
func (g *graph) boxedState(L *iterLoop, init *val, res, param *ir.Value) error {
	if !boxed(init) {
		return fmt.Errorf("starts as %s, the loop carries %s", init.v.Type, res.Type)
	}
	var unwrapTo *val
	if init.v.Type.Kind != res.Type.Kind {
		// ONNX lets a Loop start from an optional sequence and carry the
		// sequence its body returns: the state stays an Optional, and
		// the result takes its sequence after the loop.
		if !(init.v.Type.Kind == ir.OptionalKind && res.Type.Kind == ir.SequenceKind && param.Type.Kind == ir.OptionalKind) {
			return fmt.Errorf("starts as %s, the loop carries %s", init.v.Type, res.Type)
		}
		var err error
		if unwrapTo, err = g.boxVal(res); err != nil {
			return err
		}
		res = &ir.Value{Type: param.Type, Name: res.Name + ".state"}
	}
	y, err := g.boxVal(res)
	if err != nil {
		return err
	}
	if unwrapTo != nil {
		L.unwrap = append(L.unwrap, [2]*val{y, unwrapTo})
	}
	p, err := g.boxVal(param)
	if err != nil {
		return fmt.Errorf("body param: %v", err)
	}
	p.root = y
	nt := res.Type
	if unwrapTo != nil {
		nt = unwrapTo.v.Type // the body returns the sequence
	}
	next := &val{v: &ir.Value{Type: nt, Name: y.name + ".next"}, dtype: y.dtype, shape: y.shape, name: fmt.Sprintf("v%d", g.nextVar), where: inHeap}
	g.nextVar++
	next.root = next
	L.inits = append(L.inits, init)
	L.carried = append(L.carried, y)
	L.next = append(L.next, next)
	return nil
}

// feedsSequence reports whether op is a boxedEmitters op with a result
// whose shape is not static under the binding that only sequence ops read
// (a Slice by a loop's counter inserted into a sequence): codegen then
// runs it on the boxed lane, its result's shape found at run time.
func (g *graph) feedsSequence(op *ir.Op) bool {
	if boxedEmitters[op.Name] == nil || len(op.Regions) > 0 {
		return false
	}
	dynamic := false
	for _, r := range op.Results {
		if r.Type.Kind != ir.TensorKind || !r.Type.Shape.Ranked {
			return false
		}
		if _, err := g.evalShape(r.Type.Shape); err != nil {
			dynamic = true
		}
		for _, u := range g.uses[r] {
			if u.Op == nil || seqEmitters[u.Op.Name] == nil {
				return false
			}
		}
	}
	return dynamic
}

// emitBoxedSlice writes Slice into a boxed result: its starts, ends, axes
// and steps are read at run time and its shape found then.
func emitBoxedSlice(g *graph, op *ir.Op) (*seqKernel, error) {
	in, err := g.seqArgs(op)
	if err != nil {
		return nil, err
	}
	if len(in) < 3 || in[0] == nil || in[1] == nil || in[2] == nil || in[0].v.Type.Kind != ir.TensorKind {
		return nil, fmt.Errorf("want a tensor, starts and ends")
	}
	x := in[0]
	it := in[1].dtype
	idx := []string{"starts", "ends", "axes", "steps"}
	params := []string{"x"}
	ins := []*val{x}
	args := make([]string, 4)
	for i := 1; i < 5; i++ {
		args[i-1] = "nil"
		if i >= len(in) || in[i] == nil {
			continue
		}
		s := in[i]
		if boxed(s) || s.dtype != it || !(it == ir.I64 || it == ir.I32) {
			return nil, fmt.Errorf("%s is %s, want int32 or int64 like starts", idx[i-1], valText(s))
		}
		params, ins = append(params, idx[i-1]), append(ins, s)
		args[i-1] = idx[i-1]
	}
	y, err := g.boxVal(op.Results[0])
	if err != nil {
		return nil, err
	}
	data, shape := tensorData("x", x)
	body := fmt.Sprintf("d, shape, err := sliceShaped(%s, %s, %s)\nif err != nil {\nreturn err\n}\n*y = Tensor{Shape: shape, %s: d}\n", data, shape, strings.Join(args, ", "), tensorField[x.dtype])
	comment := fmt.Sprintf("Slice of %s, its shape found at run time", valText(x))
	return &seqKernel{in: ins, out: []*val{y}, params: append(params, "y"), comment: comment, body: body, fails: true}, nil
}

// boxedCarries reports whether a Loop's boxed carried value may take x,
// what the body returns: a value of its kind and element type, or the
// sequence an optional sequence holds.
func boxedCarries(carried, x *val) bool {
	if x.dtype != carried.dtype {
		return false
	}
	c := carried.v.Type
	return x.v.Type.Kind == c.Kind || c.Kind == ir.OptionalKind && c.Elem != nil && x.v.Type.Kind == c.Elem.Kind
}

// wrapBoxed is the Go expression of next, a value the body returned, as
// the carried value y takes it: itself, or wrapped into the optional y
// is.
func wrapBoxed(next, y *val) string {
	if next.v.Type.Kind == y.v.Type.Kind {
		return next.name
	}
	if next.v.Type.Kind == ir.SequenceKind {
		return "Optional{Present: true, Sequence: " + next.name + "}"
	}
	return "Optional{Present: true, Tensor: " + next.name + "}"
}

// unwrapCarried adds, after a Loop, the calls giving the results that
// carried optionals stand for (boxedState) their sequences: an empty
// optional there (the loop ran no iteration from an empty one) is an
// error Run returns.
func (g *graph) unwrapCarried(op *ir.Op, L *iterLoop) {
	for _, u := range L.unwrap {
		k := &seqKernel{in: []*val{u[0]}, out: []*val{u[1]}, params: []string{"st", "y"}, comment: "the sequence a Loop carried as " + valText(u[0]), fails: true,
			body: "if !st.Present {\nreturn fmt.Errorf(\"the loop ran no iteration, and its carried optional is empty\")\n}\n*y = st.Sequence\n"}
		g.addSeqCall(op, k)
	}
}

// needStatic refuses a boxed value where control flow needs a tensor of
// static shape in a slice (an If's condition or result, a Loop's trip
// count, carried value or scan output).
func needStatic(x *val) error {
	if boxed(x) {
		return fmt.Errorf("is %s, a sequence, an optional or a tensor whose shape is known only at run time, where codegen needs a tensor of static shape", valText(x))
	}
	return nil
}
