package kernels

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
