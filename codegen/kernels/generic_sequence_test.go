package kernels

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestSeqPositions(t *testing.T) {
	s := []string{"a", "b", "c"}
	cases := []struct {
		op     string
		p      int64
		hasPos bool
		want   string // the sequence joined, the item, or the error's start
	}{
		{"insert", 0, false, "abcx"},
		{"insert", 0, true, "xabc"},
		{"insert", 3, true, "abcx"},
		{"insert", -1, true, "abxc"},
		{"insert", -3, true, "xabc"},
		{"insert", 4, true, "error: position 4 out of range"},
		{"insert", -4, true, "error: position -4 out of range"},
		{"erase", 0, false, "ab"},
		{"erase", 0, true, "bc"},
		{"erase", -1, true, "ab"},
		{"erase", -3, true, "bc"},
		{"erase", 3, true, "error: position 3 out of range"},
		{"at", 1, true, "b"},
		{"at", -1, true, "c"},
		{"at", -3, true, "a"},
		{"at", 3, true, "error: position 3 out of range"},
		{"at", -4, true, "error: position -4 out of range"},
	}
	for _, c := range cases {
		var got []string
		var err error
		switch c.op {
		case "insert":
			got, err = seqInsert(s, "x", c.p, c.hasPos)
		case "erase":
			got, err = seqErase(s, c.p, c.hasPos)
		case "at":
			var x string
			x, err = seqAt(s, c.p)
			got = []string{x}
		}
		g := strings.Join(got, "")
		if err != nil {
			g = "error: " + err.Error()
		}
		if !strings.HasPrefix(g, c.want) || (err == nil && g != c.want) {
			t.Errorf("%s at %d (hasPos %v): got %q, want %q", c.op, c.p, c.hasPos, g, c.want)
		}
	}
	if strings.Join(s, "") != "abc" {
		t.Errorf("the sequence changed: %v", s)
	}
	if _, err := seqErase([]string{}, 0, false); err == nil {
		t.Error("erasing from an empty sequence: no error")
	}
	if _, err := seqAt([]string{}, 0); err == nil {
		t.Error("an item of an empty sequence: no error")
	}
}

func TestSplitSizes(t *testing.T) {
	cases := []struct {
		n        int
		split    []int64
		rank     int
		hasSplit bool
		want     string
	}{
		{3, nil, 0, false, "[1 1 1]"},
		{0, nil, 0, false, "[]"},
		{7, []int64{3}, 0, true, "[3 3 1]"},
		{6, []int64{3}, 0, true, "[3 3]"},
		{2, []int64{5}, 0, true, "[2]"},
		{2, []int64{1 << 62}, 0, true, "[2]"},
		{5, []int64{2, 0, 3}, 1, true, "[2 0 3]"},
		{5, []int64{2, 2}, 1, true, "error: split sizes [2 2] sum to 4"},
		{5, []int64{-1, 6}, 1, true, "error: split size -1"},
		{5, []int64{1 << 62, 1 << 62, 5}, 1, true, "error: split size 4611686018427387904"},
		{5, []int64{0}, 0, true, "error: split size 0 is not positive"},
		{5, []int64{1, 4}, 2, true, "error: split has rank 2"},
	}
	for _, c := range cases {
		sizes, err := splitSizes(c.n, c.split, c.rank, c.hasSplit)
		got := fmt.Sprint(sizes)
		if err != nil {
			got = "error: " + err.Error()
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("splitSizes(%d, %v, rank %d): got %s, want %s", c.n, c.split, c.rank, got, c.want)
		}
	}
}

func TestSplitConcatAxis(t *testing.T) {
	// x is 2×3 with x[i][j] = 10i+j.
	x := []int{0, 1, 2, 10, 11, 12}
	parts, shapes := splitAxis(x, []int{2, 3}, 1, []int{1, 2}, false)
	if fmt.Sprint(parts, shapes) != "[[0 10] [1 2 11 12]] [[2 1] [2 2]]" {
		t.Errorf("split along axis 1: %v %v", parts, shapes)
	}
	back, shape, err := concatAxis(parts, shapes, 1, false)
	if err != nil || !slices.Equal(back, x) || fmt.Sprint(shape) != "[2 3]" {
		t.Errorf("concat along axis 1: %v %v %v", back, shape, err)
	}
	rows, rshapes := splitAxis(x, []int{2, 3}, 0, []int{1, 1}, true)
	if fmt.Sprint(rows, rshapes) != "[[0 1 2] [10 11 12]] [[3] [3]]" {
		t.Errorf("split along axis 0 dropping it: %v %v", rows, rshapes)
	}
	// Stacking the rows along a new last axis transposes x.
	tr, tshape, err := concatAxis(rows, rshapes, -1, true)
	if err != nil || fmt.Sprint(tr, tshape) != "[0 10 1 11 2 12] [3 2]" {
		t.Errorf("stack along a new axis -1: %v %v %v", tr, tshape, err)
	}
	st, sshape, err := concatAxis(rows, rshapes, 0, true)
	if err != nil || !slices.Equal(st, x) || fmt.Sprint(sshape) != "[2 3]" {
		t.Errorf("stack along a new axis 0: %v %v %v", st, sshape, err)
	}
	bad := []struct {
		parts  [][]int
		shapes [][]int
		axis   int64
		newAx  bool
		want   string
	}{
		{nil, nil, 0, false, "concatenating an empty sequence"},
		{[][]int{{1, 2}, {3}}, [][]int{{2}, {1, 1}}, 0, false, "tensor 1 has shape [1 1], tensor 0 has [2] (ranks differ)"},
		{[][]int{{1, 2}, {3}}, [][]int{{1, 2}, {1, 1}}, 0, false, "tensor 1 has shape [1 1], tensor 0 has [1 2] (dim 1 differs)"},
		{[][]int{{1}, {3}}, [][]int{{1}, {1}}, 1, false, "axis 1 out of range for rank 1"},
		{[][]int{{1}, {3}}, [][]int{{1}, {1}}, 2, true, "axis 2 out of range for rank 2"},
		{[][]int{{1}, {3, 4}}, [][]int{{1}, {2}}, 0, true, "tensor 1 has shape [2], tensor 0 has [1]"},
	}
	for _, c := range bad {
		if _, _, err := concatAxis(c.parts, c.shapes, c.axis, c.newAx); err == nil || err.Error() != c.want {
			t.Errorf("concatAxis(%v, %v, %d, %v): error %v, want %q", c.parts, c.shapes, c.axis, c.newAx, err, c.want)
		}
	}
}

func TestBroadcastRT(t *testing.T) {
	add := func(x, y int) int { return x + y }
	cases := []struct {
		a      []int
		as     []int
		b      []int
		bs     []int
		want   string
		wshape string
	}{
		{[]int{1, 2, 3}, []int{3}, []int{10, 20, 30}, []int{3}, "[11 22 33]", "[3]"},
		{[]int{1, 2, 3}, []int{3}, []int{100}, []int{}, "[101 102 103]", "[3]"},
		// A column against a row: an outer sum.
		{[]int{1, 2}, []int{2, 1}, []int{10, 20, 30}, []int{3}, "[11 21 31 12 22 32]", "[2 3]"},
		{[]int{1, 2}, []int{1, 2}, []int{10, 20}, []int{2, 1}, "[11 12 21 22]", "[2 2]"},
		{nil, []int{0, 3}, []int{1, 2, 3}, []int{3}, "[]", "[0 3]"},
	}
	for _, c := range cases {
		got, shape, err := broadcastRT(c.a, c.as, c.b, c.bs, add)
		if err != nil || fmt.Sprint(got) != c.want || fmt.Sprint(shape) != c.wshape {
			t.Errorf("%v%v + %v%v: got %v %v %v, want %s %s", c.a, c.as, c.b, c.bs, got, shape, err, c.want, c.wshape)
		}
	}
	less := func(x, y float32) bool { return x < y }
	if got, _, err := broadcastRT([]float32{1, 5}, []int{2}, []float32{3}, []int{1}, less); err != nil || fmt.Sprint(got) != "[true false]" {
		t.Errorf("a comparison: %v %v", got, err)
	}
	if _, _, err := broadcastRT([]int{1, 2}, []int{2}, []int{1, 2, 3}, []int{3}, add); err == nil || !strings.Contains(err.Error(), "do not broadcast") {
		t.Errorf("shapes [2] and [3]: error %v", err)
	}
}

func TestSliceShaped(t *testing.T) {
	// x is 3×4 with x[i][j] = 10i+j.
	x := []int{0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23}
	xs := []int{3, 4}
	cases := []struct {
		starts, ends, axes, steps []int64
		want                      string
	}{
		{[]int64{0}, []int64{2}, nil, nil, "[0 1 2 3 10 11 12 13] [2 4]"},
		{[]int64{1}, []int64{100}, []int64{1}, nil, "[1 2 3 11 12 13 21 22 23] [3 3]"},
		{[]int64{-1, 0}, []int64{-100, 4}, nil, []int64{-1, 2}, "[20 22 10 12 0 2] [3 2]"},
		{[]int64{2}, []int64{2}, []int64{-1}, nil, "[] [3 0]"},
		{[]int64{0, 3}, []int64{1, 0}, []int64{0, 1}, []int64{1, -2}, "[3 1] [1 2]"},
	}
	for _, c := range cases {
		got, shape, err := sliceShaped(x, xs, c.starts, c.ends, c.axes, c.steps)
		if err != nil || fmt.Sprint(got, shape) != c.want {
			t.Errorf("slice %v:%v axes %v steps %v: got %v %v %v, want %s", c.starts, c.ends, c.axes, c.steps, got, shape, err, c.want)
		}
	}
	bad := []struct {
		starts, ends, axes, steps []int64
		want                      string
	}{
		{[]int64{0}, []int64{1, 2}, nil, nil, "differ in length"},
		{[]int64{0}, []int64{1}, []int64{2}, nil, "axis 2 is out of range"},
		{[]int64{0, 0}, []int64{1, 1}, []int64{1, -1}, nil, "axis 1 is out of range or repeated"},
		{[]int64{0}, []int64{1}, nil, []int64{0}, "step 0"},
	}
	for _, c := range bad {
		if _, _, err := sliceShaped(x, xs, c.starts, c.ends, c.axes, c.steps); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("slice %v:%v axes %v steps %v: error %v, want %q", c.starts, c.ends, c.axes, c.steps, err, c.want)
		}
	}
}
