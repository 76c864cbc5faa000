package kernels

import (
	"slices"
	"testing"
)

// TestNonZeroCompress checks NonZero's coordinates (NaN counts as
// nonzero) and Compress along an axis and past it, worked out by hand.
func TestNonZeroCompress(t *testing.T) {
	nan := float32(0)
	nan = nan / nan
	d, n := nonZero([]float32{0, 2, nan, 0, 0, 5}, []int{2, 3})
	// Nonzero at (0,1), (0,2), (1,2).
	if n != 3 || !slices.Equal(d, []int64{0, 0, 1, 1, 2, 2}) {
		t.Errorf("nonZero: %v, %d", d, n)
	}
	x := []int32{1, 2, 3, 4, 5, 6} // (2, 3)
	got, k, err := compress(x, []bool{true, false, true}, 2, 3, 1)
	if err != nil || k != 2 || !slices.Equal(got, []int32{1, 3, 4, 6}) {
		t.Errorf("compress along axis 1: %v, %d, %v", got, k, err)
	}
	// A condition shorter than the axis selects among its length.
	got, k, _ = compress(x, []int64{0, 1}, 1, 2, 3)
	if k != 1 || !slices.Equal(got, []int32{4, 5, 6}) {
		t.Errorf("short condition: %v, %d", got, k)
	}
	if _, _, err := compress(x, []bool{false, false, false, true}, 2, 3, 1); err == nil {
		t.Error("condition past the axis: no error")
	}
}

// TestUnique checks sorted and first-occurrence orders of elements and of
// rows, with their indices, inverse and counts.
func TestUnique(t *testing.T) {
	x := []float32{2, 1, 1, 3, 4, 3}
	y, k, idx, inv, cnt := unique(x, 1, 6, 1, true)
	if k != 4 || !slices.Equal(y, []float32{1, 2, 3, 4}) || !slices.Equal(idx, []int64{1, 0, 3, 4}) ||
		!slices.Equal(inv, []int64{1, 0, 0, 2, 3, 2}) || !slices.Equal(cnt, []int64{2, 1, 2, 1}) {
		t.Errorf("sorted: %v %d %v %v %v", y, k, idx, inv, cnt)
	}
	y, _, idx, inv, _ = unique(x, 1, 6, 1, false)
	if !slices.Equal(y, []float32{2, 1, 3, 4}) || !slices.Equal(idx, []int64{0, 1, 3, 4}) || !slices.Equal(inv, []int64{0, 1, 1, 2, 3, 2}) {
		t.Errorf("unsorted: %v %v %v", y, idx, inv)
	}
	// Columns of a 2x3 matrix (axis 1): (1,4), (0,5), (1,4).
	m := []int64{1, 0, 1, 4, 5, 4}
	y2, k, _, inv, cnt := unique(m, 2, 3, 1, true)
	if k != 2 || !slices.Equal(y2, []int64{0, 1, 5, 4}) || !slices.Equal(inv, []int64{1, 0, 1}) || !slices.Equal(cnt, []int64{1, 2}) {
		t.Errorf("columns: %v %d %v %v", y2, k, inv, cnt)
	}
}

// TestNonMaxSuppression checks overlap suppression, the score threshold,
// the per-class limit and the threshold range error.
func TestNonMaxSuppression(t *testing.T) {
	boxes := []float32{
		0, 0, 1, 1, // box 0
		0, 0.1, 1, 1.1, // box 1: IoU with box 0 is 0.9/1.1
		0, 2, 1, 3, // box 2: apart
	}
	scores := []float32{0.9, 0.95, 0.3}
	got, err := nonMaxSuppression(boxes, scores, 1, 3, 1, 10, 0.5, 0, false, false)
	if err != nil || !slices.Equal(got, []int64{0, 0, 1, 0, 0, 2}) {
		t.Errorf("suppression: %v, %v", got, err)
	}
	got, _ = nonMaxSuppression(boxes, scores, 1, 3, 1, 10, 0.5, 0.5, true, false)
	if !slices.Equal(got, []int64{0, 0, 1}) {
		t.Errorf("score threshold 0.5: %v", got)
	}
	got, _ = nonMaxSuppression(boxes, scores, 1, 3, 1, 1, 1, 0, false, false)
	if !slices.Equal(got, []int64{0, 0, 1}) {
		t.Errorf("one box per class: %v", got)
	}
	if _, err := nonMaxSuppression(boxes, scores, 1, 3, 1, 1, 1.5, 0, false, false); err == nil {
		t.Error("iou_threshold 1.5: no error")
	}
}

// TestRangeRT checks Range's lengths (exact, rounding up, empty when the
// delta points away) and its zero-delta error.
func TestRangeRT(t *testing.T) {
	if got, _ := rangeInt[int32](10, 1, -3); !slices.Equal(got, []int32{10, 7, 4}) {
		t.Errorf("rangeInt(10, 1, -3): %v", got)
	}
	if got, _ := rangeInt[int64](1, 10, -3); len(got) != 0 {
		t.Errorf("rangeInt(1, 10, -3): %v, want empty", got)
	}
	if got, _ := rangeFloat[float32](1, 2, 0.25); !slices.Equal(got, []float32{1, 1.25, 1.5, 1.75}) {
		t.Errorf("rangeFloat(1, 2, 0.25): %v", got)
	}
	if _, err := rangeInt[int16](1, 2, 0); err == nil {
		t.Error("rangeInt with delta 0: no error")
	}
	if _, err := rangeFloat[float64](1, 2, 0); err == nil {
		t.Error("rangeFloat with delta 0: no error")
	}
}
