package ir

import "fmt"

func init() {
	Register(&OpDef{
		Name: "NonMaxSuppression",
		Doc:  "greedy per-batch, per-class box selection by descending score, dropping boxes whose IoU with a selected one exceeds iou_threshold; [selected, 3] (batch, class, box) indices",
		Kind: Opaque,
		Inputs: []Operand{Req("boxes:F"), Req("scores:F"), Opt("max_output_boxes_per_class:I"),
			Opt("iou_threshold:F"), Opt("score_threshold:F")},
		Outputs: In("selected_indices:I"),
		Types:   []TypeConstraint{TC("F", Types(F32)), TC("I", I64Type)},
		Attrs:   []AttrDef{AIntRange("center_point_box", 0, 0, 1)},
		Infer:   inferNonMaxSuppression,
	})
}

func inferNonMaxSuppression(op *Op) ([]Type, error) {
	b, s := op.Arg(0), op.Arg(1)
	if b == nil || s == nil || !b.Type.IsTensor() || !s.Type.IsTensor() {
		return nil, fmt.Errorf("needs boxes and scores tensors")
	}
	if r := b.Type.Shape.Rank(); r >= 0 && r != 3 {
		return nil, fmt.Errorf("boxes must be [batches, boxes, 4], got rank %d", r)
	}
	if r := s.Type.Shape.Rank(); r >= 0 && r != 3 {
		return nil, fmt.Errorf("scores must be [batches, classes, boxes], got rank %d", r)
	}
	if c := op.Int("center_point_box"); c != 0 && c != 1 {
		return nil, fmt.Errorf("center_point_box %d: want 0 or 1", c)
	}
	return []Type{TensorType(I64, Shape{Ranked: true, Dims: []Dim{Unknown(), Static(3)}})}, nil
}
