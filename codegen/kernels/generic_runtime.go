package kernels

import (
	"fmt"
	"slices"
)

// The kernels of this file take, at run time, operands that fix which
// elements an op reads (Slice's starts, Pad's pads, a Reduce op's axes)
// while the result's shape was fixed at compile time: each checks that the
// values give that shape, and returns an error when they do not.

// rowStrides returns the row-major strides of shape.
func rowStrides(shape []int) []int {
	st := make([]int, len(shape))
	for d, s := len(shape)-1, 1; d >= 0; d-- {
		st[d] = s
		s *= shape[d]
	}
	return st
}

// checkShape returns an error unless got equals the compiled shape want.
func checkShape(op string, got, want []int) error {
	if !slices.Equal(got, want) {
		return fmt.Errorf("%s: the operands give shape %v, the model was compiled for %v", op, got, want)
	}
	return nil
}

// sliceRT copies the slice of x (of shape xs) that starts, ends and the
// optional axes and steps select into y (of the compiled shape ys), with
// ONNX's clamping: a negative start or end counts from the end, both are
// then clamped into the dim ([0, dim] going forward, [-1, dim-1] going
// back).
func sliceRT[T any, I ~int32 | ~int64](x, y []T, xs, ys []int, starts, ends, axes, steps []I) error {
	start, step, got, err := sliceShape(xs, starts, ends, axes, steps)
	if err != nil {
		return err
	}
	if err := checkShape("Slice", got, ys); err != nil {
		return err
	}
	xst, yst := rowStrides(xs), rowStrides(ys)
	for i := range y {
		src := 0
		for d := range ys {
			src += (start[d] + (i/yst[d])%ys[d]*step[d]) * xst[d]
		}
		y[i] = x[src]
	}
	return nil
}

// sliceShape returns, for each axis of a tensor of shape xs, where the
// slice that starts, ends and the optional axes and steps select begins,
// its step, and the slice's shape (got), clamped as sliceRT describes.
func sliceShape[I ~int32 | ~int64](xs []int, starts, ends, axes, steps []I) (start, step, got []int, err error) {
	r := len(xs)
	start, step = make([]int, r), make([]int, r)
	got = slices.Clone(xs)
	for d := range step {
		step[d] = 1
	}
	if len(ends) != len(starts) || axes != nil && len(axes) != len(starts) || steps != nil && len(steps) != len(starts) {
		return nil, nil, nil, fmt.Errorf("Slice: starts, ends, axes and steps differ in length")
	}
	seen := make([]bool, r)
	for i := range starts {
		ax := i
		if axes != nil {
			ax = int(axes[i])
			if ax < 0 {
				ax += r
			}
		}
		if ax < 0 || ax >= r || seen[ax] {
			return nil, nil, nil, fmt.Errorf("Slice: axis %d is out of range or repeated for rank %d", ax, r)
		}
		seen[ax] = true
		st := int64(1)
		if steps != nil {
			st = int64(steps[i])
		}
		if st == 0 {
			return nil, nil, nil, fmt.Errorf("Slice: step 0 on axis %d", ax)
		}
		dim := int64(xs[ax])
		s, e := int64(starts[i]), int64(ends[i])
		if s < 0 {
			s += dim
		}
		if e < 0 {
			e += dim
		}
		var n int64
		if st > 0 {
			s, e = min(max(s, 0), dim), min(max(e, 0), dim)
			n = (e - s + st - 1) / st
		} else {
			s, e = min(max(s, -1), dim-1), min(max(e, -1), dim-1)
			n = (s - e - st - 1) / -st
		}
		start[ax], step[ax], got[ax] = int(s), int(st), int(max(n, 0))
	}
	return start, step, got, nil
}

// reduceSumRT sums x (of shape xs) over the axes given at run time (all of
// them when there are none, unless noopEmpty) into y (of the compiled
// shape ys), keeping the reduced dims as 1 with keepdims. It sums in
// float64, exact for integers below 2^53.
func reduceSumRT[T ~int32 | ~int64 | ~float32 | ~float64, I ~int32 | ~int64](x, y []T, xs, ys []int, axes []I, keepdims, noopEmpty bool) error {
	r := len(xs)
	mask := make([]bool, r)
	for _, a := range axes {
		ax := int(a)
		if ax < 0 {
			ax += r
		}
		if ax < 0 || ax >= r {
			return fmt.Errorf("ReduceSum: axis %d is out of range for rank %d", a, r)
		}
		mask[ax] = true
	}
	if len(axes) == 0 {
		for d := range mask {
			mask[d] = !noopEmpty
		}
	}
	var got, kept []int
	for d, n := range xs {
		switch {
		case !mask[d]:
			got, kept = append(got, n), append(kept, n)
		case keepdims:
			got, kept = append(got, 1), append(kept, 1)
		default:
			kept = append(kept, 1)
		}
	}
	if err := checkShape("ReduceSum", got, ys); err != nil {
		return err
	}
	acc := make([]float64, len(y))
	xst, kst := rowStrides(xs), rowStrides(kept)
	for i, v := range x {
		dst := 0
		for d := range xs {
			if !mask[d] {
				dst += (i / xst[d]) % xs[d] * kst[d]
			}
		}
		acc[dst] += float64(v)
	}
	for i, a := range acc {
		y[i] = T(a)
	}
	return nil
}

// padRT pads x (of shape xs) by the pads given at run time (begins, then
// ends; negative ones crop) into y (of the compiled shape ys): mode
// "constant" fills with value, "edge" repeats the border, "reflect"
// mirrors without repeating it, "wrap" continues from the other side.
func padRT[T any, I ~int32 | ~int64](x, y []T, xs, ys []int, pads []I, mode string, value T) error {
	r := len(xs)
	if len(pads) != 2*r {
		return fmt.Errorf("Pad: %d pads for rank %d", len(pads), r)
	}
	got := make([]int, r)
	for d := range xs {
		got[d] = xs[d] + int(pads[d]) + int(pads[d+r])
	}
	if err := checkShape("Pad", got, ys); err != nil {
		return err
	}
	if mode != "constant" && len(x) == 0 && len(y) > 0 {
		return fmt.Errorf("Pad: mode %s of an empty input", mode)
	}
	xst, yst := rowStrides(xs), rowStrides(ys)
	for i := range y {
		src, inside := 0, true
		for d := range ys {
			c := (i/yst[d])%ys[d] - int(pads[d])
			n := xs[d]
			if c < 0 || c >= n {
				switch mode {
				case "edge":
					c = min(max(c, 0), n-1)
				case "reflect":
					if n == 1 {
						c = 0
						break
					}
					p := 2 * (n - 1)
					c = ((c % p) + p) % p
					if c >= n {
						c = p - c
					}
				case "wrap":
					c = ((c % n) + n) % n
				default:
					inside = false
				}
			}
			src += c * xst[d]
		}
		if inside {
			y[i] = x[src]
		} else {
			y[i] = value
		}
	}
	return nil
}
