package kernels

import (
	"fmt"
	"math"
)

// Loss reductions, the values of lossNLL's reduction argument.
const (
	lossNone = 0
	lossSum  = 1
	lossMean = 2
)

// lossNLL computes NegativeLogLikelihoodLoss of x, of shape (n, c, inner
// dims flattened), in float64: loss[i, d] = -x[i, target[i, d], d] times
// the target's weight (1 without weights), 0 where the target equals
// ignore (when hasIgnore), then reduced to one value (sum, or mean: the
// sum over the weights counted) or left per element (into y, of shape
// (n, inner)). With logSoftmax, x holds scores: the loss reads their log
// softmax over the c classes instead, and it is written into logp unless
// logp is nil (SoftmaxCrossEntropyLoss). A target outside [0, c) that is
// not ignored is an error.
func lossNLL[T ~float32 | ~float64, I ~int32 | ~int64](x []T, target []I, weight []T, n, c, inner int, ignore int64, hasIgnore bool, reduction int, logSoftmax bool, y, logp []T) error {
	lp := make([]float64, n*c*inner)
	for i := range lp {
		lp[i] = float64(x[i])
	}
	if logSoftmax {
		for b := 0; b < n; b++ {
			for d := 0; d < inner; d++ {
				base := b*c*inner + d
				mx := math.Inf(-1)
				for k := 0; k < c; k++ {
					mx = math.Max(mx, lp[base+k*inner])
				}
				sum := 0.0
				for k := 0; k < c; k++ {
					sum += math.Exp(lp[base+k*inner] - mx)
				}
				ls := math.Log(sum)
				for k := 0; k < c; k++ {
					lp[base+k*inner] -= mx + ls
				}
			}
		}
		for i := range logp {
			logp[i] = T(lp[i])
		}
	}
	loss := make([]float64, n*inner)
	wsum := 0.0
	for b := 0; b < n; b++ {
		for d := 0; d < inner; d++ {
			i := b*inner + d
			t := int64(target[i])
			if hasIgnore && t == ignore {
				continue
			}
			if t < 0 || t >= int64(c) {
				return fmt.Errorf("target %d at flat index %d is outside [0, %d)", t, i, c)
			}
			w := 1.0
			if weight != nil {
				w = float64(weight[t])
			}
			loss[i] = -lp[(b*c+int(t))*inner+d] * w
			wsum += w
		}
	}
	if reduction == lossNone {
		for i, l := range loss {
			y[i] = T(l)
		}
		return nil
	}
	s := 0.0
	for _, l := range loss {
		s += l
	}
	if reduction == lossMean {
		s /= wsum
	}
	y[0] = T(s)
	return nil
}
