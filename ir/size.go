package ir

import (
	"fmt"
	"math"
)

// ElemCount returns the element count of a tensor with the given dims: their
// product, checked for negative dims and int64 overflow. It is the one place
// where kiln multiplies dims out; inference, the verifier and the tensor
// allocator all size tensors through it.
func ElemCount(dims []int64) (int64, error) {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative dim", dims)
		}
		if d != 0 && n > math.MaxInt64/d {
			return 0, fmt.Errorf("shape %v: element count overflows int64", dims)
		}
		n *= d
	}
	return n, nil
}

// ElemCountInts is ElemCount for dims held as ints (the run-time form).
func ElemCountInts(dims []int) (int64, error) {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative dim", dims)
		}
		if d != 0 && n > math.MaxInt64/int64(d) {
			return 0, fmt.Errorf("shape %v: element count overflows int64", dims)
		}
		n *= int64(d)
	}
	return n, nil
}

// MemBytes returns how many bytes of memory n elements of d take in their
// Go storage (see MakeElems), overflow-checked: the byte form's size for
// numeric types and a string header per string element (their contents
// come on top).
func MemBytes(d DType, n int64) (int64, error) {
	if n < 0 {
		return 0, fmt.Errorf("negative element count %d", n)
	}
	per := int64(d.Info().BlockBytes)
	if d == String {
		per = 16
	}
	if per <= 0 || d.Info().BlockLen != 1 {
		return 0, fmt.Errorf("element type %v has no in-memory storage", d)
	}
	if n > math.MaxInt64/per {
		return 0, fmt.Errorf("%d %v elements: byte size overflows int64", n, d)
	}
	return n * per, nil
}

// CheckedAdd returns a+b, or false when the sum overflows int64.
func CheckedAdd(a, b int64) (int64, bool) {
	c := a + b
	if (b > 0 && c < a) || (b < 0 && c > a) {
		return 0, false
	}
	return c, true
}

// CheckedMul returns a*b, or false when the product overflows int64.
func CheckedMul(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return c, true
}
