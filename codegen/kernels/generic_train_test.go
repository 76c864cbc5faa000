package kernels

import (
	"slices"
	"testing"
)

// TestBernoulli checks certain outcomes at probabilities 0 and 1, that a
// seeded generator repeats its draws and the package-level one runs, and
// the error for a probability outside [0, 1].
func TestBernoulli(t *testing.T) {
	p := []float32{0, 1, 0, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}
	draw := func(seeded bool) []bool {
		out := make([]bool, len(p))
		if err := bernoulli(p, randSource(7, seeded), func(i int, one bool) { out[i] = one }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := draw(true), draw(true)
	if !slices.Equal(a, b) {
		t.Errorf("seeded draws differ: %v and %v", a, b)
	}
	for _, d := range [][]bool{a, draw(false)} {
		if d[0] || !d[1] || d[2] || !d[3] {
			t.Errorf("certain outcomes: %v", d[:4])
		}
	}
	if err := bernoulli([]float64{0.5, 1.5}, nil, func(int, bool) {}); err == nil {
		t.Error("probability 1.5: no error")
	}
}

// TestRandomFill checks the range of uniform draws and that a normal draw
// of scale 0 is its mean.
func TestRandomFill(t *testing.T) {
	y := make([]float64, 1000)
	randomFill(y, randSource(1, true), false, 2, 3)
	for i, v := range y {
		if v < 2 || v >= 3 {
			t.Fatalf("uniform draw %d is %v, outside [2, 3)", i, v)
		}
	}
	z := make([]float32, 3)
	randomFill(z, nil, true, 1.5, 0)
	if !slices.Equal(z, []float32{1.5, 1.5, 1.5}) {
		t.Errorf("normal of scale 0: %v", z)
	}
}

// TestDropout checks the identity outside training and at ratio 0, that
// in training each element is either dropped or scaled by 1/(1-ratio)
// as the mask says, and the error for ratio 1.
func TestDropout(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8}
	y, mask := make([]float32, 8), make([]bool, 8)
	for _, c := range []struct {
		ratio    float64
		training bool
	}{{0.5, false}, {0, true}} {
		if err := dropout(x, y, mask, c.ratio, c.training, nil); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(y, x) || slices.Contains(mask, false) {
			t.Errorf("ratio %v, training %v: y %v, mask %v", c.ratio, c.training, y, mask)
		}
	}
	if err := dropout(x, y, mask, 0.75, true, randSource(3, true)); err != nil {
		t.Fatal(err)
	}
	for i := range x {
		if want := map[bool]float32{true: 4 * x[i], false: 0}[mask[i]]; y[i] != want {
			t.Errorf("element %d: %v with mask %v, want %v", i, y[i], mask[i], want)
		}
	}
	if err := dropout(x, y, nil, 1, true, nil); err == nil {
		t.Error("ratio 1: no error")
	}
}

// TestBatchNormTrain checks batch statistics and running ones on a
// (2, 2, 2) input worked out by hand.
func TestBatchNormTrain(t *testing.T) {
	// Channel 0 holds 1, 3, 5, 7: mean 4, variance (9+1+1+9)/4 = 5.
	// Channel 1 holds 2, 2, 2, 2: mean 2, variance 0.
	x := []float64{1, 3, 2, 2, 5, 7, 2, 2}
	y, rm, rv := make([]float64, 8), make([]float64, 2), make([]float64, 2)
	batchNormTrain(x, []float64{2, 1}, []float64{0, 10}, []float64{0, 1}, []float64{1, 1}, y, rm, rv, 2, 2, 2, 4, 0.5)
	// Channel 0: 2*(x-4)/sqrt(5+4) = 2*(x-4)/3; channel 1: 0 + 10.
	want := []float64{-2, -2.0 / 3, 10, 10, 2.0 / 3, 2, 10, 10}
	for i := range want {
		if d := y[i] - want[i]; d > 1e-12 || d < -1e-12 {
			t.Errorf("y[%d] = %v, want %v", i, y[i], want[i])
		}
	}
	// Running: 0*0.5 + 4*0.5 = 2, 1*0.5 + 2*0.5 = 1.5; 1*0.5 + 5*0.5 = 3, 1*0.5 + 0 = 0.5.
	if !slices.Equal(rm, []float64{2, 1.5}) || !slices.Equal(rv, []float64{3, 0.5}) {
		t.Errorf("running mean %v, variance %v", rm, rv)
	}
}
