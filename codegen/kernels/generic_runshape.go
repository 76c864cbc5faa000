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
