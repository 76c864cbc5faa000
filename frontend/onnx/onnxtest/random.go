package onnxtest

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir/interp"
)

// CheckedRandom is the Reason recorded on a passed test whose outputs are
// random draws: its values were checked statistically, not compared.
const CheckedRandom = "checked on shape/dtype/statistics"

// RandomCheck checks one output of a test whose expected values are draws
// from the random generator that produced the test (numpy's), which no
// other runtime reproduces. got already has want's dtype and shape; the
// check decides whether got is a plausible draw given the test's inputs.
type RandomCheck func(inputs []interp.Value, got, want *interp.Tensor) error

// RandomTests lists the backend tests with random outputs and the check
// that replaces value comparison for each. Add a test here only when its
// outputs are random by definition; any other mismatch is a real failure.
var RandomTests = map[string]RandomCheck{
	"test_bernoulli":                 checkBernoulliDraws,
	"test_bernoulli_double":          checkBernoulliDraws,
	"test_bernoulli_seed":            checkBernoulliDraws,
	"test_bernoulli_expanded":        checkBernoulliDraws,
	"test_bernoulli_double_expanded": checkBernoulliDraws,
	"test_bernoulli_seed_expanded":   checkBernoulliDraws,
}

// checkRandomOutputs compares dtypes and shapes exactly and leaves the
// values to check.
func checkRandomOutputs(check RandomCheck, inputs, got, want []interp.Value) error {
	for i := range want {
		w, ok := want[i].(*interp.Tensor)
		if !ok {
			return fmt.Errorf("output %d: random checks need tensor outputs", i)
		}
		g, ok := got[i].(*interp.Tensor)
		if !ok {
			return fmt.Errorf("output %d: got %v, want a tensor", i, got[i].Type())
		}
		if g.DType != w.DType {
			return fmt.Errorf("output %d: dtype %v, want %v", i, g.DType, w.DType)
		}
		if !sameShape(g.Shape, w.Shape) {
			return fmt.Errorf("output %d: shape %v, want %v", i, g.Shape, w.Shape)
		}
		if err := check(inputs, g, w); err != nil {
			return fmt.Errorf("output %d: %w", i, err)
		}
	}
	return nil
}

// checkBernoulliDraws checks that every draw is 0 or 1, that certain
// outcomes (p = 0 or 1) came out as they must, and that the number of ones
// is within 4 standard deviations (plus one) of its expectation.
func checkBernoulliDraws(inputs []interp.Value, got, want *interp.Tensor) error {
	x, ok := inputs[0].(*interp.Tensor)
	if !ok || x.Len() != got.Len() {
		return fmt.Errorf("want one probability per draw")
	}
	p := asFloats(x)
	draws := asFloats(got)
	if p == nil || draws == nil {
		return fmt.Errorf("cannot read %v probabilities or %v draws", x.DType, got.DType)
	}
	ones, mean, variance := 0.0, 0.0, 0.0
	for i, d := range draws {
		if d != 0 && d != 1 {
			return fmt.Errorf("draw %v at flat index %d is neither 0 nor 1", d, i)
		}
		if (p[i] == 0 && d != 0) || (p[i] == 1 && d != 1) {
			return fmt.Errorf("draw %v at flat index %d has probability %v", d, i, p[i])
		}
		ones += d
		mean += p[i]
		variance += p[i] * (1 - p[i])
	}
	if math.Abs(ones-mean) > 4*math.Sqrt(variance)+1 {
		return fmt.Errorf("%v ones in %d draws, expected about %.1f", ones, len(draws), mean)
	}
	return nil
}

// asFloats reads a real or bool tensor as float64s, or returns nil.
func asFloats(t *interp.Tensor) []float64 {
	out := make([]float64, t.Len())
	for i := range out {
		switch d := t.Data.(type) {
		case []float32:
			out[i] = float64(d[i])
		case []float64:
			out[i] = d[i]
		case []bool:
			if d[i] {
				out[i] = 1
			}
		case []int32:
			out[i] = float64(d[i])
		case []int64:
			out[i] = float64(d[i])
		default:
			return nil
		}
	}
	return out
}
