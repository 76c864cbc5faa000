package ir

import "fmt"

// The Reduce* family takes its axes as an optional int64 input for every
// op. That is ONNX opset 18's form (only ReduceSum moved axes to an input
// already at opset 13); kiln adopts it for all ten so that one declaration
// and one kernel serve every version, and the importer turns the older axes
// attribute into a constant operand. noop_with_empty_axes (ReduceSum-13,
// all of them at 18) is declared on each: 0 means absent or empty axes reduce
// every axis, 1 reduces over the empty set of axes: the plain reductions
// are then identities, the composite ones keep their elementwise steps
// (ReduceLogSum is log(x), ReduceSumSquare x*x).
var reduceOpDocs = [][2]string{
	{"ReduceSum", "sum over axes; the empty set sums to 0"},
	{"ReduceMean", "arithmetic mean over axes; the empty set gives NaN (0/0)"},
	{"ReduceMax", "maximum over axes; the empty set gives -inf (the lowest integer for ints)"},
	{"ReduceMin", "minimum over axes; the empty set gives +inf (the highest integer for ints)"},
	{"ReduceProd", "product over axes; the empty set gives 1"},
	{"ReduceL1", "sum of absolute values over axes; the empty set gives 0"},
	{"ReduceL2", "square root of the sum of squares over axes; the empty set gives 0"},
	{"ReduceLogSum", "log of the sum over axes; the empty set gives -inf"},
	{"ReduceLogSumExp", "log of the sum of exponentials over axes, computed stably; the empty set gives -inf"},
	{"ReduceSumSquare", "sum of squares over axes; the empty set gives 0"},
}

func init() {
	for _, d := range reduceOpDocs {
		// The Reduce ops take the floats and 32/64-bit integers;
		// ReduceMax-13 and ReduceMin-13 also the 8-bit integers, and
		// ReduceMax-20 and ReduceMin-20 bool (any and all). kiln accepts
		// bool at every version of the two.
		types := FloatTypes | Types(I32, I64, U32, U64)
		if d[0] == "ReduceMax" || d[0] == "ReduceMin" {
			types |= QuantTypes | BoolType
		}
		Register(&OpDef{
			Name:    d[0],
			Doc:     d[1] + " (axes is an input, as in ONNX opset 18, for every version)",
			Kind:    Reduction,
			Inputs:  []Operand{Req("data:T"), Opt("axes:I")},
			Outputs: In("reduced:T"),
			Types:   []TypeConstraint{TC("T", types), TC("I", I64Type)},
			Attrs:   []AttrDef{ABool("keepdims", 1), ABool("noop_with_empty_axes", 0)},
			Infer:   inferReduceAxes,
		})
	}
	for _, name := range []string{"ArgMax", "ArgMin"} {
		what := "largest"
		if name == "ArgMin" {
			what = "smallest"
		}
		Register(&OpDef{
			Name:    name,
			Doc:     "int64 index of the " + what + " element along axis (first one, or last with select_last_index)",
			Kind:    Reduction,
			Inputs:  In("data:T"),
			Outputs: In("reduced:I"),
			Types:   []TypeConstraint{TC("T", NumericTypes), TC("I", I64Type)},
			Attrs:   []AttrDef{AInt("axis", 0), ABool("keepdims", 1), ABool("select_last_index", 0)},
			Infer:   inferArgReduce,
		})
	}
	// Softmax, LogSoftmax and Hardmax have opset-13 semantics: they
	// normalize along the single axis `axis` (default -1). Before opset 13
	// they coerced the input to 2-D at axis (default 1); the importer lowers
	// that form around these ops.
	for _, d := range [][2]string{
		{"Softmax", "exp(x - max) / sum(exp(x - max)) along axis"},
		{"LogSoftmax", "x - max - log(sum(exp(x - max))) along axis"},
		{"Hardmax", "1 at the first maximum along axis, 0 elsewhere"},
	} {
		Register(&OpDef{
			Name:    d[0],
			Doc:     d[1],
			Kind:    Reduction,
			Inputs:  In("input:T"),
			Outputs: In("output:T"),
			Types:   []TypeConstraint{TC("T", FloatTypes)},
			Attrs:   []AttrDef{AInt("axis", -1)},
			Infer:   inferSoftmaxFamily,
		})
	}
}

// ReduceAxes resolves the axes a Reduce* op reduces for an input of rank
// rank, given its axes operand (nil when absent) and noop_with_empty_axes.
// It returns a per-axis mask; noop is true when the op is an identity.
// Duplicate axes are an error, as ONNX forbids them.
func ReduceAxes(axes []int64, rank int, noopEmpty bool) (mask []bool, noop bool, err error) {
	mask = make([]bool, rank)
	if len(axes) == 0 {
		if noopEmpty {
			return mask, true, nil
		}
		for i := range mask {
			mask[i] = true
		}
		return mask, false, nil
	}
	for _, a := range axes {
		ax, err := NormAxis(a, rank)
		if err != nil {
			return nil, false, err
		}
		if mask[ax] {
			return nil, false, fmt.Errorf("axis %d given twice", a)
		}
		mask[ax] = true
	}
	return mask, false, nil
}

func inferReduceAxes(op *Op) ([]Type, error) {
	x := op.Arg(0)
	if x == nil || !x.Type.IsTensor() {
		return nil, fmt.Errorf("data must be a tensor")
	}
	keep := op.Int("keepdims") != 0
	noopEmpty := op.Int("noop_with_empty_axes") != 0
	s := x.Type.Shape
	var axes []int64
	if a := op.Arg(1); a != nil {
		if a.Type.DType != I64 {
			return nil, fmt.Errorf("axes must be int64, got %v", a.Type.DType)
		}
		v, ok := ConstInts(a)
		if !ok {
			// Unknown axes: with keepdims the rank stays; without it the
			// rank drops by the axes' length when that is known.
			if !s.Ranked {
				return []Type{TensorType(x.Type.DType, s)}, nil
			}
			if keep {
				return []Type{TensorType(x.Type.DType, UnknownDims(len(s.Dims)))}, nil
			}
			if n := a.Type.Shape.NumElements(); n > 0 && int(n) <= len(s.Dims) {
				return []Type{TensorType(x.Type.DType, UnknownDims(len(s.Dims)-int(n)))}, nil
			}
			return []Type{TensorType(x.Type.DType, UnrankedShape())}, nil
		}
		axes = v
	}
	if !s.Ranked {
		return []Type{TensorType(x.Type.DType, s)}, nil
	}
	mask, noop, err := ReduceAxes(axes, len(s.Dims), noopEmpty)
	if err != nil {
		return nil, err
	}
	if noop {
		return []Type{x.Type}, nil
	}
	return []Type{TensorType(x.Type.DType, reduceResultShape(s, mask, keep))}, nil
}

func reduceResultShape(s Shape, mask []bool, keep bool) Shape {
	out := Shape{Ranked: true, Dims: []Dim{}}
	for i, d := range s.Dims {
		switch {
		case !mask[i]:
			out.Dims = append(out.Dims, d)
		case keep:
			out.Dims = append(out.Dims, Static(1))
		}
	}
	return out
}

func inferArgReduce(op *Op) ([]Type, error) {
	x := op.Arg(0)
	if x == nil || !x.Type.IsTensor() {
		return nil, fmt.Errorf("data must be a tensor")
	}
	s := x.Type.Shape
	if !s.Ranked {
		return []Type{TensorType(I64, s)}, nil
	}
	ax, err := NormAxis(op.Int("axis"), len(s.Dims))
	if err != nil {
		return nil, err
	}
	mask := make([]bool, len(s.Dims))
	mask[ax] = true
	return []Type{TensorType(I64, reduceResultShape(s, mask, op.Int("keepdims") != 0))}, nil
}

func inferSoftmaxFamily(op *Op) ([]Type, error) {
	x := op.Arg(0)
	if x == nil || !x.Type.IsTensor() {
		return nil, fmt.Errorf("input must be a tensor")
	}
	if r := x.Type.Shape.Rank(); r >= 0 {
		if r == 0 {
			return nil, fmt.Errorf("input must have rank >= 1")
		}
		if _, err := NormAxis(op.Int("axis"), r); err != nil {
			return nil, err
		}
	}
	return []Type{x.Type}, nil
}
