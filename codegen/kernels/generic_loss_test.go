package kernels

import (
	"math"
	"strings"
	"testing"
)

// TestLossNLL checks lossNLL on cases small enough to compute by hand.
func TestLossNLL(t *testing.T) {
	// x is (n=2, c=3, inner=1).
	x := []float64{-1, -2, -3, -0.5, -1.5, -2.5}
	w := []float64{1, 2, 4}
	// log softmax of (1, 2, 3): each minus log(e + e^2 + e^3).
	l3 := math.Log(math.E + math.Exp(2) + math.Exp(3))
	cases := []struct {
		name      string
		target    []int64
		weight    []float64
		ignore    bool
		reduction int
		soft      bool
		scores    []float64
		want      []float64
	}{
		{"none", []int64{0, 2}, nil, false, lossNone, false, x, []float64{1, 2.5}},
		{"sum weighted", []int64{1, 2}, w, false, lossSum, false, x, []float64{2*2 + 4*2.5}},
		{"mean weighted", []int64{1, 2}, w, false, lossMean, false, x, []float64{(2*2 + 4*2.5) / 6}},
		{"mean ignore", []int64{1, 0}, w, true, lossMean, false, x, []float64{2}},
		{"softmax", []int64{2, 0}, nil, false, lossNone, true, []float64{1, 2, 3, 1, 2, 3}, []float64{l3 - 3, l3 - 1}},
	}
	for _, c := range cases {
		y := make([]float64, len(c.want))
		var logp []float64
		if c.soft {
			logp = make([]float64, 6)
		}
		if err := lossNLL(c.scores, c.target, c.weight, 2, 3, 1, 0, c.ignore, c.reduction, c.soft, y, logp); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i := range y {
			if math.Abs(y[i]-c.want[i]) > 1e-12 {
				t.Errorf("%s: y = %v, want %v", c.name, y, c.want)
				break
			}
		}
		if c.soft && math.Abs(logp[0]-(1-l3)) > 1e-12 {
			t.Errorf("%s: logp[0] = %g, want %g", c.name, logp[0], 1-l3)
		}
	}
	err := lossNLL(x, []int32{0, 3}, nil, 2, 3, 1, 0, false, lossSum, false, make([]float64, 1), nil)
	if err == nil || !strings.Contains(err.Error(), "outside [0, 3)") {
		t.Errorf("target 3 of 3 classes: err = %v", err)
	}
}
