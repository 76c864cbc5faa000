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
