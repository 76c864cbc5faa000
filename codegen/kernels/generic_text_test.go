package kernels

import (
	"slices"
	"testing"
)

// TestTfIdf counts unigrams and bigrams (with one skip) of a row worked out
// by hand, in TF mode and in IDF mode with weights.
func TestTfIdf(t *testing.T) {
	x := []int64{1, 2, 1, 3}
	pool := [][]int64{{1}, {3}, {1, 3}, {1, 1}}
	idx := []int{0, 1, 2, 3}
	y := make([]float32, 4)
	// Unigram 1 twice, 3 once; bigrams without skip (1,2), (2,1), (1,3):
	// (1,3) once; with one skip (1,1) and (2,3): (1,1) once.
	tfIdf(x, 1, 4, pool, idx, nil, 4, 1, 2, 1, 0, y)
	if want := []float32{2, 1, 1, 1}; !slices.Equal(y, want) {
		t.Errorf("TF: %v, want %v", y, want)
	}
	tfIdf(x, 1, 4, pool, idx, []float64{0.5, 2, 3, 4}, 4, 1, 2, 0, 1, y)
	// Without skips (1,1) is absent.
	if want := []float32{0.5, 2, 3, 0}; !slices.Equal(y, want) {
		t.Errorf("IDF: %v, want %v", y, want)
	}
}
