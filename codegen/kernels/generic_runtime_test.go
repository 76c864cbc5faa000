package kernels

import (
	"slices"
	"strings"
	"testing"
)

// TestSliceRT checks forward, backward and clamped slices of a 2x5 matrix
// against elements picked by hand, and the shape check.
func TestSliceRT(t *testing.T) {
	x := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	cases := []struct {
		name                      string
		starts, ends, axes, steps []int64
		ys                        []int
		want                      []int
	}{
		{"columns 1..3", []int64{1}, []int64{3}, []int64{1}, nil, []int{2, 2}, []int{1, 2, 6, 7}},
		{"backward, clamped", []int64{-1, 100}, []int64{-100, 0}, []int64{0, -1}, []int64{-1, -2}, []int{2, 2}, []int{9, 7, 4, 2}},
		{"default axes", []int64{1, 0}, []int64{2, 5}, nil, []int64{1, 4}, []int{1, 2}, []int{5, 9}},
	}
	for _, c := range cases {
		y := make([]int, len(c.want))
		if err := sliceRT(x, y, []int{2, 5}, c.ys, c.starts, c.ends, c.axes, c.steps); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(y, c.want) {
			t.Errorf("%s: %v, want %v", c.name, y, c.want)
		}
	}
	err := sliceRT(x, make([]int, 2), []int{2, 5}, []int{2, 1}, []int64{0}, []int64{2}, []int64{1}, nil)
	if err == nil || !strings.Contains(err.Error(), "[2 2]") {
		t.Errorf("a slice of the wrong shape: err = %v", err)
	}
}

// TestReduceSumRT checks sums over run-time axes of a 2x3 matrix.
func TestReduceSumRT(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6}
	y := make([]float32, 3)
	if err := reduceSumRT(x, y, []int{2, 3}, []int{1, 3}, []int64{0}, true, false); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(y, []float32{5, 7, 9}) {
		t.Errorf("over axis 0: %v", y)
	}
	y = make([]float32, 2)
	if err := reduceSumRT(x, y, []int{2, 3}, []int{2}, []int32{-1}, false, false); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(y, []float32{6, 15}) {
		t.Errorf("over axis -1: %v", y)
	}
	y = make([]float32, 1)
	if err := reduceSumRT(x, y, []int{2, 3}, []int{}, []int64{}, false, false); err != nil || y[0] != 21 {
		t.Errorf("over every axis: %v, %v", y, err)
	}
	if err := reduceSumRT(x, y, []int{2, 3}, []int{1, 1}, []int64{1}, true, false); err == nil {
		t.Error("axes giving [2 1] for a compiled [1 1]: no error")
	}
}

// TestPadRT checks the four modes on a row of three, padded by two before
// and one after, and a crop.
func TestPadRT(t *testing.T) {
	x := []int{1, 2, 3}
	cases := map[string][]int{
		"constant": {9, 9, 1, 2, 3, 9},
		"edge":     {1, 1, 1, 2, 3, 3},
		"reflect":  {3, 2, 1, 2, 3, 2},
		"wrap":     {2, 3, 1, 2, 3, 1},
	}
	for mode, want := range cases {
		y := make([]int, 6)
		if err := padRT(x, y, []int{3}, []int{6}, []int64{2, 1}, mode, 9); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(y, want) {
			t.Errorf("%s: %v, want %v", mode, y, want)
		}
	}
	y := make([]int, 1)
	if err := padRT(x, y, []int{3}, []int{1}, []int64{-1, -1}, "constant", 0); err != nil || y[0] != 2 {
		t.Errorf("crop: %v, %v", y, err)
	}
}
