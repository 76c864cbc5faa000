package ir

import "fmt"

// Sequences and optionals (ONNX-11 sequence ops, ONNX-15 optional ops).
func init() {
	f32 := DTypeAttr(F32)
	Register(&OpDef{
		Name:    "SequenceEmpty",
		Doc:     "an empty sequence of tensors of element type dtype",
		Kind:    Opaque,
		Outputs: In("output:S"),
		Types:   []TypeConstraint{TCOf("S", SequenceOnly, AllTypes)},
		Attrs:   []AttrDef{{Name: "dtype", Kind: AttrDType, Default: &f32}},
		Infer: func(op *Op) ([]Type, error) {
			v, _ := op.Attr("dtype")
			return []Type{SequenceOf(TensorType(v.DType, UnrankedShape()))}, nil
		},
	})
	Register(&OpDef{
		Name:    "SequenceConstruct",
		Doc:     "a sequence of its operands, in order",
		Kind:    Opaque,
		Inputs:  []Operand{Var("inputs:T")},
		Outputs: In("output_sequence:S"),
		Types:   []TypeConstraint{TC("T", AllTypes), TCOf("S", SequenceOnly, AllTypes)},
		Infer: func(op *Op) ([]Type, error) {
			var t Type
			for i, a := range op.Args {
				if err := seqWantTensor(a, "input", i); err != nil {
					return nil, err
				}
				if i == 0 {
					t = a.Type
				} else {
					t = JoinTypes(t, a.Type)
				}
			}
			return []Type{seqOfType(t)}, nil
		},
	})
	Register(&OpDef{
		Name:    "SequenceInsert",
		Doc:     "the input sequence with tensor inserted at position (default: at the end)",
		Kind:    Opaque,
		Inputs:  []Operand{Req("input_sequence:S"), Req("tensor:T"), Opt("position:I")},
		Outputs: In("output_sequence:S"),
		Types:   []TypeConstraint{TCOf("S", SequenceOnly, AllTypes), TC("T", AllTypes), TC("I", IndexTypes)},
		Infer: func(op *Op) ([]Type, error) {
			s := op.Args[0].Type
			if err := seqWant(s); err != nil {
				return nil, err
			}
			if err := seqWantTensor(op.Args[1], "tensor", 1); err != nil {
				return nil, err
			}
			return []Type{seqOfType(JoinTypes(seqElemType(s), op.Args[1].Type))}, nil
		},
	})
	Register(&OpDef{
		Name:    "SequenceAt",
		Doc:     "the element of the sequence at position (negative counts from the end)",
		Kind:    Opaque,
		Inputs:  In("input_sequence:S", "position:I"),
		Outputs: In("tensor:T"),
		Types:   []TypeConstraint{TCOf("S", SequenceOnly, AllTypes), TC("T", AllTypes), TC("I", IndexTypes)},
		Infer: func(op *Op) ([]Type, error) {
			s := op.Args[0].Type
			if err := seqWant(s); err != nil {
				return nil, err
			}
			return []Type{seqElemType(s)}, nil
		},
	})
	Register(&OpDef{
		Name:    "SequenceErase",
		Doc:     "the input sequence without the element at position (default: the last)",
		Kind:    Opaque,
		Inputs:  []Operand{Req("input_sequence:S"), Opt("position:I")},
		Outputs: In("output_sequence:S"),
		Types:   []TypeConstraint{TCOf("S", SequenceOnly, AllTypes), TC("I", IndexTypes)},
		Infer: func(op *Op) ([]Type, error) {
			if err := seqWant(op.Args[0].Type); err != nil {
				return nil, err
			}
			return []Type{op.Args[0].Type}, nil
		},
	})
	Register(&OpDef{
		Name:    "SequenceLength",
		Doc:     "the number of elements of the sequence as an int64 scalar",
		Kind:    Opaque,
		Inputs:  In("input_sequence:S"),
		Outputs: In("length:I"),
		Types:   []TypeConstraint{TCOf("S", SequenceOnly, AllTypes), TC("I", I64Type)},
		Infer: func(op *Op) ([]Type, error) {
			if err := seqWant(op.Args[0].Type); err != nil {
				return nil, err
			}
			return []Type{TensorType(I64, ShapeOf())}, nil
		},
	})
	Register(&OpDef{
		Name:    "SplitToSequence",
		Doc:     "splits input along axis into a sequence of tensors (equal parts of size split, or the sizes split lists, or size-1 slices)",
		Kind:    Opaque,
		Inputs:  []Operand{Req("input:T"), Opt("split:I")},
		Outputs: In("output_sequence:S"),
		Types:   []TypeConstraint{TC("T", AllTypes), TC("I", IndexTypes), TCOf("S", SequenceOnly, AllTypes)},
		Attrs:   []AttrDef{AInt("axis", 0), ABool("keepdims", 1)},
		Infer:   inferSplitToSequence,
	})
	Register(&OpDef{
		Name:    "ConcatFromSequence",
		Doc:     "concatenates the sequence's tensors along axis, or stacks them along a new axis when new_axis is 1",
		Kind:    Opaque,
		Inputs:  In("input_sequence:S"),
		Outputs: In("concat_result:T"),
		Types:   []TypeConstraint{TCOf("S", SequenceOnly, AllTypes), TC("T", AllTypes)},
		Attrs:   []AttrDef{ARequired("axis", AttrInt), ABool("new_axis", 0).Range(0, 1)},
		Infer:   inferConcatFromSequence,
	})
	Register(&OpDef{
		Name:    "Optional",
		Doc:     "an optional holding input, or an empty optional of element type type when input is absent",
		Kind:    Opaque,
		Inputs:  []Operand{Opt("input:V")},
		Outputs: In("output:O"),
		Types: []TypeConstraint{TCOf("V", TensorOnly|SequenceOnly, AllTypes),
			TCOf("O", OptionalOnly, AllTypes)},
		Attrs: []AttrDef{AOptional("type", AttrType)},
		Infer: func(op *Op) ([]Type, error) {
			if a := op.Arg(0); a != nil {
				return []Type{OptionalOf(a.Type)}, nil
			}
			v, ok := op.Attr("type")
			if !ok || v.Type.Kind == InvalidKind {
				return nil, fmt.Errorf("an empty Optional needs the type attribute")
			}
			return []Type{OptionalOf(v.Type)}, nil
		},
	})
	Register(&OpDef{
		Name:    "OptionalHasElement",
		Doc:     "whether the optional input holds a value (a tensor or sequence operand always does; an absent operand never does)",
		Kind:    Opaque,
		Inputs:  []Operand{Opt("input:O")},
		Outputs: In("output:B"),
		// OptionalHasElement-18 also takes a plain tensor or sequence.
		Types: []TypeConstraint{TCOf("O", AnyKind, AllTypes), TC("B", BoolType)},
		Infer: func(op *Op) ([]Type, error) {
			return []Type{TensorType(Bool, ShapeOf())}, nil
		},
	})
	Register(&OpDef{
		Name:    "OptionalGetElement",
		Doc:     "the value an optional holds (a tensor or sequence operand is returned as is); an empty optional is an error",
		Kind:    Opaque,
		Inputs:  In("input:O"),
		Outputs: In("output:V"),
		// OptionalGetElement-18 also takes a plain tensor or sequence.
		Types: []TypeConstraint{TCOf("O", AnyKind, AllTypes), TCOf("V", TensorOnly|SequenceOnly, AllTypes)},
		Infer: func(op *Op) ([]Type, error) {
			t := op.Args[0].Type
			if t.Kind == OptionalKind {
				if t.Elem == nil {
					return []Type{{}}, nil
				}
				return []Type{*t.Elem}, nil
			}
			return []Type{t}, nil
		},
	})
}

func seqWant(t Type) error {
	if t.Kind != SequenceKind && t.Kind != InvalidKind {
		return fmt.Errorf("operand is %v, want a sequence", t)
	}
	return nil
}

func seqWantTensor(v *Value, name string, i int) error {
	if v.Type.Kind != TensorKind && v.Type.Kind != InvalidKind {
		return fmt.Errorf("%s %d is %v, want a tensor", name, i, v.Type)
	}
	return nil
}

// seqElemType returns the element type of sequence type s (invalid if unknown).
func seqElemType(s Type) Type {
	if s.Elem == nil {
		return Type{}
	}
	return *s.Elem
}

// seqOfType is SequenceOf that keeps an unknown element type unknown.
func seqOfType(t Type) Type {
	if t.Kind == InvalidKind {
		return Type{Kind: SequenceKind}
	}
	return SequenceOf(t)
}

func inferSplitToSequence(op *Op) ([]Type, error) {
	t := op.Args[0].Type
	if !t.IsTensor() {
		return nil, fmt.Errorf("input is %v, want a tensor", t)
	}
	if !t.Shape.Ranked {
		return []Type{SequenceOf(TensorType(t.DType, UnrankedShape()))}, nil
	}
	r := len(t.Shape.Dims)
	axis, err := NormAxis(op.Int("axis"), r)
	if err != nil {
		return nil, err
	}
	dims := append([]Dim(nil), t.Shape.Dims...)
	if s := op.Arg(1); s != nil {
		dims[axis] = Unknown()
		if vals, ok := ConstInts(s); ok && len(vals) > 0 {
			same := true
			for _, v := range vals {
				same = same && v == vals[0]
			}
			// A scalar split gives equal chunks except possibly the last.
			if same && s.Type.Shape.Rank() == 1 {
				dims[axis] = Static(vals[0])
			}
		}
	} else if op.Int("keepdims") == 0 {
		dims = append(dims[:axis], dims[axis+1:]...)
	} else {
		dims[axis] = Static(1)
	}
	return []Type{SequenceOf(TensorType(t.DType, Shape{Ranked: true, Dims: dims}))}, nil
}

func inferConcatFromSequence(op *Op) ([]Type, error) {
	s := op.Args[0].Type
	if err := seqWant(s); err != nil {
		return nil, err
	}
	e := seqElemType(s)
	if e.Kind == InvalidKind {
		return []Type{{Kind: TensorKind}}, nil
	}
	if !e.IsTensor() {
		return nil, fmt.Errorf("sequence elements are %v, want tensors", e)
	}
	if !e.Shape.Ranked {
		return []Type{TensorType(e.DType, UnrankedShape())}, nil
	}
	r := len(e.Shape.Dims)
	ax := op.Int("axis")
	if op.Int("new_axis") == 1 {
		axis, err := NormAxis(ax, r+1)
		if err != nil {
			return nil, err
		}
		return scanStackedTypes(e, axis)
	}
	axis, err := NormAxis(ax, r)
	if err != nil {
		return nil, err
	}
	dims := append([]Dim(nil), e.Shape.Dims...)
	dims[axis] = Unknown()
	return []Type{TensorType(e.DType, Shape{Ranked: true, Dims: dims})}, nil
}

func scanStackedTypes(e Type, axis int) ([]Type, error) {
	t, err := scanStackedType(e, axis, Unknown())
	if err != nil {
		return nil, err
	}
	return []Type{t}, nil
}
