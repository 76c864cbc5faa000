package onnxtest

import (
	"testing"

	"github.com/kiln-ml/kiln/ir/interp"
)

func TestCheckDropoutDraws(t *testing.T) {
	x := make([]float32, 400)
	y := make([]float32, 400)
	mask := make([]bool, 400)
	for i := range x {
		x[i] = float32(i + 1)
		if i%4 != 0 { // keep 3 of 4 with ratio 0.25
			y[i], mask[i] = x[i]/0.75, true
		}
	}
	in := []interp.Value{interp.FromSlice([]int{400}, x), interp.Scalar(float32(0.25)), interp.Scalar(true)}
	for _, got := range []*interp.Tensor{interp.FromSlice([]int{400}, y), interp.FromSlice([]int{400}, mask)} {
		if err := checkDropoutDraws(in, got, got); err != nil {
			t.Errorf("plausible draws rejected: %v", err)
		}
	}
	bad := append([]float32(nil), y...)
	bad[1] = x[1] // kept but not rescaled
	if err := checkDropoutDraws(in, interp.FromSlice([]int{400}, bad), nil); err == nil {
		t.Error("unscaled kept element accepted")
	}
	none := make([]float32, 400) // everything dropped: far from 300 kept
	if err := checkDropoutDraws(in, interp.FromSlice([]int{400}, none), nil); err == nil {
		t.Error("all-dropped output accepted")
	}
}
