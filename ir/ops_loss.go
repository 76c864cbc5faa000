package ir

import "fmt"

// lossReduction declares how the loss ops reduce their per-element losses.
func lossReduction() AttrDef { return AEnum("reduction", "mean", "none", "sum", "mean") }

func init() {
	Register(&OpDef{
		Name:    "NegativeLogLikelihoodLoss",
		Doc:     "-input[n, target[n,d...], d...] * weight[target], reduced by none, sum or (weighted) mean; ignore_index entries count zero",
		Kind:    Opaque,
		Inputs:  []Operand{Req("input:T"), Req("target:Tind"), Opt("weight:T")},
		Outputs: In("loss:T"),
		Types:   []TypeConstraint{TC("T", FloatNoBF16), TC("Tind", IndexTypes)},
		Attrs:   []AttrDef{AOptional("ignore_index", AttrInt), lossReduction()},
		Infer:   inferLoss,
	})
	Register(&OpDef{
		Name:    "SoftmaxCrossEntropyLoss",
		Doc:     "NegativeLogLikelihoodLoss of LogSoftmax(scores) along axis 1; log_prob is that LogSoftmax",
		Kind:    Opaque,
		Inputs:  []Operand{Req("scores:T"), Req("labels:Tind"), Opt("weights:T")},
		Outputs: []Operand{Req("output:T"), Opt("log_prob:T")},
		Types:   []TypeConstraint{TC("T", FloatNoBF16), TC("Tind", IndexTypes)},
		Attrs:   []AttrDef{AOptional("ignore_index", AttrInt), lossReduction()},
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
