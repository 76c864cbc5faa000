package interp

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("RandomUniform", kernelRandomFill)
	Register("RandomNormal", kernelRandomFill)
	Register("RandomUniformLike", kernelRandomFill)
	Register("RandomNormalLike", kernelRandomFill)
	Register("Bernoulli", kernelBernoulli)
	Register("Multinomial", kernelMultinomial)
}

// randomSource returns the source an op draws from: its own, seeded by the
// seed attribute, or the interpreter's.
func randomSource(c *Ctx, op *ir.Op) *rand.Rand {
	if v, ok := op.Attr("seed"); ok && v.Kind == ir.AttrFloat {
		return rand.New(rand.NewSource(int64(math.Float64bits(float64(v.Float)))))
	}
	return c.Rand()
}

func kernelRandomFill(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 0, 1)
	if err != nil {
		return nil, err
	}
	var shape []int
	d := ir.F32
	if x := ts[0]; x != nil {
		shape, d = x.Shape, x.DType
	} else {
		for _, s := range op.Ints("shape") {
			if s < 0 {
				return nil, fmt.Errorf("shape %v has a negative dim", op.Ints("shape"))
			}
			shape = append(shape, int(s))
		}
	}
	if v, ok := op.Attr("dtype"); ok && v.Kind == ir.AttrDType {
		d = v.DType
	}
	if !d.IsFloat() {
		return nil, fmt.Errorf("%s produces float tensors, dtype is %v", op.Name, d)
	}
	rng := randomSource(c, op)
	v := scratch[float64](NumElements(shape))
	switch op.Name {
	case "RandomUniform", "RandomUniformLike":
		lo, hi := float64(op.Float("low")), float64(op.Float("high"))
		for i := range v {
			v[i] = lo + (hi-lo)*rng.Float64()
		}
	default:
		mean, scale := float64(op.Float("mean")), float64(op.Float("scale"))
		for i := range v {
			v[i] = mean + scale*rng.NormFloat64()
		}
	}
	out, err := numericFromF64(d, shape, v)
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}

func kernelBernoulli(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if !x.DType.IsFloat() {
		return nil, fmt.Errorf("input must be float probabilities, got %v", x.DType)
	}
	p, err := numericAsF64(x)
	if err != nil {
		return nil, err
	}
	d := x.DType
	if v, ok := op.Attr("dtype"); ok && v.Kind == ir.AttrDType {
		d = v.DType
	}
	rng := randomSource(c, op)
	draws := scratch[float64](len(p))
	for i, pi := range p {
		if math.IsNaN(pi) || pi < 0 || pi > 1 {
			return nil, fmt.Errorf("probability %v at flat index %d is outside [0, 1]", pi, i)
		}
		if rng.Float64() < pi {
			draws[i] = 1
		}
	}
	if d == ir.Bool {
		b := scratch[bool](len(draws))
		for i, v := range draws {
			b[i] = v == 1
		}
		return []Value{FromSlice(x.Shape, b)}, nil
	}
	out, err := numericFromF64(d, x.Shape, draws)
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}

func kernelMultinomial(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if x.Rank() != 2 || !x.DType.IsFloat() {
		return nil, fmt.Errorf("input must be a float [batch, classes] tensor, got %v%v", x.DType, x.Shape)
	}
	logits, err := numericAsF64(x)
	if err != nil {
		return nil, err
	}
	batch, classes := x.Shape[0], x.Shape[1]
	n := int(op.Int("sample_size"))
	if n < 1 {
		return nil, fmt.Errorf("sample_size %d: want >= 1", n)
	}
	if classes == 0 {
		return nil, fmt.Errorf("no classes to draw from")
	}
	rng := randomSource(c, op)
	res := scratchOf[float64](batch, n)
	probs := scratch[float64](len(logits))
	for b := 0; b < batch; b++ {
		softmaxLine("Softmax", logits, probs, b*classes, 1, classes)
		row := probs[b*classes : (b+1)*classes]
		for s := 0; s < n; s++ {
			u, k := rng.Float64(), 0
			for ; k < classes-1; k++ {
				if u < row[k] {
					break
				}
				u -= row[k]
			}
			res[b*n+s] = float64(k)
		}
	}
	d, _ := op.Attr("dtype")
	out, err := numericFromF64(d.DType, []int{batch, n}, res)
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}
