package onnxtest

import (
	"testing"

	"github.com/kiln-ml/kiln/ir/interp"
)

func TestCheckBernoulliDraws(t *testing.T) {
	p := interp.FromSlice([]int{4}, []float32{0, 1, 0.5, 0.5})
	for _, tc := range []struct {
		draws []float32
		ok    bool
	}{
		{[]float32{0, 1, 1, 0}, true},
		{[]float32{0, 1, 0, 0}, true},
		{[]float32{1, 1, 0, 0}, false}, // p = 0 drew 1
		{[]float32{0, 1, 0.5, 0}, false},
	} {
		got := interp.FromSlice([]int{4}, tc.draws)
		err := checkRandomOutputs(checkBernoulliDraws, []interp.Value{p}, []interp.Value{got}, []interp.Value{got})
		if (err == nil) != tc.ok {
			t.Errorf("draws %v: err %v, want ok=%v", tc.draws, err, tc.ok)
		}
	}
	many := make([]float32, 1000)
	probs := make([]float32, 1000)
	for i := range probs {
		probs[i] = 0.5
	}
	err := checkBernoulliDraws([]interp.Value{interp.FromSlice([]int{1000}, probs)}, interp.FromSlice([]int{1000}, many), nil)
	if err == nil {
		t.Errorf("1000 zeros at p = 0.5 passed the statistical check")
	}
}
