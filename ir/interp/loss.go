package interp

import (
	"fmt"
	"slices"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("NegativeLogLikelihoodLoss", kernelNLLLoss)
	Register("SoftmaxCrossEntropyLoss", kernelSoftmaxCrossEntropy)
}

// nllLoss computes the loss from log-probabilities logp of shape
// (N, C, d...) and integer targets of shape (N, d...).
func nllLoss(op *ir.Op, logp []float64, shape []int, target, weight *Tensor) ([]float64, []int, error) {
	if len(shape) < 2 {
		return nil, nil, fmt.Errorf("input must have rank >= 2 (N, C, ...), got shape %v", shape)
	}
	N, C := shape[0], shape[1]
	inner := NumElements(shape[2:])
	tshape := append([]int{N}, shape[2:]...)
	if !slices.Equal(target.Shape, tshape) {
		return nil, nil, fmt.Errorf("target shape %v, want %v for input %v", target.Shape, tshape, shape)
	}
	if !target.DType.IsInt() {
		return nil, nil, fmt.Errorf("target must be an integer tensor, got %v", target.DType)
	}
	tv := widenIntTensor[int64](target)
	var w []float64
	if weight != nil {
		if len(weight.Shape) != 1 || weight.Shape[0] != C {
			return nil, nil, fmt.Errorf("weight shape %v, want [%d]", weight.Shape, C)
		}
		var err error
		if w, err = numericAsF64(weight); err != nil {
			return nil, nil, err
		}
	}
	ignore, hasIgnore := int64(0), op.Has("ignore_index")
	if hasIgnore {
		ignore = op.Int("ignore_index")
	}
	loss := scratchOf[float64](N, inner)
	wsum := 0.0
	for n := 0; n < N; n++ {
		for d := 0; d < inner; d++ {
			i := n*inner + d
			c := tv[i]
			if hasIgnore && c == ignore {
				continue
			}
			if c < 0 || c >= int64(C) {
				return nil, nil, fmt.Errorf("target %d at flat index %d is outside [0, %d)", c, i, C)
			}
			wc := 1.0
			if w != nil {
				wc = w[c]
			}
			loss[i] = -logp[(n*C+int(c))*inner+d] * wc
			wsum += wc
		}
	}
	switch red := op.Str("reduction"); red {
	case "none":
		return loss, tshape, nil
	case "sum", "mean":
		s := 0.0
		for _, l := range loss {
			s += l
		}
		if red == "mean" {
			s /= wsum
		}
		return []float64{s}, []int{}, nil
	default:
		return nil, nil, fmt.Errorf("reduction %q: want none, sum or mean", red)
	}
}

func kernelNLLLoss(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 3)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if !x.DType.IsFloat() {
		return nil, fmt.Errorf("input must be float, got %v", x.DType)
	}
	v, err := numericAsF64(x)
	if err != nil {
		return nil, err
	}
	loss, shape, err := nllLoss(op, v, x.Shape, ts[1], ts[2])
	if err != nil {
		return nil, err
	}
	out, err := numericFromF64(x.DType, shape, loss)
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}

func kernelSoftmaxCrossEntropy(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 3)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if !x.DType.IsFloat() {
		return nil, fmt.Errorf("scores must be float, got %v", x.DType)
	}
	if x.Rank() < 2 {
		return nil, fmt.Errorf("scores must have rank >= 2 (N, C, ...), got shape %v", x.Shape)
	}
	v, err := numericAsF64(x)
	if err != nil {
		return nil, err
	}
	logp := scratch[float64](len(v))
	C, inner := x.Shape[1], NumElements(x.Shape[2:])
	for n := 0; n < x.Shape[0]; n++ {
		for d := 0; d < inner; d++ {
			softmaxLine("LogSoftmax", v, logp, n*C*inner+d, inner, C)
		}
	}
	loss, shape, err := nllLoss(op, logp, x.Shape, ts[1], ts[2])
	if err != nil {
		return nil, err
	}
	out, err := numericFromF64(x.DType, shape, loss)
	if err != nil {
		return nil, err
	}
	lp, err := numericFromF64(x.DType, x.Shape, logp)
	if err != nil {
		return nil, err
	}
	return []Value{out, lp}, nil
}
