package ir

import "fmt"

// kiln.FusedElementwise is a group of elementwise and broadcast ops, the
// group pass's unit: one loop over the output computes each element from
// the same-index (broadcast) elements of the operands, instead of one
// kernel and one buffer per op. Its region, "element", takes one scalar
// per operand (the operand's element, broadcast to the output) and
// returns the output element; its ops are elementwise or broadcast in
// kind, and may read rank-0 constants directly. The result's shape is the
// broadcast of the operands' shapes; its element type is that of the
// operands, which share it.
const fusedElementwise = "kiln.FusedElementwise"

func init() {
	Register(&OpDef{
		Name:      fusedElementwise,
		Doc:       "elementwise and broadcast ops applied to each output element in one loop, as its element region computes it from the operands' elements",
		Kind:      Opaque,
		Inputs:    []Operand{Var("inputs:T")},
		Outputs:   In("Y:T"),
		Types:     []TypeConstraint{TC("T", AllTypes)},
		Regions:   []string{"element"},
		RegionSig: elementSignature,
		Infer:     inferFusedElementwise,
	})
}

func elementSignature(op *Op, _ int) (RegionSignature, error) {
	var params []Type
	for i, a := range op.Args {
		if a == nil || !a.Type.IsTensor() {
			return RegionSignature{}, fmt.Errorf("operand %d is absent or not a tensor", i)
		}
		params = append(params, TensorType(a.Type.DType, ShapeOf()))
	}
	if len(params) == 0 {
		return RegionSignature{}, fmt.Errorf("no operands")
	}
	return RegionSignature{Params: params, Results: []Type{params[0]}}, nil
}

func inferFusedElementwise(op *Op) ([]Type, error) {
	if len(op.Args) == 0 {
		return nil, fmt.Errorf("no operands")
	}
	var out Type
	for i, a := range op.Args {
		if a == nil || !a.Type.IsTensor() {
			return nil, fmt.Errorf("operand %d is absent or not a tensor", i)
		}
		if i == 0 {
			out = a.Type
			continue
		}
		if a.Type.DType != out.DType {
			return nil, fmt.Errorf("operand %d is %v, operand 0 %v", i, a.Type.DType, out.DType)
		}
		if !out.Shape.Ranked || !a.Type.Shape.Ranked {
			out.Shape = Shape{}
			continue
		}
		s, err := BroadcastShapes(out.Shape, a.Type.Shape)
		if err != nil {
			return nil, fmt.Errorf("operand %d: %w", i, err)
		}
		out.Shape = s
	}
	if err := checkElementRegion(op, "element op", "element region"); err != nil {
		return nil, err
	}
	return []Type{out}, nil
}

// unfuseElementwise replaces kiln.FusedElementwise op by its definition:
// the element region's ops applied to the whole operands.
func unfuseElementwise(op *Op) error {
	if len(op.Regions) != 1 {
		return fmt.Errorf("%s has %d regions, want the element region", op.Name, len(op.Regions))
	}
	r := op.Parent
	el := op.Regions[0]
	remap := map[*Value]*Value{}
	for i, p := range el.Params {
		if i < len(op.Args) {
			remap[p] = op.Args[i]
		}
	}
	out, err := inlineRegion(BuildBefore(op), op, el, remap)
	if err != nil {
		return err
	}
	if out.Def != nil && out.Def.Parent == r {
		out.Name = op.Results[0].Name
	}
	ReplaceAllUses(r.Root(), op.Results[0], out)
	return EraseOp(op)
}
