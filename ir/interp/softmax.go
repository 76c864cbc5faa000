package interp

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("Softmax", kernelSoftmaxFamily)
	Register("LogSoftmax", kernelSoftmaxFamily)
	Register("Hardmax", kernelSoftmaxFamily)
}

// kernelSoftmaxFamily normalizes along one axis (opset-13 semantics),
// computing in float64 and rounding to the input's float type.
func kernelSoftmaxFamily(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if !x.DType.IsFloat() {
		return nil, fmt.Errorf("%s needs a float input, got %v", op.Name, x.DType)
	}
	if x.Rank() == 0 {
		return nil, fmt.Errorf("input must have rank >= 1")
	}
	ax, err := ir.NormAxis(op.Int("axis"), x.Rank())
	if err != nil {
		return nil, err
	}
	v, err := numericAsF64(x)
	if err != nil {
		return nil, err
	}
	outer := NumElements(x.Shape[:ax])
	n := x.Shape[ax]
	inner := NumElements(x.Shape[ax+1:])
	out := scratch[float64](len(v))
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			base := o*n*inner + in
			softmaxLine(op.Name, v, out, base, inner, n)
		}
	}
	t, err := numericFromF64(x.DType, x.Shape, out)
	if err != nil {
		return nil, err
	}
	return []Value{t}, nil
}

// softmaxLine normalizes the n elements base, base+stride, ... of v into out.
func softmaxLine(name string, v, out []float64, base, stride, n int) {
	if n == 0 {
		return
	}
	mx, arg := math.Inf(-1), 0
	for k := 0; k < n; k++ {
		if x := v[base+k*stride]; x > mx {
			mx, arg = x, k
		}
	}
	if name == "Hardmax" {
		out[base+arg*stride] = 1
		return
	}
	sum := 0.0
	for k := 0; k < n; k++ {
		sum += math.Exp(v[base+k*stride] - mx)
	}
	for k := 0; k < n; k++ {
		i := base + k*stride
		if name == "LogSoftmax" {
			out[i] = v[i] - mx - math.Log(sum)
		} else {
			out[i] = math.Exp(v[i]-mx) / sum
		}
	}
}
