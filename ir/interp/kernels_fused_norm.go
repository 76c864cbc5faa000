package interp

import (
	"fmt"
	"slices"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("kiln.FusedLayerNorm", kernelFusedLayerNorm)
}

// kernelFusedLayerNorm computes kiln.FusedLayerNorm as its definition
// reads: the prologue region on whole tensors (X and the extras, which
// broadcast to X: elementwise ops give on tensors what they give element
// by element), then LayerNormalization's kernel on its result. The same
// float32 operations in the same order as the unfused ops.
func kernelFusedLayerNorm(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	if len(op.Regions) != 1 {
		return nil, fmt.Errorf("want one prologue region, have %d", len(op.Regions))
	}
	if len(args) < 2 {
		return nil, fmt.Errorf("X and Scale are required")
	}
	x, ok := args[0].(*Tensor)
	if !ok {
		return nil, fmt.Errorf("X is not a tensor")
	}
	params := []Value{x}
	if len(args) > 3 {
		params = append(params, args[3:]...)
	}
	out, err := c.RunRegion(op.Regions[0], params)
	if err != nil {
		return nil, fmt.Errorf("prologue: %w", err)
	}
	y, ok := out[0].(*Tensor)
	if !ok || !slices.Equal(y.Shape, x.Shape) || y.DType != x.DType {
		return nil, fmt.Errorf("prologue result %v does not match X %v", out[0].Type(), x.Type())
	}
	ln := ir.LayerNormOf(op, op.Args[0])
	lnArgs := []Value{y}
	for i := 1; i < len(ln.Args); i++ {
		lnArgs = append(lnArgs, args[i])
	}
	res, err := kernels["LayerNormalization"](c, ln, lnArgs)
	if err != nil {
		return nil, err
	}
	return res[:1], nil
}
