package onnxtest

import (
	"fmt"
	"math"
	"slices"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// CheckedRandom is the Reason recorded on a passed test whose outputs are
// random draws: its values were checked statistically, not compared.
const CheckedRandom = "checked on shape/dtype/statistics"

// RandomCheck checks the outputs of a test whose expected values are draws
// from the random generator that produced the test (numpy's), which no
// other runtime reproduces. got already has want's dtypes and shapes; the
// check decides whether got is a plausible draw given the test's inputs.
type RandomCheck func(inputs []interp.Value, got []*interp.Tensor) error

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
	// Dropout in training mode with a ratio above 0 drops at random.
	"test_training_dropout":              checkTrainingDropout,
	"test_training_dropout_default":      checkTrainingDropout,
	"test_training_dropout_mask":         checkTrainingDropout,
	"test_training_dropout_default_mask": checkTrainingDropout,
}

// checkRandomOutputs compares dtypes and shapes exactly and leaves the
// values to check.
func checkRandomOutputs(check RandomCheck, inputs, got, want []interp.Value) error {
	ts := make([]*interp.Tensor, len(want))
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
		if !slices.Equal(g.Shape, w.Shape) {
			return fmt.Errorf("output %d: shape %v, want %v", i, g.Shape, w.Shape)
		}
		ts[i] = g
	}
	return check(inputs, ts)
}

// plausibleCount reports whether k successes in trials with the given
// summed probability and variance are within 4 standard deviations (plus
// one) of the expectation.
func plausibleCount(k, mean, variance float64) bool {
	return math.Abs(k-mean) <= 4*math.Sqrt(variance)+1
}

// checkBernoulliDraws checks that every draw is 0 or 1, that certain
// outcomes (p = 0 or 1) came out as they must, and that the number of ones
// is plausible.
func checkBernoulliDraws(inputs []interp.Value, got []*interp.Tensor) error {
	x, ok := inputs[0].(*interp.Tensor)
	if !ok || len(got) != 1 || x.Len() != got[0].Len() {
		return fmt.Errorf("want one probability per draw")
	}
	p := asFloats(x)
	draws := asFloats(got[0])
	if p == nil || draws == nil {
		return fmt.Errorf("cannot read %v probabilities or %v draws", x.DType, got[0].DType)
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
	if !plausibleCount(ones, mean, variance) {
		return fmt.Errorf("%v ones in %d draws, expected about %.1f", ones, len(draws), mean)
	}
	return nil
}

// checkTrainingDropout checks Dropout(data, ratio, training_mode=true):
// every output element is 0 (dropped) or data/(1-ratio) (kept), the mask
// (second output, when present) says which, and the number dropped is
// plausible for ratio.
func checkTrainingDropout(inputs []interp.Value, got []*interp.Tensor) error {
	x, ok := inputs[0].(*interp.Tensor)
	if !ok || x.Len() != got[0].Len() {
		return fmt.Errorf("want one output element per input element")
	}
	ratio := 0.5
	if len(inputs) > 1 && inputs[1] != nil {
		r, ok := inputs[1].(*interp.Tensor)
		if !ok || r.Len() != 1 || asFloats(r) == nil {
			return fmt.Errorf("ratio must be a real scalar")
		}
		ratio = asFloats(r)[0]
	}
	xv, yv := asFloats(x), asFloats(got[0])
	if xv == nil || yv == nil {
		return fmt.Errorf("cannot read %v data or %v output", x.DType, got[0].DType)
	}
	var mask []float64
	if len(got) > 1 {
		if mask = asFloats(got[1]); mask == nil {
			return fmt.Errorf("cannot read the %v mask", got[1].DType)
		}
	}
	scale := 1 / (1 - ratio)
	dropped, n := 0.0, 0.0
	for i, y := range yv {
		kept, _ := closeF(y, xv[i]*scale)
		switch {
		case xv[i] == 0:
			continue // kept or dropped look the same
		case y == 0:
			dropped++
		case !kept:
			return fmt.Errorf("output %v at flat index %d is neither 0 nor data/(1-ratio) = %v", y, i, xv[i]*scale)
		}
		n++
		if mask != nil && (mask[i] == 1) != (y != 0) {
			return fmt.Errorf("mask %v at flat index %d disagrees with output %v", mask[i] == 1, i, y)
		}
	}
	if !plausibleCount(dropped, n*ratio, n*ratio*(1-ratio)) {
		return fmt.Errorf("%v of %v elements dropped, expected about %.1f for ratio %v", dropped, n, n*ratio, ratio)
	}
	return nil
}

// asFloats reads a real or bool tensor as float64s, or returns nil.
func asFloats(t *interp.Tensor) []float64 {
	if t.DType == ir.String || t.DType.Info().Complex {
		return nil
	}
	f, err := interp.CastTensor(t, ir.F64)
	if err != nil {
		return nil
	}
	return interp.Data[float64](f)
}

// CheckRandom applies the check of RandomTests to a test run by another
// engine than the interpreter (the compiled one): ok reports whether test
// (a test's folder name) has random outputs; then err is the check's
// verdict on got, whose dtypes and shapes must be want's.
func CheckRandom(test string, inputs, got, want []interp.Value) (ok bool, err error) {
	check := RandomTests[test]
	if check == nil {
		return false, nil
	}
	return true, checkRandomOutputs(check, inputs, got, want)
}
