package kernels

import (
	"math"
	"testing"
)

// TestRecurrent checks one-unit RNN, GRU and LSTM layers against their
// update rules written out by hand.
func TestRecurrent(t *testing.T) {
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	x := []float64{1, -2} // two steps, batch 1, input 1
	// RNN: h1 = tanh(0.5*1 + 0.1), h2 = tanh(0.5*-2 + 2*h1 + 0.1); the
	// bias is Wb 0.1 then Rb 0.
	l := rnnLayer{gates: 1, seq: 2, batch: 1, input: 1, hid: 1, dirs: 1, acts: []string{"tanh"}, alpha: []float64{0}, beta: []float64{0}}
	y, yh := make([]float64, 2), make([]float64, 1)
	if err := recurrent[float64, int64](l, x, []float64{0.5}, []float64{2}, []float64{0.1, 0}, nil, nil, nil, nil, y, yh, nil); err != nil {
		t.Fatal(err)
	}
	h1 := math.Tanh(0.6)
	h2 := math.Tanh(-1 + 2*h1 + 0.1)
	if !closeF64(y, []float64{h1, h2}) || yh[0] != y[1] {
		t.Errorf("RNN: y %v yh %v, want %v", y, yh, []float64{h1, h2})
	}
	// The same layer reversed with a sequence length of 1 reads only x[0]
	// and leaves the second step zero.
	l.reverse = true
	if err := recurrent(l, x, []float64{0.5}, []float64{2}, []float64{0.1, 0}, []int32{1}, nil, nil, nil, y, yh, nil); err != nil {
		t.Fatal(err)
	}
	if !closeF64(y, []float64{h1, 0}) {
		t.Errorf("reversed RNN of length 1: %v", y)
	}
	// GRU, one step, W = (wz, wr, wh) = (1, 2, 3), R = 0, no bias, h0 = 0.5:
	// z = σ(1), r = σ(2), h~ = tanh(3), h = (1-z) h~ + z*0.5.
	lg := rnnLayer{gates: 3, seq: 1, batch: 1, input: 1, hid: 1, dirs: 1, acts: []string{"sigmoid", "tanh"}, alpha: []float64{0, 0}, beta: []float64{0, 0}}
	yg := make([]float64, 1)
	if err := recurrent[float64, int64](lg, []float64{1}, []float64{1, 2, 3}, []float64{0, 0, 0}, nil, nil, []float64{0.5}, nil, nil, yg, nil, nil); err != nil {
		t.Fatal(err)
	}
	z := sig(1)
	if want := (1-z)*math.Tanh(3) + z*0.5; math.Abs(yg[0]-want) > 1e-12 {
		t.Errorf("GRU: %v, want %v", yg[0], want)
	}
	// LSTM, one step, W = (i, o, f, c) = (1, 2, 3, 4), x = 1, c0 = 0.5,
	// peepholes (i, o, f) = (0.1, 0.2, 0.3).
	ll := rnnLayer{gates: 4, seq: 1, batch: 1, input: 1, hid: 1, dirs: 1, acts: []string{"sigmoid", "tanh", "tanh"}, alpha: make([]float64, 3), beta: make([]float64, 3)}
	yh, yc := make([]float64, 1), make([]float64, 1)
	if err := recurrent[float64, int64](ll, []float64{1}, []float64{1, 2, 3, 4}, make([]float64, 4), nil, nil, nil, []float64{0.5}, []float64{0.1, 0.2, 0.3}, nil, yh, yc); err != nil {
		t.Fatal(err)
	}
	i, f := sig(1+0.1*0.5), sig(3+0.3*0.5)
	c := f*0.5 + i*math.Tanh(4)
	o := sig(2 + 0.2*c)
	if math.Abs(yc[0]-c) > 1e-12 || math.Abs(yh[0]-o*math.Tanh(c)) > 1e-12 {
		t.Errorf("LSTM: h %v c %v, want %v %v", yh[0], yc[0], o*math.Tanh(c), c)
	}
}
