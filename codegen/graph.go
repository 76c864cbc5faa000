package codegen

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/kiln-ml/kiln/codegen/kernels"
	"github.com/kiln-ml/kiln/ir"
)

// storage says where a value's elements live at run time.
type storage uint8

const (
	inInput  storage = iota // the caller's input slice
	inWeight                // a slice of the weights blob
	inArena                 // the session's activation arena
	inLocal                 // a slice Run writes from the dims it reads (folded shape values)
	inHeap                  // a Tensor its kernel allocates on each run: its shape depends on the data
	inStr                   // a []string Run allocates (or a string constant's literal): strings have no arena (emit_string.go)
)

// val is one float32 tensor value of the function with its static shape
// and where its elements live. A view shares its root's storage.
type val struct {
	v     *ir.Value
	dtype ir.DType // F32 or I64
	shape []int
	n     int    // element count
	name  string // Go variable in Run
	root  *val   // storage owner: itself unless a view
	where storage
	index int     // input index, or weight index among weights of its dtype
	buf   *buffer // arena buffer, for roots in the arena
	// packed holds a weight's little-endian bytes rearranged at compile
	// time (see prepack.go), layout names the arrangement; nil for a
	// weight stored as the constant is.
	packed []byte
	layout string
	// local holds the elements of a folded value Run writes (inLocal).
	local []int64
	// strs holds the elements of a string constant (inStr).
	strs []string
}

// call is one op of the function as the generated Run executes it.
type call struct {
	op   *ir.Op
	fn   *kfunc
	args []*val  // data operands, then results
	view bool    // a view: no call, the result aliases operand 0
	ctl  ctlKind // control flow in Run instead of a kernel call
	msg  string  // the error of a ctlFail
	nctl int     // the number of results among the args of a control call
	loop *iterLoop
	// seqMap is the SequenceMap a ctlMapBegin or ctlMapEnd call writes
	// (emit_sequence.go).
	seqMap *seqMap
	// col is the im2col scratch the kernel needs (elements), and colBuf
	// its buffer: the planner places it in the arena, live at this call
	// only.
	col    int
	colBuf *buffer
}

// kfunc is one generated kernel function, shared by every identical op
// instance.
type kfunc struct {
	name    string
	op      string
	comment string
	params  []string
	types   []string // Go element type of each parameter
	fails   bool     // returns an error (an index out of range)
	body    string
	scratch bool // takes the session's col and pack slices
	shapes  string
	flops   int64
	bytes   int64
	uses    int
}

// graph holds what Compile knows about the function it compiles.
type graph struct {
	m        *ir.Module
	f        *ir.Func
	bind     map[string]int64
	vals     map[*ir.Value]*val
	inputs   []*val
	weights  []*val
	calls    []*call
	funcs    []*kfunc
	byBody   map[string]*kfunc
	perOp    map[string]int
	nextVar  int
	needGemm bool
	packedW  map[string]*val    // packed weights by constant and layout
	tile     kernels.Tile       // the GEMM micro-kernel's tile, for packing
	threads  int                // Options.Threads
	needPar  bool               // a kernel calls parallelFor
	needVec  bool               // a kernel calls the micro-kernel unit's vector helpers
	vecFuncs map[string]vecFunc // vector epilogue functions by name (emit_epivec.go)

	// declared holds the shapes the function declares for its inputs,
	// then its outputs, before specialization made them static.
	declared []ir.Shape
	// failed holds the If branches that cannot run under the binding,
	// with the error Run returns when one is taken.
	failed map[*ir.Region]error

	// ranges are the dims Run reads from its inputs (buildRanged), and
	// runtime maps each kernel that reads them to their names.
	ranges  []runDim
	runtime map[string][]string
	locals  []*val // folded values Run writes, in a package with ranges
	// strConsts are the string constants Run declares as literals.
	strConsts []*val

	uses       ir.UseMap
	bufs       []*buffer
	arenaLen   map[ir.DType]int // elements of each arena
	weightsSHA string
	weightOff  []int64
}

func newGraph(m *ir.Module, f *ir.Func, bind map[string]int64) (*graph, error) {
	g := &graph{m: m, f: f, bind: bind, vals: map[*ir.Value]*val{}, byBody: map[string]*kfunc{}, perOp: map[string]int{}}
	g.uses = ir.Uses(f.Body)
	var problems []string
	for i, p := range f.Body.Params {
		if p.Type.Kind != ir.TensorKind {
			// A sequence or an optional: a Go value of the package's
			// Sequence or Optional type (emit_sequence.go).
			v, err := g.boxVal(p)
			if err != nil {
				problems = append(problems, fmt.Sprintf("input %q: %v", f.InputNames[i], err))
				continue
			}
			v.where, v.index = inInput, i
			g.inputs = append(g.inputs, v)
			continue
		}
		if p.Type.Kind == ir.TensorKind && !ioTypes[p.Type.DType] {
			problems = append(problems, fmt.Sprintf("input %q: is %s, a compiled model takes number, bool and string inputs only so far", f.InputNames[i], p.Type))
			continue
		}
		v, err := g.newVal(p)
		if err != nil {
			problems = append(problems, fmt.Sprintf("input %q: %v", f.InputNames[i], err))
			continue
		}
		v.where, v.index = inInput, i
		g.inputs = append(g.inputs, v)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return g, nil
}

// newVal records v with its shape evaluated under the binding; it must be
// a tensor of an element type codegen stores (storedTypes).
func (g *graph) newVal(v *ir.Value) (*val, error) {
	t := v.Type
	if t.Kind != ir.TensorKind {
		return nil, fmt.Errorf("is a %s, codegen handles tensors only", t)
	}
	if goElem[t.DType] == "" {
		return nil, fmt.Errorf("is %s, codegen handles number, bool and string tensors only so far", t)
	}
	shape, err := g.evalShape(t.Shape)
	if err != nil {
		return nil, err
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	x := &val{v: v, dtype: t.DType, shape: shape, n: n, name: fmt.Sprintf("v%d", g.nextVar)}
	g.nextVar++
	x.root = x
	g.vals[v] = x
	return x, nil
}

// evalShape evaluates a shape under the binding.
func (g *graph) evalShape(s ir.Shape) ([]int, error) {
	if !s.Ranked {
		return nil, fmt.Errorf("has unknown rank")
	}
	out := make([]int, len(s.Dims))
	for i, d := range s.Dims {
		n, ok := d.Eval(g.bind)
		if !ok {
			return nil, fmt.Errorf("dim %d (%s) is not known once the symbols are bound", i, d)
		}
		if n < 0 || n > 1<<40 {
			return nil, fmt.Errorf("dim %d (%s) evaluates to %d", i, d, n)
		}
		out[i] = int(n)
	}
	return out, nil
}

// data returns the val of an operand the generated code reads: an earlier
// value or a constant, which becomes a weight.
func (g *graph) data(v *ir.Value) (*val, error) {
	if x, ok := g.vals[v]; ok {
		return x, nil
	}
	if !v.IsConst() && v.Def != nil && foldable(v.Def) {
		// A folded shape value read as data (a position offset added to
		// a Range): its elements become a weight, or, when they depend on
		// dims read at run time, a slice Run writes.
		if len(g.ranges) > 0 {
			ints, err := g.knownInts(v)
			if err != nil {
				return nil, err
			}
			x, err := g.newVal(v)
			if err != nil {
				return nil, err
			}
			x.where, x.local = inLocal, ints
			g.locals = append(g.locals, x)
			return x, nil
		}
		c, err := g.foldedConst(v)
		if err != nil {
			return nil, err
		}
		x, err := g.data(c)
		if err != nil {
			return nil, err
		}
		g.vals[v] = x
		return x, nil
	}
	if !v.IsConst() {
		return nil, fmt.Errorf("internal error: value %s used before it is defined", v.Name)
	}
	x, err := g.newVal(v)
	if err != nil {
		return nil, fmt.Errorf("constant @%s %v", v.Const.Name, err)
	}
	if x.dtype == ir.String {
		return g.stringConst(x), nil
	}
	x.where = inWeight
	for _, w := range g.weights {
		if w.dtype == x.dtype {
			x.index++
		}
	}
	g.weights = append(g.weights, x)
	return x, nil
}

// foldedConst returns a module constant holding the elements of v, an
// integer or bool tensor folded at compile time.
func (g *graph) foldedConst(v *ir.Value) (*ir.Value, error) {
	ints, err := g.knownInts(v)
	if err != nil {
		return nil, err
	}
	var data any
	switch v.Type.DType {
	case ir.I64:
		data = ints
	case ir.I32:
		d := make([]int32, len(ints))
		for i, x := range ints {
			d[i] = int32(x)
		}
		data = d
	case ir.Bool:
		d := make([]bool, len(ints))
		for i, x := range ints {
			d[i] = x != 0
		}
		data = d
	default:
		return nil, fmt.Errorf("value %s: folded %s values are not stored yet", v.Name, v.Type.DType)
	}
	b, err := ir.EncodeElems(data)
	if err != nil {
		return nil, err
	}
	shape, err := g.evalShape(v.Type.Shape)
	if err != nil {
		return nil, fmt.Errorf("value %s %v", v.Name, err)
	}
	sizes := make([]int64, len(shape))
	for i, d := range shape {
		sizes[i] = int64(d)
	}
	name := "folded." + v.Name
	return &ir.Value{Type: ir.TensorType(v.Type.DType, ir.ShapeOf(sizes...)), Const: &ir.Constant{Name: name, Bytes: b}}, nil
}

// emitKernels builds the call list: one kernel per op, identical ones
// shared, views resolved to their roots.
func (g *graph) emitKernels() error {
	for _, op := range g.f.Body.Ops {
		if err := g.emitOp(op); err != nil {
			return fmt.Errorf("%s %s: %w", op.Name, nodeName(op), err)
		}
	}
	for i, r := range g.f.Body.Results {
		if _, err := g.data(r); err != nil {
			return fmt.Errorf("output %q: %w", g.f.OutputNames[i], err)
		}
		if r.Type.Kind == ir.TensorKind && !ioTypes[r.Type.DType] {
			return fmt.Errorf("output %q: is %s, a compiled model gives number, bool and string outputs only so far", g.f.OutputNames[i], r.Type)
		}
	}
	return nil
}

func (g *graph) emitOp(op *ir.Op) error {
	if re := regionEmitters[op.Name]; re != nil && len(op.Regions) > 0 {
		return re(g, op)
	}
	if done, err := g.emitSeqOp(op); done {
		return err
	}
	if foldable(op) {
		for _, r := range op.Results {
			if _, err := g.knownInts(r); err != nil {
				return err
			}
		}
		return nil
	}
	if g.readsRunShape(op) {
		return g.emitRunShape(op)
	}
	if isView(op) {
		src, err := g.data(op.Args[0])
		if err != nil {
			return err
		}
		y, err := g.newVal(op.Results[0])
		if err != nil {
			return fmt.Errorf("result %v", err)
		}
		if y.n != src.n {
			return fmt.Errorf("view of %d elements as %d", src.n, y.n)
		}
		y.root = src.root
		y.where = src.storage().where
		g.calls = append(g.calls, &call{op: op, args: []*val{src, y}, view: true})
		return nil
	}
	if err := checkKernelTypes(op); err != nil {
		return err
	}
	e := emitters[op.Name]
	if x := extendedEmitters[op.Name]; x != nil {
		e = x
	}
	c := &opCtx{g: g, op: op}
	k, err := e(c)
	if err != nil {
		return err
	}
	args := make([]*val, 0, len(k.in)+len(op.Results))
	for i, v := range k.in {
		var x *val
		var err error
		if p, ok := k.packed[i]; ok {
			x, err = g.packedWeight(v, p)
		} else {
			x, err = g.data(v)
		}
		if err != nil {
			return err
		}
		args = append(args, x)
	}
	for i, r := range op.Results {
		if i >= k.nout {
			if len(g.uses[r]) > 0 {
				return fmt.Errorf("result %d is read, but codegen computes only the first %d", i, k.nout)
			}
			continue
		}
		if k.heap {
			y, err := g.heapVal(r, i)
			if err != nil {
				return err
			}
			args = append(args, y)
			continue
		}
		y, err := g.newVal(r)
		if err != nil {
			return fmt.Errorf("result %d %v", i, err)
		}
		y.where = inArena
		if y.dtype == ir.String {
			y.where = inStr
		}
		args = append(args, y)
	}
	if k.gemm {
		g.needGemm = true
	}
	if k.par {
		g.needPar = true
	}
	if k.vec {
		g.needVec = true
	}
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
	key := op.Name + "\x00" + strings.Join(k.params, ",")
	if len(g.ranges) > 0 {
		// Kernels identical at one binding may differ at another (a
		// seq of 128 beside a static 128): buildRanged shares them
		// once their bodies are written over the run-time dims.
		key = fmt.Sprint(len(g.calls)) + "\x00" + key
	}
	key = key + "\x00" + strings.Join(types, ",") + "\x00" + k.comment + "\x00" + k.body
	fn := g.byBody[key]
	if fn == nil {
		g.perOp[op.Name]++
		fn = &kfunc{
			name:    fmt.Sprintf("%s%d", funcBase(op.Name), g.perOp[op.Name]),
			op:      op.Name,
			comment: k.comment,
			params:  k.params,
			types:   types,
			fails:   k.fails,
			body:    k.body,
			scratch: k.gemm || k.colLen > 0,
			shapes:  k.shapes,
			flops:   k.flops,
		}
		for _, a := range args {
			fn.bytes += int64(a.n) * int64(a.dtype.Size())
		}
		g.byBody[key] = fn
		g.funcs = append(g.funcs, fn)
	}
	fn.uses++
	g.calls = append(g.calls, &call{op: op, fn: fn, args: args, col: k.colLen})
	return nil
}

// knownInts returns the elements of an integer tensor known at compile
// time: a constant, or a shape value evaluated under the binding.
func (g *graph) knownInts(v *ir.Value) ([]int64, error) {
	if vals, ok := ir.ConstInts(v); ok {
		return vals, nil
	}
	elems, ok := ir.ShapeValue(v)
	if !ok {
		return nil, fmt.Errorf("value %s is not known at compile time", v.Name)
	}
	out := make([]int64, len(elems))
	for i, e := range elems {
		n, ok := e.Eval(g.bind)
		if !ok {
			return nil, fmt.Errorf("value %s: element %d (%s) is not known once the symbols are bound", v.Name, i, e)
		}
		out[i] = n
	}
	return out, nil
}

// funcBase turns an op name into the start of a Go function name:
// MaxPool → maxPool, kiln.FusedConv → kilnFusedConv.
func funcBase(op string) string {
	var b strings.Builder
	up := false
	for _, r := range op {
		switch {
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if b.Len() == 0 {
				r = unicode.ToLower(r)
			} else if up {
				r = unicode.ToUpper(r)
			}
			up = false
			b.WriteRune(r)
		default:
			up = true
		}
	}
	if b.Len() == 0 || !unicode.IsLetter(rune(b.String()[0])) {
		return "op" + b.String()
	}
	return b.String()
}

// goElem is the Go element type codegen stores each element type in; an
// element type not listed is not supported yet.
var goElem = map[ir.DType]string{ir.F32: "float32", ir.I64: "int64", ir.Bool: "bool", ir.I32: "int32", ir.F64: "float64"}

// tensorField is the field of the generated Tensor holding each element
// type's data, and the suffix of the names of its weights and arena.
var tensorField = map[ir.DType]string{ir.F32: "F32", ir.I64: "I64", ir.Bool: "Bool", ir.I32: "I32", ir.F64: "F64"}

// ioTypes are the element types a generated package's inputs and outputs
// may have: the fields of its Tensor.
var ioTypes = map[ir.DType]bool{ir.F32: true, ir.I64: true, ir.F64: true, ir.I32: true, ir.Bool: true}

// arenaVar is the name Run gives each element type's arena.
var arenaVar = map[ir.DType]string{ir.F32: "a", ir.I64: "ai", ir.Bool: "ab", ir.I32: "ai32", ir.F64: "af64"}

// weightsVar is the name Run gives each element type's weights.
var weightsVar = map[ir.DType]string{ir.F32: "w", ir.I64: "wi", ir.Bool: "wb", ir.I32: "wi32", ir.F64: "wf64"}

// weightDecode is the Go expression decoding element j of each element
// type from the little-endian bytes src.
var weightDecode = map[ir.DType]string{
	ir.F32:  "math.Float32frombits(binary.LittleEndian.Uint32(src[4*j:]))",
	ir.I64:  "int64(binary.LittleEndian.Uint64(src[8*j:]))",
	ir.Bool: "src[j] != 0",
	ir.I32:  "int32(binary.LittleEndian.Uint32(src[4*j:]))",
	ir.F64:  "math.Float64frombits(binary.LittleEndian.Uint64(src[8*j:]))",
}

// storedTypes lists the element types codegen stores, in a fixed order.
var storedTypes = []ir.DType{ir.F32, ir.I64, ir.Bool, ir.I32, ir.F64}
