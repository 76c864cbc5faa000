package ir

import "fmt"

func init() {
	Register(&OpDef{
		Name:    "NegativeLogLikelihoodLoss",
		Doc:     "-input[n, target[n,d...], d...] * weight[target], reduced by none, sum or (weighted) mean; ignore_index entries count zero",
		Kind:    Opaque,
		Inputs:  []Operand{{Name: "input"}, {Name: "target"}, Opt("weight")},
		Outputs: In("loss"),
		Attrs:   []AttrDef{AOptional("ignore_index", AttrInt), AString("reduction", "mean")},
		Infer:   inferLoss,
	})
	Register(&OpDef{
		Name:    "SoftmaxCrossEntropyLoss",
		Doc:     "NegativeLogLikelihoodLoss of LogSoftmax(scores) along axis 1; log_prob is that LogSoftmax",
		Kind:    Opaque,
		Inputs:  []Operand{{Name: "scores"}, {Name: "labels"}, Opt("weights")},
		Outputs: []Operand{{Name: "output"}, Opt("log_prob")},
		Attrs:   []AttrDef{AOptional("ignore_index", AttrInt), AString("reduction", "mean")},
		Infer:   inferLoss,
	})
}

func inferLoss(op *Op) ([]Type, error) {
	x, t := op.Arg(0), op.Arg(1)
	if x == nil || t == nil || !x.Type.IsTensor() || !t.Type.IsTensor() {
		return nil, fmt.Errorf("needs tensor input and target")
	}
	if !t.Type.DType.IsInt() {
		return nil, fmt.Errorf("target must be an integer tensor, got %v", t.Type.DType)
	}
	if r := x.Type.Shape.Rank(); r >= 0 && r < 2 {
		return nil, fmt.Errorf("input must have rank >= 2 (N, C, ...), got %d", r)
	}
	var loss Type
	switch red := op.Str("reduction"); red {
	case "none":
		s := t.Type.Shape
		if !s.Ranked && x.Type.Shape.Ranked {
			s = UnknownDims(x.Type.Shape.Rank() - 1)
		}
		loss = TensorType(x.Type.DType, s)
	case "sum", "mean":
		loss = TensorType(x.Type.DType, ShapeOf())
	default:
		return nil, fmt.Errorf("reduction %q: want none, sum or mean", red)
	}
	return []Type{loss, x.Type}, nil
}
