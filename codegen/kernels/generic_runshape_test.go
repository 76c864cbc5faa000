package kernels

import (
	"slices"
	"strings"
	"testing"
)

// TestRTBroadcast checks broadcast shapes and read indices worked out by
// hand, and the error for shapes that do not broadcast.
func TestRTBroadcast(t *testing.T) {
	shape, idx, err := rtBroadcast("Add", []int{2, 1}, []int{3})
	if err != nil {
		t.Fatal(err)
	}
	// [2,1] against [3]: [2,3]; a reads row i for every column, b column j
	// for every row.
	if !slices.Equal(shape, []int{2, 3}) || !slices.Equal(idx[0], []int{0, 0, 0, 1, 1, 1}) || !slices.Equal(idx[1], []int{0, 1, 2, 0, 1, 2}) {
		t.Errorf("[2,1] with [3]: shape %v, indices %v", shape, idx)
	}
	shape, idx, err = rtBroadcast("Mul", []int{}, []int{0, 4})
	if err != nil || !slices.Equal(shape, []int{0, 4}) || len(idx[0]) != 0 {
		t.Errorf("scalar with [0,4]: shape %v, indices %v, %v", shape, idx, err)
	}
	if _, _, err := rtBroadcast("Sub", []int{2}, []int{3}); err == nil || !strings.Contains(err.Error(), "do not broadcast") {
		t.Errorf("[2] with [3]: error %v", err)
	}
	if err := rtShapeIs("Cast", []int{5}, []int{4}); err == nil || !strings.Contains(err.Error(), "compiled for [4]") {
		t.Errorf("rtShapeIs: %v", err)
	}
}

// TestRTViewShapes checks the shapes of the views over run-time shapes.
func TestRTViewShapes(t *testing.T) {
	cases := []struct {
		name string
		got  func() ([]int, error)
		want []int
		err  string
	}{
		{"unsqueeze", func() ([]int, error) { return rtUnsqueeze([]int{3, 4}, []int64{0, -1}) }, []int{1, 3, 4, 1}, ""},
		{"unsqueeze repeated", func() ([]int, error) { return rtUnsqueeze([]int{3}, []int64{0, 0}) }, nil, "repeated"},
		{"squeeze all", func() ([]int, error) { return rtSqueeze([]int{1, 3, 1}, nil) }, []int{3}, ""},
		{"squeeze axis", func() ([]int, error) { return rtSqueeze([]int{1, 3, 1}, []int64{-1}) }, []int{1, 3}, ""},
		{"squeeze not 1", func() ([]int, error) { return rtSqueeze([]int{1, 3}, []int64{1}) }, nil, "not 1"},
		{"flatten", func() ([]int, error) { return rtFlatten([]int{2, 3, 4}, -1) }, []int{6, 4}, ""},
		{"flatten 0", func() ([]int, error) { return rtFlatten([]int{2, 3}, 0) }, []int{1, 6}, ""},
		{"reshape", func() ([]int, error) { return rtReshape([]int{2, 3, 4}, []int64{0, -1}, false) }, []int{2, 12}, ""},
		{"reshape allowzero", func() ([]int, error) { return rtReshape([]int{0, 3}, []int64{3, 0}, true) }, []int{3, 0}, ""},
		{"reshape count", func() ([]int, error) { return rtReshape([]int{2, 3}, []int64{4, -1}, false) }, nil, "cannot take"},
		{"reshape two -1", func() ([]int, error) { return rtReshape([]int{2, 3}, []int64{-1, -1}, false) }, nil, "more than one -1"},
		{"reshape size", func() ([]int, error) { return rtReshape([]int{2, 3}, []int64{5}, false) }, nil, "holds 5 elements"},
	}
	for _, c := range cases {
		got, err := c.got()
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: error %v, want %q", c.name, err, c.err)
		case c.err == "" && (err != nil || !slices.Equal(got, c.want)):
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if got := rtShapeOf([]int{2, 3, 4}, -2, 0, false); !slices.Equal(got, []int64{3, 4}) {
		t.Errorf("rtShapeOf from -2: %v", got)
	}
	if got := rtShapeOf([]int{2, 3, 4}, 0, 9, true); !slices.Equal(got, []int64{2, 3, 4}) {
		t.Errorf("rtShapeOf to 9: %v", got)
	}
}
