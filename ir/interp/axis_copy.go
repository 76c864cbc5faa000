package interp

import (
	"fmt"
	"reflect"
	"slices"
)

// Block copies along one axis, shared by the sequence and control-flow
// kernels (SplitToSequence, ConcatFromSequence, Loop and Scan outputs). They
// work on any dtype by copying runs of elements with reflect.Copy.

// copyAxisBlocks returns the number of outer blocks before axis and the number
// of elements after it.
func copyAxisBlocks(shape []int, axis int) (outer, inner int) {
	outer, inner = 1, 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	return outer, inner
}

// seqConcatAxis joins tensors whose shapes agree except along axis.
func seqConcatAxis(ts []*Tensor, axis int) (*Tensor, error) {
	if len(ts) == 0 {
		return nil, fmt.Errorf("nothing to concatenate")
	}
	first := ts[0]
	r := len(first.Shape)
	if axis < 0 || axis >= r {
		return nil, fmt.Errorf("axis %d out of range for rank %d", axis, r)
	}
	shape := append([]int(nil), first.Shape...)
	shape[axis] = 0
	for i, t := range ts {
		if t.DType != first.DType {
			return nil, fmt.Errorf("tensor %d is %v, tensor 0 is %v", i, t.DType, first.DType)
		}
		if len(t.Shape) != r {
			return nil, fmt.Errorf("tensor %d has shape %v, tensor 0 has %v (ranks differ)", i, t.Shape, first.Shape)
		}
		for d := range t.Shape {
			if d != axis && t.Shape[d] != first.Shape[d] {
				return nil, fmt.Errorf("tensor %d has shape %v, tensor 0 has %v (dim %d differs)", i, t.Shape, first.Shape, d)
			}
		}
		shape[axis] += t.Shape[axis]
	}
	out := NewTensor(first.DType, shape)
	outer, inner := copyAxisBlocks(shape, axis)
	dst := reflect.ValueOf(out.Data)
	off := 0
	for o := 0; o < outer; o++ {
		for _, t := range ts {
			n := t.Shape[axis] * inner
			reflect.Copy(dst.Slice(off, off+n), reflect.ValueOf(t.Data).Slice(o*n, (o+1)*n))
			off += n
		}
	}
	return out, nil
}

// seqStackAxis joins same-shaped tensors along a new axis.
func seqStackAxis(ts []*Tensor, axis int) (*Tensor, error) {
	if len(ts) == 0 {
		return nil, fmt.Errorf("nothing to stack")
	}
	r := len(ts[0].Shape)
	if axis < 0 || axis > r {
		return nil, fmt.Errorf("new axis %d out of range for rank %d", axis, r)
	}
	ex := scratch[*Tensor](len(ts))
	for i, t := range ts {
		if !slices.Equal(t.Shape, ts[0].Shape) {
			return nil, fmt.Errorf("tensor %d has shape %v, tensor 0 has %v", i, t.Shape, ts[0].Shape)
		}
		s := append(append(append([]int(nil), t.Shape[:axis]...), 1), t.Shape[axis:]...)
		ex[i] = t.Reshaped(s)
	}
	return seqConcatAxis(ex, axis)
}

// seqSplitAxis cuts t along axis into pieces of the given sizes (which
// must sum to the axis length); with drop set, pieces of size 1 lose the
// axis.
func seqSplitAxis(t *Tensor, axis int, sizes []int, drop bool) ([]*Tensor, error) {
	r := len(t.Shape)
	if axis < 0 || axis >= r {
		return nil, fmt.Errorf("axis %d out of range for rank %d", axis, r)
	}
	sum := 0
	for _, s := range sizes {
		if s < 0 {
			return nil, fmt.Errorf("negative split size %d", s)
		}
		sum += s
	}
	if sum != t.Shape[axis] {
		return nil, fmt.Errorf("split sizes %v sum to %d, axis %d has %d", sizes, sum, axis, t.Shape[axis])
	}
	outer, inner := copyAxisBlocks(t.Shape, axis)
	src := reflect.ValueOf(t.Data)
	out := scratch[*Tensor](len(sizes))
	start := 0
	for k, s := range sizes {
		shape := append([]int(nil), t.Shape...)
		shape[axis] = s
		p := NewTensor(t.DType, shape)
		dst := reflect.ValueOf(p.Data)
		n := s * inner
		for o := 0; o < outer; o++ {
			from := o*t.Shape[axis]*inner + start*inner
			reflect.Copy(dst.Slice(o*n, (o+1)*n), src.Slice(from, from+n))
		}
		if drop {
			p.Shape = append(shape[:axis:axis], shape[axis+1:]...)
		}
		out[k] = p
		start += s
	}
	return out, nil
}
