package interp

import (
	"context"
	"fmt"
	"math/rand"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// Interp runs the functions of one module. Constants are decoded once and
// shared by every run. An Interp is safe for concurrent Runs except for the
// random source of random ops.
type Interp struct {
	m   *ir.Module
	rng *rand.Rand

	mu     sync.Mutex
	consts map[*ir.Value]*Tensor
	onOp   func(*ir.Op)
	live   sync.Map // *ir.Region → deadAfter (liveness.go)
	maxMem int64
}

// Options configures an interpreter.
type Options struct {
	Seed int64 // seed of the random source used by random ops
	// OnOp, when set, is called before each op runs, nested ones (Loop,
	// If and Scan bodies) included, so a caller can tell which op a long
	// run is in. Concurrent Runs call it concurrently.
	OnOp func(op *ir.Op)
	// MaxMemory, when positive, is the most bytes one tensor may take: an
	// op whose result type is statically larger is refused before its
	// kernel runs, and a result the kernel made larger is refused after.
	// Allocation itself is bounded by the process-wide budget of package
	// tensor (tensor.SetMaxBytes, by default half the physical memory);
	// an allocation over it is an *OpError wrapping a *tensor.SizeError.
	MaxMemory int64
}

// New returns an interpreter for m. m should have passed ir.Verify, and
// must not change while the interpreter is used: what each region reads
// last is computed on its first run and kept.
func New(m *ir.Module, opts Options) *Interp {
	return &Interp{m: m, rng: rand.New(rand.NewSource(opts.Seed)), consts: map[*ir.Value]*Tensor{}, onOp: opts.OnOp, maxMem: opts.MaxMemory}
}

// Run evaluates function fn (the first one when fn is "") on inputs given
// positionally and returns its outputs in order. Inputs are checked against
// the function's declared types first.
func (in *Interp) Run(fn string, inputs []Value) ([]Value, error) {
	return in.RunContext(context.Background(), fn, inputs)
}

// RunContext is Run that stops when ctx is done: ctx is checked before
// every op, inside Loop, If and Scan bodies too, and the error (an
// *OpError naming the op that was next, wrapping ctx.Err()) is returned.
// A single kernel already running is not interrupted.
func (in *Interp) RunContext(ctx context.Context, fn string, inputs []Value) ([]Value, error) {
	f := in.m.Func(fn)
	if fn == "" && len(in.m.Funcs) > 0 {
		f = in.m.Funcs[0]
	}
	if f == nil {
		return nil, fmt.Errorf("no function %q in module", fn)
	}
	if err := CheckInputs(f, inputs); err != nil {
		return nil, err
	}
	return in.region(f.Body, inputs, &env{ctx: ctx})
}

// RunNamed is Run with inputs bound by name. Every input must be given.
func (in *Interp) RunNamed(fn string, inputs map[string]Value) ([]Value, error) {
	f := in.m.Func(fn)
	if fn == "" && len(in.m.Funcs) > 0 {
		f = in.m.Funcs[0]
	}
	if f == nil {
		return nil, fmt.Errorf("no function %q in module", fn)
	}
	args := scratch[Value](len(f.InputNames))
	var missing []string
	for i, n := range f.InputNames {
		v, ok := inputs[n]
		if !ok {
			missing = append(missing, fmt.Sprintf("%q", n))
			continue
		}
		args[i] = v
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing inputs %v", missing)
	}
	for n := range inputs {
		if !slices.Contains(f.InputNames, n) {
			return nil, fmt.Errorf("unknown input %q (inputs are %q)", n, f.InputNames)
		}
	}
	return in.Run(f.Name, args)
}

// CheckInputs checks inputs against f's declared input types: kinds,
// dtypes, ranks and static dims, that a symbolic dim has one size across
// all inputs, and that a dim expression matches once its symbols are bound
// by earlier dims.
func CheckInputs(f *ir.Func, inputs []Value) error {
	if len(inputs) != len(f.Body.Params) {
		return fmt.Errorf("function @%s takes %d inputs, got %d", f.Name, len(f.Body.Params), len(inputs))
	}
	syms := map[string]int{}
	symFrom := map[string]string{}
	for i, p := range f.Body.Params {
		name := f.InputNames[i]
		v := inputs[i]
		if v == nil || isNilValue(v) {
			return fmt.Errorf("input %q: missing", name)
		}
		if err := checkValue(v, p.Type, syms, symFrom, name); err != nil {
			return fmt.Errorf("input %q: %w", name, err)
		}
	}
	return nil
}

func checkValue(v Value, want ir.Type, syms map[string]int, symFrom map[string]string, name string) error {
	got := v.Type()
	if got.Kind != want.Kind {
		return fmt.Errorf("got %v, want %v", got, want)
	}
	switch t := v.(type) {
	case *Tensor:
		if t.DType != want.DType {
			return fmt.Errorf("got dtype %v, want %v", t.DType, want.DType)
		}
		if err := t.Check(); err != nil {
			return err
		}
		if !want.Shape.Ranked {
			return nil
		}
		if len(t.Shape) != len(want.Shape.Dims) {
			return fmt.Errorf("got shape %v (rank %d), want %v (rank %d)", t.Type().Shape, len(t.Shape), want.Shape, len(want.Shape.Dims))
		}
		for i, d := range want.Shape.Dims {
			switch {
			case d.IsStatic() && int64(t.Shape[i]) != d.Size:
				return fmt.Errorf("got shape %v, want %v (dim %d)", t.Type().Shape, want.Shape, i)
			case d.IsSymbolic():
				sym, _ := d.Symbol()
				if n, ok := syms[sym]; ok && n != t.Shape[i] {
					return fmt.Errorf("dim %d (%s) is %d, but %s gave %s = %d", i, sym, t.Shape[i], symFrom[sym], sym, n)
				}
				syms[sym] = t.Shape[i]
				symFrom[sym] = fmt.Sprintf("input %q", name)
			case d.IsExpr():
				// An expression is checked once the symbols it uses are bound.
				bind := make(map[string]int64, len(syms))
				for k, n := range syms {
					bind[k] = int64(n)
				}
				if n, ok := d.Eval(bind); ok && n != int64(t.Shape[i]) {
					return fmt.Errorf("dim %d (%v) is %d, but the inputs bound so far make it %d", i, d, t.Shape[i], n)
				}
			}
		}
	case *Sequence:
		if want.Elem != nil {
			for _, it := range t.Items {
				if err := checkValue(it, *want.Elem, map[string]int{}, map[string]string{}, name); err != nil {
					return fmt.Errorf("sequence element: %w", err)
				}
			}
		}
	case *Optional:
		if want.Elem != nil && t.Value != nil {
			return checkValue(t.Value, *want.Elem, syms, symFrom, name)
		}
	}
	return nil
}

// isNilValue reports whether v is a typed nil (a nil *Tensor, *Sequence
// or *Optional in a Value), which callers mean as "no value".
func isNilValue(v Value) bool {
	switch x := v.(type) {
	case *Tensor:
		return x == nil
	case *Sequence:
		return x == nil
	case *Optional:
		return x == nil
	}
	return false
}

// env maps SSA values to run-time values for one region activation; lookups
// fall back to the enclosing activation, as regions see outer values.
type env struct {
	vals   map[*ir.Value]Value
	parent *env
	ctx    context.Context // the run's context, shared by nested envs
}

func (e *env) lookup(v *ir.Value) (Value, bool) {
	for ; e != nil; e = e.parent {
		if x, ok := e.vals[v]; ok {
			return x, true
		}
	}
	return nil, false
}

func (in *Interp) region(r *ir.Region, params []Value, parent *env) ([]Value, error) {
	if len(params) != len(r.Params) {
		return nil, fmt.Errorf("region %q takes %d params, got %d", r.Name, len(r.Params), len(params))
	}
	e := &env{vals: make(map[*ir.Value]Value, len(r.Ops)+len(params)), parent: parent, ctx: context.Background()}
	if parent != nil && parent.ctx != nil {
		e.ctx = parent.ctx
	}
	for i, p := range r.Params {
		e.vals[p] = params[i]
	}
	dead := in.liveness(r)
	for i, op := range r.Ops {
		if err := e.ctx.Err(); err != nil {
			return nil, &OpError{op, err}
		}
		if in.onOp != nil {
			in.onOp(op)
		}
		if err := in.op(op, e); err != nil {
			return nil, err
		}
		// Drop what no later op reads, so the garbage collector can take it.
		for _, v := range dead[i] {
			delete(e.vals, v)
		}
	}
	out := scratch[Value](len(r.Results))
	for i, v := range r.Results {
		x, err := in.value(v, e)
		if err != nil {
			return nil, fmt.Errorf("region %q result %d: %w", r.Name, i, err)
		}
		out[i] = x
	}
	return out, nil
}

func (in *Interp) value(v *ir.Value, e *env) (Value, error) {
	if v.Const != nil {
		return in.constant(v)
	}
	if x, ok := e.lookup(v); ok {
		return x, nil
	}
	return nil, fmt.Errorf("value used before it is defined")
}

// OpError is an error raised while executing an op; it names the op and its
// source location.
type OpError struct {
	Op  *ir.Op
	Err error
}

func (e *OpError) Error() string {
	if len(e.Op.Loc) > 0 {
		return fmt.Sprintf("node %v (%s): %v", e.Op.Loc, e.Op.Name, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Op.Name, e.Err)
}

func (e *OpError) Unwrap() error { return e.Err }

// PanicError is a kernel's panic recovered by the interpreter: a bug in
// kiln (an input its checks missed), not in the user's model or inputs.
// Its message holds no stack trace; Stack keeps it for debugging.
type PanicError struct {
	Value any    // what the kernel panicked with
	Stack []byte // the goroutine's stack at the panic
}

// Error says that a kernel panicked and with what, without the stack.
func (e *PanicError) Error() string {
	return fmt.Sprintf("internal error (kernel panicked): %v", e.Value)
}

func (in *Interp) op(op *ir.Op, e *env) (err error) {
	k := kernels[op.Name]
	if k == nil {
		return &OpError{op, fmt.Errorf("no interpreter kernel for op %s", op.Name)}
	}
	args := scratch[Value](len(op.Args))
	for i, a := range op.Args {
		if a == nil {
			continue
		}
		if args[i], err = in.value(a, e); err != nil {
			return &OpError{op, fmt.Errorf("operand %d: %w", i, err)}
		}
	}
	if err := in.checkResultSizes(op); err != nil {
		return &OpError{op, err}
	}
	defer func() {
		// A kernel that panics has met an input its checks missed; report
		// it as an error of this op rather than killing the caller. An
		// allocation over the memory budget panics with a *SizeError by
		// design (allocators have no error result): that is the op's
		// error, not an internal one.
		if r := recover(); r != nil {
			if se, ok := r.(*tensor.SizeError); ok {
				err = &OpError{op, se}
				return
			}
			err = &OpError{op, &PanicError{Value: r, Stack: debug.Stack()}}
		}
	}()
	res, err := k(&Ctx{in: in, env: e}, op, args)
	if err != nil {
		if _, ok := err.(*OpError); ok {
			return err
		}
		return &OpError{op, err}
	}
	if len(res) < len(op.Results) {
		return &OpError{op, fmt.Errorf("kernel returned %d results, op has %d", len(res), len(op.Results))}
	}
	for i, r := range op.Results {
		if t, ok := res[i].(*Tensor); ok && in.maxMem > 0 {
			if err := in.fits(t.DType, t.Shape); err != nil {
				return &OpError{op, fmt.Errorf("result %d: %w", i, err)}
			}
		}
		e.vals[r] = res[i]
	}
	return nil
}

// checkResultSizes refuses an op whose result types, where inference knows
// them statically, exceed the memory budget: the kernel would be refused
// its allocation anyway, and some would first spend long loops.
func (in *Interp) checkResultSizes(op *ir.Op) error {
	for i, r := range op.Results {
		if !r.Type.IsTensor() || !r.Type.Shape.IsStatic() || !r.Type.DType.Valid() {
			continue
		}
		sizes, _ := r.Type.Shape.Sizes()
		n, err := ir.ElemCount(sizes)
		if err != nil {
			n = -1
		}
		if err := tensor.CheckSize(r.Type.DType, sizes, n); err != nil {
			return fmt.Errorf("result %d: %w", i, err)
		}
		if in.maxMem > 0 && n >= 0 {
			if b, err := ir.MemBytes(r.Type.DType, n); err == nil && b > in.maxMem {
				return fmt.Errorf("result %d: %w", i, &tensor.SizeError{DType: r.Type.DType, Shape: sizes, Count: n, Bytes: b, Limit: in.maxMem})
			}
		}
	}
	return nil
}

// fits checks a run-time tensor against Options.MaxMemory.
func (in *Interp) fits(d ir.DType, shape []int) error {
	n, err := ir.ElemCountInts(shape)
	if err != nil {
		return err
	}
	b, err := ir.MemBytes(d, n)
	if err != nil || b <= in.maxMem {
		return nil
	}
	s := scratch[int64](len(shape))
	for i, x := range shape {
		s[i] = int64(x)
	}
	return &tensor.SizeError{DType: d, Shape: s, Count: n, Bytes: b, Limit: in.maxMem}
}

// constant decodes a module constant once and caches it.
func (in *Interp) constant(v *ir.Value) (*Tensor, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if t, ok := in.consts[v]; ok {
		return t, nil
	}
	t, err := tensor.FromConst(v)
	if err != nil {
		return nil, err
	}
	in.consts[v] = t
	return t, nil
}
