package kernels

import "fmt"

// powInt raises x to the integer power n with int64 wrap-around. A
// negative power has an integral value only for x = 1 or -1; for other x
// it is 0, 0 to a negative power included (a division by zero that
// integers cannot express).
func powInt(x, n int64) int64 {
	if n < 0 {
		switch x {
		case 1:
			return 1
		case -1:
			if n%2 == 0 {
				return 1
			}
			return -1
		}
		return 0
	}
	r := int64(1)
	for n > 0 {
		if n&1 == 1 {
			r *= x
		}
		x *= x
		n >>= 1
	}
	return r
}

// cumSum writes into y the running sums of x (of the given shape) along
// axis, an index from the model that may count from the end: each
// position's sum includes itself unless exclusive, and runs from the end
// of the axis with reverse. An axis out of range is an error.
func cumSum[T ~int32 | ~int64 | ~uint32 | ~uint64 | ~float32 | ~float64](x, y []T, shape []int, axis int64, exclusive, reverse bool) error {
	r := int64(len(shape))
	if axis < -r || axis >= r {
		return fmt.Errorf("axis %d is out of range for rank %d", axis, r)
	}
	if axis < 0 {
		axis += r
	}
	outer, n, inner := 1, shape[axis], 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			var s T
			for k := 0; k < n; k++ {
				j := k
				if reverse {
					j = n - 1 - k
				}
				at := (o*n+j)*inner + in
				if exclusive {
					y[at] = s
					s += x[at]
				} else {
					s += x[at]
					y[at] = s
				}
			}
		}
	}
	return nil
}
