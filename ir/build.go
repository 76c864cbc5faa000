package ir

import (
	"errors"
	"fmt"
)

// Build appends an op to r, infers its result types from the op table and
// returns it. nresults is the number of results the caller wants (ops with
// optional trailing results, such as Dropout's mask, may have fewer than
// their declaration). Ops with regions should be created with NewOp, given
// their regions, and then passed to InferTypes.
func (r *Region) Build(name string, args []*Value, attrs []Attr, nresults int) (*Op, error) {
	types := make([]Type, nresults)
	op := r.NewOp(name, args, attrs, types)
	if err := InferTypes(op); err != nil {
		r.Ops = r.Ops[:len(r.Ops)-1]
		return nil, err
	}
	return op, nil
}

// InferTypes checks op against its contracts (ContractProblems), runs its
// InferFunc and stores the results' types, refining
// whatever the results already claim (e.g. shapes declared in the source
// model) where inference knows more, and keeping the claim where it knows
// more than inference. A contradiction is an error.
func InferTypes(op *Op) error {
	d := Lookup(op.Name)
	if d == nil {
		return fmt.Errorf("unknown op %q%s", op.Name, opHint(op.Name))
	}
	if err := checkOperandCounts(d, op); err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	if ps := ContractProblems(op); len(ps) > 0 {
		return fmt.Errorf("%s: %s", op.Name, ps[0])
	}
	types, err := inferRecovered(d, op)
	if err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
	}
	if len(types) < len(op.Results) {
		return fmt.Errorf("%s: inference gave %d result types for %d results", op.Name, len(types), len(op.Results))
	}
	for i, res := range op.Results {
		t, err := MergeTypes(types[i], res.Type)
		if err != nil {
			return fmt.Errorf("%s: result %d: %w", op.Name, i, err)
		}
		if err := checkElemCounts([]Type{t}); err != nil {
			return fmt.Errorf("%s: result %d: %w", op.Name, i, err)
		}
		res.Type = t
	}
	return nil
}

// InternalError is a panic of kiln's own code (an input its checks missed)
// recovered and reported as an error. Its message says "internal error"
// and what panicked, never a Go stack trace.
type InternalError struct {
	Op    string // the op being processed
	Value any    // the panic value
}

func (e *InternalError) Error() string {
	return fmt.Sprintf("internal error (%s inference panicked): %v", e.Op, e.Value)
}

// checkElemCounts refuses static tensor types whose element count
// overflows int64: every dim fits, but no tensor of them can exist, and
// size arithmetic downstream would wrap.
func checkElemCounts(types []Type) error {
	for _, t := range types {
		if !t.IsTensor() {
			continue
		}
		if sizes, ok := t.Shape.Sizes(); ok {
			if _, err := ElemCount(sizes); err != nil {
				return err
			}
		}
	}
	return nil
}

// inferRecovered runs d's InferFunc, turning a panic into an
// *InternalError so a hostile model cannot crash the caller.
func inferRecovered(d *OpDef, op *Op) (types []Type, err error) {
	defer func() {
		if r := recover(); r != nil {
			types, err = nil, &InternalError{Op: op.Name, Value: r}
		}
	}()
	return d.Infer(op)
}

// MergeTypes combines two descriptions of one value's type, keeping the more
// specific knowledge of each. An invalid (zero) type merges with anything.
func MergeTypes(a, b Type) (Type, error) {
	switch {
	case a.Kind == InvalidKind:
		return b, nil
	case b.Kind == InvalidKind:
		return a, nil
	case a.Kind != b.Kind:
		return Type{}, fmt.Errorf("type %v conflicts with %v", a, b)
	}
	switch a.Kind {
	case TensorKind:
		d := a.DType
		if d == InvalidDType {
			d = b.DType
		} else if b.DType != InvalidDType && b.DType != d {
			return Type{}, fmt.Errorf("type %v conflicts with %v", a, b)
		}
		s, err := mergeShapes(a.Shape, b.Shape)
		if err != nil {
			return Type{}, fmt.Errorf("type %v conflicts with %v: %w", a, b, err)
		}
		return TensorType(d, s), nil
	default:
		if a.Elem == nil {
			return b, nil
		}
		if b.Elem == nil {
			return a, nil
		}
		e, err := MergeTypes(*a.Elem, *b.Elem)
		if err != nil {
			return Type{}, err
		}
		return Type{Kind: a.Kind, Elem: &e}, nil
	}
}

func mergeShapes(a, b Shape) (Shape, error) {
	if !a.Ranked {
		return b, nil
	}
	if !b.Ranked {
		return a, nil
	}
	if len(a.Dims) != len(b.Dims) {
		return Shape{}, fmt.Errorf("rank %d vs %d", len(a.Dims), len(b.Dims))
	}
	out := Shape{Ranked: true, Dims: make([]Dim, len(a.Dims))}
	for i, da := range a.Dims {
		d, err := mergeDims(da, b.Dims[i])
		if err != nil {
			return Shape{}, fmt.Errorf("dim %d: %w", i, err)
		}
		out.Dims[i] = d
	}
	return out, nil
}

// checkOperandCounts checks op's operands and results against d's arity,
// and that every required operand is present, so that inference functions
// may index the operands their declaration promises without checking.
func checkOperandCounts(d *OpDef, op *Op) error {
	lo, hi := Arity(d.Inputs)
	if len(op.Args) < lo || (hi >= 0 && len(op.Args) > hi) {
		return fmt.Errorf("%d operands, want %s", len(op.Args), arityString(lo, hi))
	}
	for i, a := range op.Args {
		if a == nil && !d.mayBeAbsent(i) {
			return errors.New(d.absentOperand(i))
		}
	}
	rmin, rmax := Arity(d.Outputs)
	if rmax >= 0 && len(op.Results) > rmax {
		return fmt.Errorf("%d results, want %s", len(op.Results), arityString(rmin, rmax))
	}
	return nil
}

// mergeDims combines two descriptions of one dim. Knowledge ranks
// constant > expression > single symbol > unknown: a constant or an
// expression that a computation derived says more than a symbol, which only
// names a size (an ONNX output declared [total_seq] merges with the
// inferred past_seq+seq into past_seq+seq). Of two single symbols, or two
// different expressions, a is kept. Two known dims whose difference is
// provably nonzero (3 and 4, n and n+1, 0 and n+1) contradict each other:
// an error.
func mergeDims(a, b Dim) (Dim, error) {
	switch {
	case a.IsUnknown():
		return b, nil
	case b.IsUnknown() || a.Equal(b):
		return a, nil
	}
	diff := a.Sub(b)
	if lo, ok := diff.LowerBound(nil); ok && lo > 0 {
		return Dim{}, fmt.Errorf("%v vs %v", a, b)
	}
	if hi, ok := diff.UpperBound(nil); ok && hi < 0 {
		return Dim{}, fmt.Errorf("%v vs %v", a, b)
	}
	rank := func(d Dim) int {
		switch {
		case d.IsStatic():
			return 2
		case d.IsSymbolic():
			return 0
		}
		return 1
	}
	if rank(b) > rank(a) {
		return b, nil
	}
	return a, nil
}

// operandDecl returns the declaration of operand position i: its own, or
// the trailing variadic one for positions past the list. i must be within
// the op's arity.
func (d *OpDef) operandDecl(i int) Operand {
	if i < len(d.Inputs) {
		return d.Inputs[i]
	}
	return d.Inputs[len(d.Inputs)-1]
}

// absentOperand describes operand position i being absent where it may
// not be, for Build and Verify alike.
func (d *OpDef) absentOperand(i int) string {
	if decl := d.operandDecl(i); decl.Variadic {
		// A variadic operand may have no items, but an item is a value.
		return fmt.Sprintf("operand %d (an item of variadic %s) is absent", i, decl.Name)
	}
	return fmt.Sprintf("required operand %d (%s) is absent", i, d.operandDecl(i).Name)
}

// mayBeAbsent reports whether operand position i may be nil: only an
// optional position may. Values of a variadic position that is not
// optional (Concat's inputs, SequenceConstruct's) must all be present.
func (d *OpDef) mayBeAbsent(i int) bool {
	return len(d.Inputs) > 0 && d.operandDecl(i).Optional
}
