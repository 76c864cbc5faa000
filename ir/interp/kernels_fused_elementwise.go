package interp

import (
	"fmt"
	"slices"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("kiln.FusedElementwise", kernelFusedElementwise)
}

// kernelFusedElementwise computes kiln.FusedElementwise as its definition
// reads: the element region on the whole operands. Its ops are
// elementwise or broadcast, so on tensors they give, element by element,
// what they give on scalars: the same operations in the same order as the
// ops the group pass gathered, so grouping changes no result bit.
func kernelFusedElementwise(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	if len(op.Regions) != 1 {
		return nil, fmt.Errorf("want one element region, have %d", len(op.Regions))
	}
	shapes := make([][]int, len(args))
	for i, a := range args {
		t, ok := a.(*Tensor)
		if !ok {
			return nil, fmt.Errorf("operand %d is not a tensor", i)
		}
		shapes[i] = t.Shape
	}
	shape, err := BroadcastShape(shapes...)
	if err != nil {
		return nil, err
	}
	out, err := c.RunRegion(op.Regions[0], args)
	if err != nil {
		return nil, fmt.Errorf("element region: %w", err)
	}
	y, ok := out[0].(*Tensor)
	if !ok || !slices.Equal(y.Shape, shape) {
		return nil, fmt.Errorf("element region result %v does not have the operands' broadcast shape %v", out[0].Type(), shape)
	}
	return []Value{y}, nil
}
