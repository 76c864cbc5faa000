package interp

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

func init() { Register("Einsum", kernelEinsum) }

// kernelEinsum evaluates the resolved equation literally: it visits every
// assignment of values to all labels, multiplies the operands' elements at
// those coordinates and adds the product to the output element. Repeated
// labels within one operand therefore read its diagonal.
func kernelEinsum(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, len(args), len(args))
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("no operands")
	}
	d := ts[0].DType
	ranks := scratch[int](len(ts))
	data := scratch[[]float64](len(ts))
	for i, t := range ts {
		if t.DType != d {
			return nil, fmt.Errorf("operand %d is %v, operand 0 is %v", i, t.DType, d)
		}
		ranks[i] = t.Rank()
		if data[i], err = numericAsF64(t); err != nil {
			return nil, err
		}
	}
	p, err := ir.PlanEinsum(op.Str("equation"), ranks)
	if err != nil {
		return nil, err
	}
	size := scratch[int](p.NumLabels)
	for i := range size {
		size[i] = 1
	}
	for i, labels := range p.Inputs {
		for k, l := range labels {
			n := ts[i].Shape[k]
			switch {
			case n == size[l] || n == 1:
			case size[l] == 1:
				size[l] = n
			default:
				return nil, fmt.Errorf("label sizes disagree: operand %d dim %d is %d, elsewhere %d", i, k, n, size[l])
			}
		}
	}
	// Per operand and label, the stride the label contributes (0 for a
	// broadcast size-1 dim); repeated labels add their strides.
	strides := scratch[[]int](len(ts))
	for i, labels := range p.Inputs {
		strides[i] = scratch[int](p.NumLabels)
		st := Strides(ts[i].Shape)
		for k, l := range labels {
			if ts[i].Shape[k] != 1 {
				strides[i][l] += st[k]
			}
		}
	}
	outShape := scratch[int](len(p.Output))
	for i, l := range p.Output {
		outShape[i] = size[l]
	}
	outSt := scratch[int](p.NumLabels)
	for i, st := range Strides(outShape) {
		outSt[p.Output[i]] = st
	}
	y := scratch[float64](NumElements(outShape))
	total := NumElements(size)
	coord := scratch[int](p.NumLabels)
	for it := 0; it < total; it++ {
		prod := 1.0
		for i := range ts {
			off := 0
			for l, cv := range coord {
				off += cv * strides[i][l]
			}
			prod *= data[i][off]
		}
		o := 0
		for l, cv := range coord {
			o += cv * outSt[l]
		}
		y[o] += prod
		for l := p.NumLabels - 1; l >= 0; l-- {
			coord[l]++
			if coord[l] < size[l] {
				break
			}
			coord[l] = 0
		}
	}
	return []Value{nnFromFloats(d, outShape, y)}, nil
}
