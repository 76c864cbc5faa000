package onnxtest

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir/interp"
)

// checkDropoutDraws is the statistical stand-in for comparing the outputs
// of a training-mode Dropout test (inputs x, optional ratio, training_mode),
// whose expected values are numpy's random draws. For the output it checks
// that every element is either 0 or x/(1-ratio); for the bool mask that it
// agrees with that choice where the values tell it apart. In both, the
// number of kept elements must be within 4 standard deviations (plus one)
// of n*(1-ratio). Its signature fits a per-output random-test check.
func checkDropoutDraws(inputs []interp.Value, got, want *interp.Tensor) error {
	x, ok := inputs[0].(*interp.Tensor)
	if !ok || x.Len() != got.Len() {
		return fmt.Errorf("want one data element per output element")
	}
	ratio := 0.5
	if len(inputs) > 1 && inputs[1] != nil {
		r, ok := inputs[1].(*interp.Tensor)
		if !ok || r.Len() != 1 {
			return fmt.Errorf("ratio is not a scalar tensor")
		}
		v := dropoutCheckFloats(r)
		if v == nil {
			return fmt.Errorf("cannot read ratio of type %v", r.DType)
		}
		ratio = v[0]
	}
	xs := dropoutCheckFloats(x)
	if xs == nil {
		return fmt.Errorf("cannot read data of type %v", x.DType)
	}
	kept := 0
	switch d := got.Data.(type) {
	case []bool:
		for _, k := range d {
			if k {
				kept++
			}
		}
	default:
		ys := dropoutCheckFloats(got)
		if ys == nil {
			return fmt.Errorf("cannot read output of type %v", got.DType)
		}
		for i, y := range ys {
			scaled := xs[i] / (1 - ratio)
			switch {
			case y == 0 && xs[i] != 0:
			case math.Abs(y-scaled) <= 1e-5*math.Max(1, math.Abs(scaled)):
				kept++
			default:
				return fmt.Errorf("element %d is %v; want 0 or %v", i, y, scaled)
			}
		}
	}
	n := float64(got.Len())
	mean, sd := n*(1-ratio), math.Sqrt(n*ratio*(1-ratio))
	if math.Abs(float64(kept)-mean) > 4*sd+1 {
		return fmt.Errorf("%d of %d elements kept; expected about %.1f", kept, got.Len(), mean)
	}
	return nil
}

// dropoutCheckFloats reads a float tensor as float64s, or returns nil.
func dropoutCheckFloats(t *interp.Tensor) []float64 {
	switch d := t.Data.(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	case []float64:
		return append([]float64(nil), d...)
	}
	return nil
}
