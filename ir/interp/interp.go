package interp

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/kiln-ml/kiln/ir"
)

// Interp runs the functions of one module. Constants are decoded once and
// shared by every run. An Interp is safe for concurrent Runs except for the
// random source of random ops.
type Interp struct {
	m   *ir.Module
	rng *rand.Rand

	mu     sync.Mutex
	consts map[*ir.Value]*Tensor
}

// Options configures an interpreter.
type Options struct {
	Seed int64 // seed of the random source used by random ops
}

// New returns an interpreter for m. m should have passed ir.Verify.
func New(m *ir.Module, opts Options) *Interp {
	return &Interp{m: m, rng: rand.New(rand.NewSource(opts.Seed)), consts: map[*ir.Value]*Tensor{}}
}

// Run evaluates function fn (the first one when fn is "") on inputs given
// positionally and returns its outputs in order. Inputs are checked against
// the function's declared types first.
func (in *Interp) Run(fn string, inputs []Value) ([]Value, error) {
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
	return in.region(f.Body, inputs, nil)
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
	args := make([]Value, len(f.InputNames))
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
		if !dataMatches(t) {
			return fmt.Errorf("tensor of dtype %v holds %T", t.DType, t.Data)
		}
		if NumElements(t.Shape) != lenData(t.Data) {
			return fmt.Errorf("shape %v does not match its %d elements", t.Type().Shape, lenData(t.Data))
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

// dataMatches reports whether t.Data is the slice type of t.DType, so
// kernels can rely on it.
func dataMatches(t *Tensor) bool {
	if t.Data == nil || lenData(t.Data) < 0 || !t.DType.Valid() {
		return false
	}
	return dtypeOf(t.Data) == t.DType
}

func lenData(data any) int {
	switch d := data.(type) {
	case []float32:
		return len(d)
	case []float64:
		return len(d)
	case []ir.Float16:
		return len(d)
	case []ir.BFloat16:
		return len(d)
	case []int8:
		return len(d)
	case []int16:
		return len(d)
	case []int32:
		return len(d)
	case []int64:
		return len(d)
	case []uint8:
		return len(d)
	case []uint16:
		return len(d)
	case []uint32:
		return len(d)
	case []uint64:
		return len(d)
	case []bool:
		return len(d)
	case []string:
		return len(d)
	case []complex64:
		return len(d)
	case []complex128:
		return len(d)
	}
	return -1
}

// env maps SSA values to run-time values for one region activation; lookups
// fall back to the enclosing activation, as regions see outer values.
type env struct {
	vals   map[*ir.Value]Value
	parent *env
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
	e := &env{vals: make(map[*ir.Value]Value, len(r.Ops)+len(params)), parent: parent}
	for i, p := range r.Params {
		e.vals[p] = params[i]
	}
	for _, op := range r.Ops {
		if err := in.op(op, e); err != nil {
			return nil, err
		}
	}
	out := make([]Value, len(r.Results))
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
	if e.Op.Loc != "" {
		return fmt.Sprintf("node %q (%s): %v", string(e.Op.Loc), e.Op.Name, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Op.Name, e.Err)
}

func (e *OpError) Unwrap() error { return e.Err }

func (in *Interp) op(op *ir.Op, e *env) (err error) {
	k := kernels[op.Name]
	if k == nil {
		return &OpError{op, fmt.Errorf("no interpreter kernel for op %s", op.Name)}
	}
	args := make([]Value, len(op.Args))
	for i, a := range op.Args {
		if a == nil {
			continue
		}
		if args[i], err = in.value(a, e); err != nil {
			return &OpError{op, fmt.Errorf("operand %d: %w", i, err)}
		}
	}
	defer func() {
		// A kernel that panics has met an input its checks missed; report
		// it as an error of this op rather than killing the caller.
		if r := recover(); r != nil {
			err = &OpError{op, fmt.Errorf("internal error (kernel panicked): %v\n%s", r, debug.Stack())}
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
		e.vals[r] = res[i]
	}
	return nil
}

// constant decodes a module constant once and caches it.
func (in *Interp) constant(v *ir.Value) (*Tensor, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if t, ok := in.consts[v]; ok {
		return t, nil
	}
	t, err := DecodeConst(v)
	if err != nil {
		return nil, err
	}
	in.consts[v] = t
	return t, nil
}

// DecodeConst converts a module constant to a tensor (copying its bytes).
func DecodeConst(v *ir.Value) (*Tensor, error) {
	sizes, ok := v.Type.Shape.Sizes()
	if !ok || !v.Type.IsTensor() {
		return nil, fmt.Errorf("constant @%s has non-static type %v", v.Const.Name, v.Type)
	}
	shape := make([]int, len(sizes))
	for i, s := range sizes {
		shape[i] = int(s)
	}
	d := v.Type.DType
	if d == ir.String {
		if len(v.Const.Strings) != NumElements(shape) {
			return nil, fmt.Errorf("constant @%s: %d strings for shape %v", v.Const.Name, len(v.Const.Strings), shape)
		}
		return FromSlice(shape, append([]string{}, v.Const.Strings...)), nil
	}
	return DecodeBytes(d, shape, v.Const.Bytes)
}

// DecodeBytes converts little-endian raw bytes to a tensor of dtype d.
func DecodeBytes(d ir.DType, shape []int, b []byte) (*Tensor, error) {
	n := NumElements(shape)
	if d == ir.String || len(b) != n*d.Size() {
		return nil, fmt.Errorf("%d bytes for %v%v", len(b), d, shape)
	}
	t := NewTensor(d, shape)
	le := binary.LittleEndian
	switch x := t.Data.(type) {
	case []float32:
		for i := range x {
			x[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
	case []float64:
		for i := range x {
			x[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
	case []ir.Float16:
		for i := range x {
			x[i] = ir.Float16(le.Uint16(b[2*i:]))
		}
	case []ir.BFloat16:
		for i := range x {
			x[i] = ir.BFloat16(le.Uint16(b[2*i:]))
		}
	case []int8:
		for i := range x {
			x[i] = int8(b[i])
		}
	case []int16:
		for i := range x {
			x[i] = int16(le.Uint16(b[2*i:]))
		}
	case []int32:
		for i := range x {
			x[i] = int32(le.Uint32(b[4*i:]))
		}
	case []int64:
		for i := range x {
			x[i] = int64(le.Uint64(b[8*i:]))
		}
	case []uint8:
		copy(x, b)
	case []uint16:
		for i := range x {
			x[i] = le.Uint16(b[2*i:])
		}
	case []uint32:
		for i := range x {
			x[i] = le.Uint32(b[4*i:])
		}
	case []uint64:
		for i := range x {
			x[i] = le.Uint64(b[8*i:])
		}
	case []bool:
		for i := range x {
			x[i] = b[i] != 0
		}
	case []complex64:
		for i := range x {
			x[i] = complex(math.Float32frombits(le.Uint32(b[8*i:])), math.Float32frombits(le.Uint32(b[8*i+4:])))
		}
	case []complex128:
		for i := range x {
			x[i] = complex(math.Float64frombits(le.Uint64(b[16*i:])), math.Float64frombits(le.Uint64(b[16*i+8:])))
		}
	}
	return t, nil
}

// EncodeBytes returns the little-endian raw bytes of a non-string tensor.
func EncodeBytes(t *Tensor) ([]byte, error) {
	if t.DType == ir.String {
		return nil, fmt.Errorf("string tensors have no raw byte form")
	}
	n := t.Len()
	b := make([]byte, n*t.DType.Size())
	le := binary.LittleEndian
	switch x := t.Data.(type) {
	case []float32:
		for i, v := range x {
			le.PutUint32(b[4*i:], math.Float32bits(v))
		}
	case []float64:
		for i, v := range x {
			le.PutUint64(b[8*i:], math.Float64bits(v))
		}
	case []ir.Float16:
		for i, v := range x {
			le.PutUint16(b[2*i:], uint16(v))
		}
	case []ir.BFloat16:
		for i, v := range x {
			le.PutUint16(b[2*i:], uint16(v))
		}
	case []int8:
		for i, v := range x {
			b[i] = byte(v)
		}
	case []int16:
		for i, v := range x {
			le.PutUint16(b[2*i:], uint16(v))
		}
	case []int32:
		for i, v := range x {
			le.PutUint32(b[4*i:], uint32(v))
		}
	case []int64:
		for i, v := range x {
			le.PutUint64(b[8*i:], uint64(v))
		}
	case []uint8:
		copy(b, x)
	case []uint16:
		for i, v := range x {
			le.PutUint16(b[2*i:], v)
		}
	case []uint32:
		for i, v := range x {
			le.PutUint32(b[4*i:], v)
		}
	case []uint64:
		for i, v := range x {
			le.PutUint64(b[8*i:], v)
		}
	case []bool:
		for i, v := range x {
			if v {
				b[i] = 1
			}
		}
	case []complex64:
		for i, v := range x {
			le.PutUint32(b[8*i:], math.Float32bits(real(v)))
			le.PutUint32(b[8*i+4:], math.Float32bits(imag(v)))
		}
	case []complex128:
		for i, v := range x {
			le.PutUint64(b[16*i:], math.Float64bits(real(v)))
			le.PutUint64(b[16*i+8:], math.Float64bits(imag(v)))
		}
	default:
		return nil, fmt.Errorf("cannot encode %T", t.Data)
	}
	return b, nil
}
