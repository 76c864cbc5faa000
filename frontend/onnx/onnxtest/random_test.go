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
	probs := make([]float32, 1000)
	for i := range probs {
		probs[i] = 0.5
	}
	zeros := interp.FromSlice([]int{1000}, make([]float32, 1000))
	if err := checkBernoulliDraws([]interp.Value{interp.FromSlice([]int{1000}, probs)}, []*interp.Tensor{zeros}); err == nil {
		t.Errorf("1000 zeros at p = 0.5 passed the statistical check")
	}
}

func TestCheckTrainingDropout(t *testing.T) {
	x := interp.FromSlice([]int{4}, []float32{1, 2, 3, 4})
	ratio := interp.Scalar(float32(0.5))
	for _, tc := range []struct {
		y    []float32
		mask []bool
		ok   bool
	}{
		{[]float32{2, 0, 6, 0}, []bool{true, false, true, false}, true},
		{[]float32{2, 0, 3, 0}, nil, false},                             // 3 is not 3/(1-0.5)
		{[]float32{2, 0, 6, 0}, []bool{true, true, true, false}, false}, // mask disagrees
	} {
		got := []*interp.Tensor{interp.FromSlice([]int{4}, tc.y)}
		if tc.mask != nil {
			got = append(got, interp.FromSlice([]int{4}, tc.mask))
		}
		err := checkTrainingDropout([]interp.Value{x, ratio}, got)
		if (err == nil) != tc.ok {
			t.Errorf("y %v mask %v: err %v, want ok=%v", tc.y, tc.mask, err, tc.ok)
		}
	}
}
