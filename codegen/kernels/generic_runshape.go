package kernels

import (
	"fmt"
	"slices"
)

// Ops on values whose shapes are known only at run time (after a Range of
// computed bounds, a Slice of computed starts, ...): these find the
// result's shape from the operands' shapes as Run has them, and the
// generated kernel computes each element with the op's own kernel
// specialized for one element.

// rtNumel is the number of elements of shape.
func rtNumel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// rtCheck returns an error unless data holds the elements of shape: a
// value's data and shape travel together, so a mismatch is a broken
// tensor passed in.
func rtCheck(op string, i, n int, shape []int) error {
	if n != rtNumel(shape) {
		return fmt.Errorf("%s: operand %d has %d elements for shape %v", op, i, n, shape)
	}
	return nil
}

// rtBroadcast returns the shape numpy-style broadcasting gives operands of
// the shapes ins (the shorter aligned to the right, a dim of 1 stretched)
// and, for each operand, the flat index of the element each result
// element reads; an error names the op when two dims disagree.
func rtBroadcast(op string, ins ...[]int) ([]int, [][]int, error) {
	r := 0
	for _, s := range ins {
		r = max(r, len(s))
	}
	out := make([]int, r)
	for i := range out {
		out[i] = 1
	}
	for _, s := range ins {
		for j, d := range s {
			k := j + r - len(s)
			switch {
			case d == out[k] || d == 1:
			case out[k] == 1:
				out[k] = d
			default:
				return nil, nil, fmt.Errorf("%s: shapes %v do not broadcast (dim %d: %d against %d)", op, ins, k, d, out[k])
			}
		}
	}
	n := rtNumel(out)
	idx := make([][]int, len(ins))
	ctr := make([]int, r)
	for k, s := range ins {
		st := make([]int, r)
		acc := 1
		for j := len(s) - 1; j >= 0; j-- {
			if s[j] != 1 {
				st[j+r-len(s)] = acc
			}
			acc *= s[j]
		}
		ix := make([]int, n)
		clear(ctr)
		at := 0
		for i := range ix {
			ix[i] = at
			for d := r - 1; d >= 0; d-- {
				ctr[d]++
				at += st[d]
				if ctr[d] < out[d] {
					break
				}
				at -= st[d] * ctr[d]
				ctr[d] = 0
			}
		}
		idx[k] = ix
	}
	return out, idx, nil
}

// rtShapeIs returns an error unless the shape found at run time, got,
// is the static shape want the model was compiled for.
func rtShapeIs(op string, got, want []int) error {
	if !slices.Equal(got, want) {
		return fmt.Errorf("%s: the operands give shape %v, the model was compiled for %v", op, got, want)
	}
	return nil
}

// rtUnsqueeze returns shape s with a dim of 1 inserted at each of axes,
// which count in the result's rank (negative ones from its end).
func rtUnsqueeze(s []int, axes []int64) ([]int, error) {
	r := len(s) + len(axes)
	ins := make([]bool, r)
	for _, a := range axes {
		ax := int(a)
		if ax < 0 {
			ax += r
		}
		if ax < 0 || ax >= r || ins[ax] {
			return nil, fmt.Errorf("Unsqueeze: axis %d is out of range or repeated for rank %d", a, r)
		}
		ins[ax] = true
	}
	out := make([]int, 0, r)
	j := 0
	for i := 0; i < r; i++ {
		if ins[i] {
			out = append(out, 1)
			continue
		}
		out = append(out, s[j])
		j++
	}
	return out, nil
}

// rtSqueeze returns shape s without the dims at axes (negative ones
// counting from the end), each of which must be 1; without axes, without
// every dim of 1.
func rtSqueeze(s []int, axes []int64) ([]int, error) {
	drop := make([]bool, len(s))
	for _, a := range axes {
		ax := int(a)
		if ax < 0 {
			ax += len(s)
		}
		if ax < 0 || ax >= len(s) {
			return nil, fmt.Errorf("Squeeze: axis %d is out of range for rank %d", a, len(s))
		}
		if s[ax] != 1 {
			return nil, fmt.Errorf("Squeeze: dim %d of shape %v is %d, not 1", ax, s, s[ax])
		}
		drop[ax] = true
	}
	out := []int{}
	for i, d := range s {
		if len(axes) == 0 && d == 1 || drop[i] {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// rtFlatten returns the 2-D shape Flatten gives shape s: the dims before
// axis (negative counting from the end) as rows, the rest as columns.
func rtFlatten(s []int, axis int) ([]int, error) {
	if axis < 0 {
		axis += len(s)
	}
	if axis < 0 || axis > len(s) {
		return nil, fmt.Errorf("Flatten: axis %d is out of range for rank %d", axis, len(s))
	}
	return []int{rtNumel(s[:axis]), rtNumel(s[axis:])}, nil
}

// rtReshape returns the shape spec gives a tensor of shape s: a 0 copies
// the dim at its position (unless allowzero, when it is a dim of 0), one
// -1 is inferred from the element count, which must not change.
func rtReshape(s []int, spec []int64, allowzero bool) ([]int, error) {
	out := make([]int, len(spec))
	infer, known := -1, 1
	for i, d := range spec {
		switch {
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("Reshape: shape %v has more than one -1", spec)
			}
			infer = i
			continue
		case d == 0 && !allowzero:
			if i >= len(s) {
				return nil, fmt.Errorf("Reshape: shape %v copies dim %d of %v, which has rank %d", spec, i, s, len(s))
			}
			out[i] = s[i]
		case d < 0:
			return nil, fmt.Errorf("Reshape: shape %v has a negative dim", spec)
		default:
			out[i] = int(d)
		}
		known *= out[i]
	}
	n := rtNumel(s)
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			return nil, fmt.Errorf("Reshape: %v cannot take the %d elements of %v", spec, n, s)
		}
		out[infer] = n / known
	}
	if rtNumel(out) != n {
		return nil, fmt.Errorf("Reshape: shape %v holds %d elements, the data %v has %d", out, rtNumel(out), s, n)
	}
	return out, nil
}

// rtShapeOf returns dims start up to end (end the rank when !hasEnd) of
// shape s as Shape gives them: negative bounds count from the end, both
// are clamped into [0, rank].
func rtShapeOf(s []int, start, end int, hasEnd bool) []int64 {
	r := len(s)
	if !hasEnd {
		end = r
	}
	if start < 0 {
		start += r
	}
	if end < 0 {
		end += r
	}
	start, end = min(max(start, 0), r), min(max(end, 0), r)
	out := []int64{}
	for i := start; i < end; i++ {
		out = append(out, int64(s[i]))
	}
	return out
}
