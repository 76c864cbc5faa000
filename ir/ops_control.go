package ir

import "fmt"

// Control flow: If, Loop, Scan and SequenceMap own regions. Their bodies see
// every value visible at the op (ONNX subgraphs read outer values by name).
func init() {
	Register(&OpDef{
		Name:    "If",
		Doc:     "runs then_branch when cond is true, else_branch otherwise, and returns that branch's results",
		Kind:    Opaque,
		Inputs:  In("cond:B"),
		Outputs: []Operand{VarMixed("outputs:V")},
		Types:   []TypeConstraint{TC("B", BoolType), TCOf("V", AnyKind, AllTypes)},
		Regions: []string{"then_branch", "else_branch"},
		// Branches take no params; their results are checked by inferIf.
		RegionSig: func(op *Op, i int) (RegionSignature, error) { return RegionSignature{}, nil },
		Infer:     inferIf,
	})
	Register(&OpDef{
		Name: "Loop",
		Doc:  "runs body while the trip count M and the condition allow; carries values and stacks scan outputs along a new axis 0",
		Kind: Opaque,
		Inputs: []Operand{Opt("M:I"), Opt("cond:B"),
			VarOptMixed("v_initial:V")},
		Outputs:   []Operand{VarOptMixed("v_final_and_scan_outputs:V")},
		Types:     []TypeConstraint{TC("I", I64Type), TC("B", BoolType), TCOf("V", AnyKind, AllTypes)},
		Regions:   []string{"body"},
		RegionSig: loopSignature,
		Infer:     inferLoop,
	})
	Register(&OpDef{
		Name:    "Scan",
		Doc:     "runs body once per slice of the scan inputs, carrying state values and stacking scan outputs",
		Kind:    Opaque,
		Inputs:  []Operand{VarMixed("initial_state_and_scan_inputs:V")},
		Outputs: []Operand{VarMixed("final_state_and_scan_outputs:V")},
		Types:   []TypeConstraint{TC("V", AllTypes)},
		Attrs: []AttrDef{
			ARequired("num_scan_inputs", AttrInt).AtLeast(1),
			// Directions are 0 (forward) or 1 (reverse).
			AInts("scan_input_axes"), AInts("scan_input_directions").Range(0, 1),
			AInts("scan_output_axes"), AInts("scan_output_directions").Range(0, 1),
		},
		Regions:   []string{"body"},
		RegionSig: scanSignature,
		Infer:     inferScan,
	})
	Register(&OpDef{
		Name:    "SequenceMap",
		Doc:     "applies body to each element of the input sequence (and of additional sequence inputs) and collects sequences of its results",
		Kind:    Opaque,
		Inputs:  []Operand{Req("input_sequence:S"), VarOptMixed("additional_inputs:V")},
		Outputs: []Operand{VarMixed("out_sequence:S")},
		Types: []TypeConstraint{TCOf("S", SequenceOnly, AllTypes),
			TCOf("V", TensorOnly|SequenceOnly, AllTypes)},
		Regions:   []string{"body"},
		RegionSig: sequenceMapSignature,
		Infer:     inferSequenceMap,
	})
}

// loopSignature: Loop's body takes the iteration number (i64 scalar), the
// condition (bool scalar) and the carried values, and returns the next
// condition and carried values, then any scan outputs. Carried values keep
// their kind, element type and rank; their dims may change per iteration.
func loopSignature(op *Op, _ int) (RegionSignature, error) {
	scalar := func(d DType) Type { return TensorType(d, ShapeOf()) }
	sig := RegionSignature{
		Params:  []Type{scalar(I64), scalar(Bool)},
		Results: []Type{scalar(Bool)},
	}
	for i := 2; i < len(op.Args); i++ {
		var t Type
		if a := op.Args[i]; a != nil {
			t = LooseType(a.Type)
		}
		sig.Params = append(sig.Params, t)
		if t.Kind == OptionalKind {
			// The body may return an optional's content for the next
			// iteration (ONNX's test_loop16_seq_none does).
			t = Type{}
		}
		sig.Results = append(sig.Results, t)
	}
	return sig, nil
}

// scanSignature: Scan's body takes the state values, then one slice of each
// scan input (the input without its scan axis), and returns the next state
// values, then the scan outputs' slices.
func scanSignature(op *Op, _ int) (RegionSignature, error) {
	m := int(op.Int("num_scan_inputs"))
	n := len(op.Args) - m
	if m < 1 || n < 0 {
		return RegionSignature{}, fmt.Errorf("num_scan_inputs %d does not fit %d operands", m, len(op.Args))
	}
	axes := op.Ints("scan_input_axes")
	var sig RegionSignature
	for i, a := range op.Args {
		var t Type
		if a != nil {
			t = a.Type
		}
		if i < n {
			sig.Params = append(sig.Params, t)
			sig.Results = append(sig.Results, LooseType(t))
			continue
		}
		if t.IsTensor() && t.Shape.Ranked {
			ax := int64(0)
			if i-n < len(axes) {
				ax = axes[i-n]
			}
			if k, err := NormAxis(ax, len(t.Shape.Dims)); err == nil {
				dims := append([]Dim(nil), t.Shape.Dims[:k]...)
				t = TensorType(t.DType, Shape{Ranked: true, Dims: append(dims, t.Shape.Dims[k+1:]...)})
			} else {
				t = TensorType(t.DType, UnrankedShape())
			}
		}
		sig.Params = append(sig.Params, t)
	}
	return sig, nil
}

// sequenceMapSignature: SequenceMap's body takes one element of each
// sequence operand and each tensor operand whole.
func sequenceMapSignature(op *Op, _ int) (RegionSignature, error) {
	var sig RegionSignature
	for i, a := range op.Args {
		var t Type
		switch {
		case a == nil:
		case a.Type.Kind == SequenceKind:
			if a.Type.Elem != nil {
				t = *a.Type.Elem
			}
		case i > 0:
			t = a.Type
		}
		sig.Params = append(sig.Params, t)
	}
	return sig, nil
}

// LooseType keeps t's kind, element type and rank and forgets its dims:
// the type a value has when its dims may change (a Loop-carried value).
func LooseType(t Type) Type {
	switch t.Kind {
	case TensorKind:
		if t.Shape.Ranked {
			return TensorType(t.DType, UnknownDims(len(t.Shape.Dims)))
		}
		return t
	case SequenceKind, OptionalKind:
		if t.Elem == nil {
			return t
		}
		e := LooseType(*t.Elem)
		return Type{Kind: t.Kind, Elem: &e}
	}
	return t
}

// JoinTypes returns a type describing values of type a or of type b: the
// common kind and element type, with dims that differ made unknown and a
// rank that differs made unknown. ONNX allows If branches and loop-carried
// values to differ in shape this way.
func JoinTypes(a, b Type) Type {
	switch {
	case a.Kind == InvalidKind:
		return b
	case b.Kind == InvalidKind:
		return a
	case a.Kind != b.Kind:
		return Type{}
	}
	switch a.Kind {
	case TensorKind:
		d := a.DType
		if d != b.DType {
			if d == InvalidDType {
				d = b.DType
			} else if b.DType != InvalidDType {
				d = InvalidDType
			}
		}
		return TensorType(d, joinShapesLoose(a.Shape, b.Shape))
	default:
		if a.Elem == nil || b.Elem == nil {
			return Type{Kind: a.Kind}
		}
		e := JoinTypes(*a.Elem, *b.Elem)
		if e.Kind == InvalidKind {
			return Type{Kind: a.Kind}
		}
		return Type{Kind: a.Kind, Elem: &e}
	}
}

func joinShapesLoose(a, b Shape) Shape {
	if !a.Ranked || !b.Ranked || len(a.Dims) != len(b.Dims) {
		return UnrankedShape()
	}
	out := Shape{Ranked: true, Dims: make([]Dim, len(a.Dims))}
	for i := range a.Dims {
		if a.Dims[i].Equal(b.Dims[i]) {
			out.Dims[i] = a.Dims[i]
		} else {
			out.Dims[i] = Unknown()
		}
	}
	return out
}

func inferIf(op *Op) ([]Type, error) {
	if len(op.Regions) != 2 {
		return nil, fmt.Errorf("want regions then_branch and else_branch")
	}
	th, el := op.Regions[0], op.Regions[1]
	if len(th.Results) != len(el.Results) {
		return nil, fmt.Errorf("then_branch returns %d values, else_branch %d", len(th.Results), len(el.Results))
	}
	if c := op.Arg(0); c != nil && c.Type.IsTensor() && c.Type.DType != InvalidDType && c.Type.DType != Bool {
		return nil, fmt.Errorf("cond is %v, want bool", c.Type)
	}
	// A condition computed from shapes (exporters branch on a dim or a
	// rank) is known at compile time: the If has the taken branch's types.
	if c, ok := KnownInts(op.Arg(0)); ok && len(c) == 1 {
		taken := th
		if c[0] == 0 {
			taken = el
		}
		out := make([]Type, len(taken.Results))
		for i, r := range taken.Results {
			out[i] = r.Type
		}
		return out, nil
	}
	out := make([]Type, len(th.Results))
	for i := range out {
		ta, tb := th.Results[i].Type, el.Results[i].Type
		if typesConflict(ta, tb) {
			return nil, fmt.Errorf("output %d: then_branch gives %v, else_branch %v", i, ta, tb)
		}
		out[i] = JoinTypes(ta, tb)
	}
	return out, nil
}

// typesConflict reports whether a and b cannot be one value's type whatever
// the unknown parts turn out to be: different kinds, or different element
// types (at any depth of sequences and optionals). Shapes may differ: an
// If's branches may give different shapes, and the join keeps what they
// share.
func typesConflict(a, b Type) bool {
	switch {
	case a.Kind == InvalidKind || b.Kind == InvalidKind:
		return false
	case a.Kind != b.Kind:
		return true
	case a.Kind == TensorKind:
		return a.DType != InvalidDType && b.DType != InvalidDType && a.DType != b.DType
	case a.Elem == nil || b.Elem == nil:
		return false
	}
	return typesConflict(*a.Elem, *b.Elem)
}

// scanStackedType is the type of a scan output built from body values of type
// t: a tensor with a new dim of size n (Unknown if not known) at axis.
func scanStackedType(t Type, axis int, n Dim) (Type, error) {
	if t.Kind == InvalidKind {
		return Type{}, nil
	}
	if !t.IsTensor() {
		return Type{}, fmt.Errorf("scan output is %v, want a tensor", t)
	}
	if !t.Shape.Ranked {
		return TensorType(t.DType, UnrankedShape()), nil
	}
	r := len(t.Shape.Dims)
	if axis < 0 {
		axis += r + 1
	}
	if axis < 0 || axis > r {
		return Type{}, fmt.Errorf("scan output axis out of range for rank %d", r)
	}
	dims := make([]Dim, 0, r+1)
	dims = append(dims, t.Shape.Dims[:axis]...)
	dims = append(dims, n)
	dims = append(dims, t.Shape.Dims[axis:]...)
	return TensorType(t.DType, Shape{Ranked: true, Dims: dims}), nil
}

func inferLoop(op *Op) ([]Type, error) {
	if len(op.Regions) != 1 {
		return nil, fmt.Errorf("want region body")
	}
	body := op.Regions[0]
	n := len(op.Args) - 2
	if n < 0 {
		n = 0
	}
	if len(body.Params) != n+2 {
		return nil, fmt.Errorf("body takes %d params, want %d (iteration number, condition, %d carried values)", len(body.Params), n+2, n)
	}
	if len(body.Results) < n+1 {
		return nil, fmt.Errorf("body returns %d values, want at least %d (condition, %d carried values)", len(body.Results), n+1, n)
	}
	k := len(body.Results) - 1 - n
	// A trip count without a condition fixes the number of iterations,
	// hence the scan outputs' leading dim: a constant, or an expression when
	// the count is computed from shapes (a nonnegative one: a negative count
	// runs no iteration).
	trips := Unknown()
	if m := op.Arg(0); m != nil && op.Arg(1) == nil {
		if v, ok := ShapeValue(m); ok && len(v) == 1 {
			if n, isConst := v[0].Int(); isConst {
				trips = Static(max(n, 0))
			} else if isNonNegative(v[0]) {
				trips = v[0]
			}
		}
	}
	out := make([]Type, n+k)
	for i := 0; i < n; i++ {
		var init Type
		if a := op.Args[2+i]; a != nil {
			init = a.Type
		}
		out[i] = JoinTypes(init, body.Results[1+i].Type)
	}
	for j := 0; j < k; j++ {
		t, err := scanStackedType(body.Results[1+n+j].Type, 0, trips)
		if err != nil {
			return nil, err
		}
		out[n+j] = t
	}
	return out, nil
}

func inferScan(op *Op) ([]Type, error) {
	if len(op.Regions) != 1 {
		return nil, fmt.Errorf("want region body")
	}
	body := op.Regions[0]
	m := int(op.Int("num_scan_inputs"))
	n := len(op.Args) - m
	if m < 1 || n < 0 {
		return nil, fmt.Errorf("num_scan_inputs %d does not fit %d operands", m, len(op.Args))
	}
	if len(body.Params) != n+m {
		return nil, fmt.Errorf("body takes %d params, want %d", len(body.Params), n+m)
	}
	if len(body.Results) < n {
		return nil, fmt.Errorf("body returns %d values, want at least %d state values", len(body.Results), n)
	}
	inAxes := op.Ints("scan_input_axes")
	if inAxes != nil && len(inAxes) != m {
		return nil, fmt.Errorf("scan_input_axes has %d entries for %d scan inputs", len(inAxes), m)
	}
	// The scan length is the first scan input's size along its scan axis.
	length := Unknown()
	if a := op.Args[n]; a != nil && a.Type.IsTensor() && a.Type.Shape.Ranked {
		ax := int64(0)
		if inAxes != nil {
			ax = inAxes[0]
		}
		r := len(a.Type.Shape.Dims)
		axis, err := NormAxis(ax, r)
		if err != nil {
			return nil, fmt.Errorf("scan input 0: %w", err)
		}
		length = a.Type.Shape.Dims[axis]
	}
	k := len(body.Results) - n
	outAxes := op.Ints("scan_output_axes")
	if outAxes != nil && len(outAxes) != k {
		return nil, fmt.Errorf("scan_output_axes has %d entries for %d scan outputs", len(outAxes), k)
	}
	out := make([]Type, n+k)
	for i := 0; i < n; i++ {
		out[i] = JoinTypes(op.Args[i].Type, body.Results[i].Type)
	}
	for j := 0; j < k; j++ {
		ax := 0
		if outAxes != nil {
			ax = int(outAxes[j])
		}
		t, err := scanStackedType(body.Results[n+j].Type, ax, length)
		if err != nil {
			return nil, err
		}
		out[n+j] = t
	}
	return out, nil
}

func inferSequenceMap(op *Op) ([]Type, error) {
	if len(op.Regions) != 1 {
		return nil, fmt.Errorf("want region body")
	}
	body := op.Regions[0]
	if len(body.Params) != len(op.Args) {
		return nil, fmt.Errorf("body takes %d params for %d operands", len(body.Params), len(op.Args))
	}
	if a := op.Args[0]; a.Type.Kind != InvalidKind && a.Type.Kind != SequenceKind {
		return nil, fmt.Errorf("input_sequence is %v, want a sequence", a.Type)
	}
	out := make([]Type, len(body.Results))
	for i, r := range body.Results {
		if r.Type.Kind == InvalidKind {
			out[i] = Type{Kind: SequenceKind}
			continue
		}
		out[i] = SequenceOf(r.Type)
	}
	return out, nil
}
