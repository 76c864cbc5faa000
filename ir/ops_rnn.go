package ir

import "fmt"

// Recurrent layers: RNN, GRU, LSTM at their ONNX-14 form (layout attribute).
// Gate weights are stacked along W's dim 1: RNN one gate, GRU z,r,h, LSTM
// i,o,f,c.
// rnnTypes are the type constraints of RNN-14, GRU-14 and LSTM-14: float
// data, int32 sequence lengths.
var rnnTypes = []TypeConstraint{TC("T", FloatNoBF16), TC("T1", Types(I32))}

func init() {
	common := func(extra ...AttrDef) []AttrDef {
		return append([]AttrDef{
			AFloats("activation_alpha"), AFloats("activation_beta"), AStrings("activations"),
			AOptional("clip", AttrFloat), AEnum("direction", "forward", "forward", "reverse", "bidirectional"),
			AOptional("hidden_size", AttrInt).AtLeast(1), AIntRange("layout", 0, 0, 1),
		}, extra...)
	}
	Register(&OpDef{
		Name:    "RNN",
		Doc:     "Elman recurrent layer: Ht = f(Xt·Wᵀ + Ht-1·Rᵀ + Wb + Rb)",
		Kind:    Opaque,
		Inputs:  []Operand{Req("X:T"), Req("W:T"), Req("R:T"), Opt("B:T"), Opt("sequence_lens:T1"), Opt("initial_h:T")},
		Outputs: []Operand{Opt("Y:T"), Opt("Y_h:T")},
		Types:   rnnTypes,
		Attrs:   common(),
		Infer:   func(op *Op) ([]Type, error) { return inferRecurrent(op, 1) },
	})
	Register(&OpDef{
		Name:    "GRU",
		Doc:     "gated recurrent unit layer (gates z, r, h)",
		Kind:    Opaque,
		Inputs:  []Operand{Req("X:T"), Req("W:T"), Req("R:T"), Opt("B:T"), Opt("sequence_lens:T1"), Opt("initial_h:T")},
		Outputs: []Operand{Opt("Y:T"), Opt("Y_h:T")},
		Types:   rnnTypes,
		Attrs:   common(ABool("linear_before_reset", 0)),
		Infer:   func(op *Op) ([]Type, error) { return inferRecurrent(op, 3) },
	})
	Register(&OpDef{
		Name: "LSTM",
		Doc:  "long short-term memory layer (gates i, o, f, c; optional peepholes P)",
		Kind: Opaque,
		Inputs: []Operand{Req("X:T"), Req("W:T"), Req("R:T"), Opt("B:T"), Opt("sequence_lens:T1"),
			Opt("initial_h:T"), Opt("initial_c:T"), Opt("P:T")},
		Outputs: []Operand{Opt("Y:T"), Opt("Y_h:T"), Opt("Y_c:T")},
		Types:   rnnTypes,
		Attrs:   common(ABool("input_forget", 0)),
		Infer:   func(op *Op) ([]Type, error) { return inferRecurrent(op, 4) },
	})
}

// inferRecurrent gives Y [seq, dirs, batch, hidden] and Y_h (Y_c) [dirs,
// batch, hidden], or with layout 1 Y [batch, seq, dirs, hidden] and Y_h
// [batch, dirs, hidden].
func inferRecurrent(op *Op, gates int64) ([]Type, error) {
	x, w := op.Args[0].Type, op.Args[1].Type
	if !x.IsTensor() || !w.IsTensor() {
		return nil, fmt.Errorf("X and W must be tensors")
	}
	if !x.DType.IsFloat() && x.DType != InvalidDType {
		return nil, fmt.Errorf("X is %v, want a float type", x)
	}
	var dirs int64
	switch d := op.Str("direction"); d {
	case "forward", "reverse":
		dirs = 1
	case "bidirectional":
		dirs = 2
	default:
		return nil, fmt.Errorf("direction %q is not forward, reverse or bidirectional", d)
	}
	layout := op.Int("layout")
	if layout != 0 && layout != 1 {
		return nil, fmt.Errorf("layout %d is not 0 or 1", layout)
	}
	if x.Shape.Ranked && len(x.Shape.Dims) != 3 {
		return nil, fmt.Errorf("X has rank %d, want 3", len(x.Shape.Dims))
	}
	if w.Shape.Ranked && len(w.Shape.Dims) != 3 {
		return nil, fmt.Errorf("W has rank %d, want 3", len(w.Shape.Dims))
	}
	seq, batch := Unknown(), Unknown()
	if x.Shape.Ranked {
		seq, batch = x.Shape.Dims[0], x.Shape.Dims[1]
		if layout == 1 {
			seq, batch = batch, seq
		}
	}
	hidden := Unknown()
	if op.Has("hidden_size") {
		hidden = Static(op.Int("hidden_size"))
	} else if w.Shape.Ranked && w.Shape.Dims[1].IsStatic() {
		hidden = Static(w.Shape.Dims[1].Size / gates)
	}
	if w.Shape.Ranked && w.Shape.Dims[0].IsStatic() && w.Shape.Dims[0].Size != dirs {
		return nil, fmt.Errorf("W has %d directions, direction %q needs %d", w.Shape.Dims[0].Size, op.Str("direction"), dirs)
	}
	d := Static(dirs)
	y := Shape{Ranked: true, Dims: []Dim{seq, d, batch, hidden}}
	h := Shape{Ranked: true, Dims: []Dim{d, batch, hidden}}
	if layout == 1 {
		y.Dims = []Dim{batch, seq, d, hidden}
		h.Dims = []Dim{batch, d, hidden}
	}
	return []Type{TensorType(x.DType, y), TensorType(x.DType, h), TensorType(x.DType, h)}, nil
}
