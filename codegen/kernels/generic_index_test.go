package kernels

import (
	"slices"
	"testing"
)

// TestTopK checks the two largest and smallest of each row and column of
// a matrix with ties, against orders written out by hand.
func TestTopK(t *testing.T) {
	x := []float32{3, 1, 3, 2, 0, 5} // 2x3
	vals, idx := make([]float32, 4), make([]int64, 4)
	topK(x, vals, idx, 2, 3, 1, 2, true)
	if !slices.Equal(vals, []float32{3, 3, 5, 2}) || !slices.Equal(idx, []int64{0, 2, 2, 0}) {
		t.Errorf("largest by rows: %v %v", vals, idx)
	}
	// Along axis 0 (outer 1, n 2, inner 3), the smallest one.
	vals, idx = make([]float32, 3), make([]int64, 3)
	topK(x, vals, idx, 1, 2, 3, 1, false)
	if !slices.Equal(vals, []float32{2, 0, 3}) || !slices.Equal(idx, []int64{1, 1, 0}) {
		t.Errorf("smallest by columns: %v %v", vals, idx)
	}
}

// TestScatterGather checks scatterElements, scatterND and gatherND on
// small cases worked out by hand, and their range errors.
func TestScatterGather(t *testing.T) {
	data := []int64{1, 2, 3, 4, 5, 6} // 2x3
	y := make([]int64, 6)
	// Axis 1: row 0 element at column -1 gets 10, row 1 column 0 adds 20.
	if err := scatterElements(data, []int32{-1, 0}, []int64{10, 20}, y, []int{2, 3}, []int{2, 1}, 1, "add"); err != nil {
		t.Fatal(err)
	}
	if want := []int64{1, 2, 13, 24, 5, 6}; !slices.Equal(y, want) {
		t.Errorf("scatterElements: %v, want %v", y, want)
	}
	if err := scatterElements(data, []int32{3}, []int64{1}, y, []int{2, 3}, []int{1, 1}, 1, "none"); err == nil {
		t.Error("scatterElements index 3 of 3: no error")
	}
	// ScatterND: replace row 1 whole.
	if err := scatterND(data, []int64{1}, []int64{7, 8, 9}, y, []int{2, 3}, 1, "none"); err != nil {
		t.Fatal(err)
	}
	if want := []int64{1, 2, 3, 7, 8, 9}; !slices.Equal(y, want) {
		t.Errorf("scatterND: %v, want %v", y, want)
	}
	// GatherND: elements (1,2) and (0,1); then rows with one batch dim.
	g := make([]int64, 2)
	if err := gatherND(data, []int64{1, 2, 0, 1}, g, 1, []int{2, 3}, 2); err != nil {
		t.Fatal(err)
	}
	if want := []int64{6, 2}; !slices.Equal(g, want) {
		t.Errorf("gatherND: %v, want %v", g, want)
	}
	// Batch dim 2 (each batch a row of 3): element 2 of row 0, 0 of row 1.
	if err := gatherND(data, []int64{2, 0}, g, 2, []int{3}, 1); err != nil {
		t.Fatal(err)
	}
	if want := []int64{3, 4}; !slices.Equal(g, want) {
		t.Errorf("gatherND batched: %v, want %v", g, want)
	}
	if err := gatherND(data, []int64{2, 0, 0, 0}, g, 1, []int{2, 3}, 2); err == nil {
		t.Error("gatherND index 2 of 2: no error")
	}
}
