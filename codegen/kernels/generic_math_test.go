package kernels

import "testing"

// TestPowInt checks powInt against repeated multiplication and the
// negative-power rules.
func TestPowInt(t *testing.T) {
	for x := int64(-4); x <= 4; x++ {
		want := int64(1)
		for n := int64(0); n <= 40; n++ {
			if got := powInt(x, n); got != want {
				t.Fatalf("powInt(%d, %d) = %d, want %d", x, n, got, want)
			}
			want *= x
		}
	}
	for _, c := range []struct{ x, n, want int64 }{{1, -3, 1}, {-1, -3, -1}, {-1, -4, 1}, {2, -1, 0}, {0, -2, 0}} {
		if got := powInt(c.x, c.n); got != c.want {
			t.Errorf("powInt(%d, %d) = %d, want %d", c.x, c.n, got, c.want)
		}
	}
}

// TestCumSum checks cumSum along each axis of a 2x3 matrix, every mode,
// against sums written out by hand.
func TestCumSum(t *testing.T) {
	x := []int64{1, 2, 3, 4, 5, 6}
	cases := []struct {
		axis              int64
		exclusive, revers bool
		want              []int64
	}{
		{1, false, false, []int64{1, 3, 6, 4, 9, 15}},
		{-1, true, false, []int64{0, 1, 3, 0, 4, 9}},
		{1, false, true, []int64{6, 5, 3, 15, 11, 6}},
		{1, true, true, []int64{5, 3, 0, 11, 6, 0}},
		{0, false, false, []int64{1, 2, 3, 5, 7, 9}},
		{-2, true, true, []int64{4, 5, 6, 0, 0, 0}},
	}
	for _, c := range cases {
		y := make([]int64, 6)
		if err := cumSum(x, y, []int{2, 3}, c.axis, c.exclusive, c.revers); err != nil {
			t.Fatal(err)
		}
		for i := range y {
			if y[i] != c.want[i] {
				t.Errorf("axis %d exclusive %v reverse %v: y = %v, want %v", c.axis, c.exclusive, c.revers, y, c.want)
				break
			}
		}
	}
	if err := cumSum(x, make([]int64, 6), []int{2, 3}, 2, false, false); err == nil {
		t.Error("axis 2 of rank 2: no error")
	}
}
