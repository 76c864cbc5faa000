package interp

import (
	"fmt"
	"slices"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	for _, name := range []string{"kiln.FusedConv", "kiln.FusedGemm", "kiln.FusedMatMul"} {
		Register(name, kernelFused)
	}
}

// kernelFused computes a kiln.Fused* op as its definition reads: the base
// op's kernel, then the epilogue region. The region's ops are elementwise
// or broadcast, so running it once on whole tensors (the accumulator and
// the extra operands, which broadcast to it) gives, element by element,
// what running it on scalars would: the same float32 operations in the
// same order as the unfused ops, so fusion changes no result bit.
func kernelFused(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	base, err := ir.BaseOp(op)
	if err != nil {
		return nil, err
	}
	k := kernels[base.Name]
	if k == nil {
		return nil, fmt.Errorf("no kernel for %s", base.Name)
	}
	n := len(base.Args)
	res, err := k(c, base, args[:n])
	if err != nil {
		return nil, err
	}
	acc, ok := res[0].(*Tensor)
	if !ok {
		return nil, fmt.Errorf("%s gave no tensor", base.Name)
	}
	if len(op.Regions) != 1 {
		return nil, fmt.Errorf("want one epilogue region, have %d", len(op.Regions))
	}
	params := append([]Value{acc}, args[n:]...)
	out, err := c.RunRegion(op.Regions[0], params)
	if err != nil {
		return nil, fmt.Errorf("epilogue: %w", err)
	}
	y, ok := out[0].(*Tensor)
	if !ok || !slices.Equal(y.Shape, acc.Shape) || y.DType != acc.DType {
		return nil, fmt.Errorf("epilogue result %v does not match the accumulator %v", out[0].Type(), acc.Type())
	}
	return []Value{y}, nil
}
