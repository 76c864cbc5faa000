package interp

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/quant"
	"github.com/kiln-ml/kiln/ir/tensor"
)

func init() {
	Register("kiln.MatMulBlocks", kernelMatMulBlocks)
}

// kernelMatMulBlocks computes Y = A · Bᵀ for B in a ggml block type the way
// ggml's CPU backend built for AVX2 does: each row of A quantized to
// quant.VecDotType(B) (quant.QuantizeActivations) and each output element
// one quant.VecDotAVX2 of a weight row with it. The weights are never
// dequantized.
func kernelMatMulBlocks(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	a, b := ts[0], ts[1]
	if a.DType != ir.F32 {
		return nil, fmt.Errorf("A is %v, want f32", a.DType)
	}
	if err := b.Check(); err != nil {
		return nil, fmt.Errorf("B: %w", err)
	}
	g, ok := quant.FromIRType(b.DType)
	if !ok || !b.DType.IsBlock() {
		return nil, fmt.Errorf("B is %v, not a ggml block type", b.DType)
	}
	at, ok := quant.VecDotType(g)
	if !ok {
		return nil, fmt.Errorf("%v has no block dot product", b.DType)
	}
	if len(b.Shape) != 2 {
		return nil, fmt.Errorf("B has shape %v, want [N, K]", b.Shape)
	}
	if len(a.Shape) == 0 {
		return nil, fmt.Errorf("A is a scalar; want rank 1 or more")
	}
	n, k := b.Shape[0], b.Shape[1]
	if ka := a.Shape[len(a.Shape)-1]; ka != k {
		return nil, fmt.Errorf("inner dims differ: A %v, B %v", a.Shape, b.Shape)
	}
	wb, err := quant.RowBytes(g, int64(k))
	if err != nil {
		return nil, fmt.Errorf("B: %w", err)
	}
	qb, err := quant.RowBytes(at, int64(k))
	if err != nil {
		return nil, fmt.Errorf("A's %s rows: %w", at, err)
	}
	shape := append(append([]int{}, a.Shape[:len(a.Shape)-1]...), n)
	out := tensor.New(ir.F32, shape)
	x, y, w := tensor.Data[float32](a), tensor.Data[float32](out), b.Data.([]byte)
	rows := 1
	if k > 0 {
		rows = len(x) / k
	} else {
		rows = len(y) / max(n, 1)
	}
	q := make([]byte, qb)
	for r := 0; r < rows; r++ {
		if err := quant.QuantizeActivations(at, x[r*k:(r+1)*k], q); err != nil {
			return nil, err
		}
		for j := 0; j < n; j++ {
			if k == 0 {
				y[r*n+j] = 0
				continue
			}
			d, err := quant.VecDotAVX2(g, w[int64(j)*wb:int64(j+1)*wb], q, rows)
			if err != nil {
				return nil, err
			}
			y[r*n+j] = d
		}
	}
	return []Value{out}, nil
}
