package kernels

import "fmt"

// The sequence and optional ops of ONNX (SequenceInsert, SequenceAt,
// SequenceErase, SplitToSequence, ConcatFromSequence, SequenceMap) and the
// few tensor ops a compiled package runs on tensors whose shapes are known
// only at run time (inside a SequenceMap body, or on an element taken out
// of a sequence). A generated package keeps a sequence as a slice of its
// Tensor type; these functions take the item type as a type parameter and
// the elements as plain slices, so they know nothing of that type. Every
// result is freshly allocated: items are never written once they are in a
// sequence, so sequences may share them.

// seqPos turns a sequence position p (negative counts from the back, as
// ONNX says) into an index in [0, n), or [0, n] when end is set (an
// insert may append), or an error naming the range.
func seqPos(p int64, n int, end bool) (int, error) {
	hi := int64(n) - 1
	if end {
		hi = int64(n)
	}
	if p < -int64(n) || p > hi {
		return 0, fmt.Errorf("position %d out of range for a sequence of %d", p, n)
	}
	if p < 0 {
		p += int64(n)
	}
	return int(p), nil
}

// seqInsert returns a new sequence: s with t inserted before position p,
// or appended when hasPos is false.
func seqInsert[T any](s []T, t T, p int64, hasPos bool) ([]T, error) {
	pos := len(s)
	if hasPos {
		var err error
		if pos, err = seqPos(p, len(s), true); err != nil {
			return nil, err
		}
	}
	out := make([]T, 0, len(s)+1)
	out = append(out, s[:pos]...)
	out = append(out, t)
	return append(out, s[pos:]...), nil
}

// seqErase returns a new sequence: s without the item at position p, or
// without its last item when hasPos is false.
func seqErase[T any](s []T, p int64, hasPos bool) ([]T, error) {
	if len(s) == 0 {
		return nil, fmt.Errorf("erasing from an empty sequence")
	}
	pos := len(s) - 1
	if hasPos {
		var err error
		if pos, err = seqPos(p, len(s), false); err != nil {
			return nil, err
		}
	}
	out := make([]T, 0, len(s)-1)
	out = append(out, s[:pos]...)
	return append(out, s[pos+1:]...), nil
}

// seqAt returns the item of s at position p.
func seqAt[T any](s []T, p int64) (T, error) {
	pos, err := seqPos(p, len(s), false)
	if err != nil {
		var zero T
		return zero, err
	}
	return s[pos], nil
}

// splitSizes returns the sizes SplitToSequence cuts an axis of length n
// into: ones without a split (hasSplit false); with a scalar split
// (splitRank 0) chunks of split[0], the last one shorter; with a 1-D split
// its sizes, which must each lie in 0..n and sum to n.
func splitSizes(n int, split []int64, splitRank int, hasSplit bool) ([]int, error) {
	if !hasSplit {
		sizes := make([]int, n)
		for i := range sizes {
			sizes[i] = 1
		}
		return sizes, nil
	}
	if splitRank > 1 {
		return nil, fmt.Errorf("split has rank %d, want a scalar or a 1-D list", splitRank)
	}
	if splitRank == 0 {
		if len(split) != 1 {
			return nil, fmt.Errorf("a scalar split holds %d values", len(split))
		}
		if split[0] <= 0 {
			return nil, fmt.Errorf("split size %d is not positive", split[0])
		}
		// A chunk longer than the axis gives one piece: capping it keeps
		// the int conversion from wrapping.
		k := int(min(split[0], int64(n)+1))
		var sizes []int
		for left := n; left > 0; left -= k {
			sizes = append(sizes, min(k, left))
		}
		return sizes, nil
	}
	sizes := make([]int, len(split))
	sum := 0
	for i, v := range split {
		// Each size is checked before it becomes an int, so that huge
		// sizes cannot wrap around to a sum that matches the axis.
		if v < 0 || v > int64(n) {
			return nil, fmt.Errorf("split size %d is outside 0..%d (the axis length)", v, n)
		}
		sizes[i] = int(v)
		sum += int(v)
	}
	if sum != n {
		return nil, fmt.Errorf("split sizes %v sum to %d, the axis has %d", sizes, sum, n)
	}
	return sizes, nil
}

// splitAxis cuts x, of the given shape, along axis into pieces of the given
// sizes (summing to the axis length: splitSizes checked them), each with
// its shape; with drop set the pieces lose the axis.
func splitAxis[E any](x []E, shape []int, axis int, sizes []int, drop bool) ([][]E, [][]int) {
	outer, inner := 1, 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	parts := make([][]E, len(sizes))
	shapes := make([][]int, len(sizes))
	start := 0
	for k, s := range sizes {
		n := s * inner
		p := make([]E, outer*n)
		for o := 0; o < outer; o++ {
			from := (o*shape[axis] + start) * inner
			copy(p[o*n:(o+1)*n], x[from:from+n])
		}
		sh := append([]int(nil), shape...)
		sh[axis] = s
		if drop {
			sh = append(sh[:axis:axis], sh[axis+1:]...)
		}
		parts[k], shapes[k] = p, sh
		start += s
	}
	return parts, shapes
}

// concatAxis joins parts, each with its shape, along axis (ConcatFromSequence):
// their shapes must agree but along axis; with newAxis set they must agree
// everywhere and are stacked along a new axis at that position (axis in
// 0..rank). It returns the elements and their shape.
func concatAxis[E any](parts [][]E, shapes [][]int, axis int64, newAxis bool) ([]E, []int, error) {
	if len(parts) == 0 {
		return nil, nil, fmt.Errorf("concatenating an empty sequence")
	}
	r := len(shapes[0])
	if newAxis {
		ax := axis
		if ax < -int64(r)-1 || ax > int64(r) {
			return nil, nil, fmt.Errorf("axis %d out of range for rank %d", axis, r+1)
		}
		if ax < 0 {
			ax += int64(r) + 1
		}
		ex := make([][]int, len(shapes))
		for i, s := range shapes {
			if !equalInts(s, shapes[0]) {
				return nil, nil, fmt.Errorf("tensor %d has shape %v, tensor 0 has %v", i, s, shapes[0])
			}
			ex[i] = append(append(append([]int(nil), s[:ax]...), 1), s[ax:]...)
		}
		return concatAxis(parts, ex, ax, false)
	}
	if axis < -int64(r) || axis >= int64(r) {
		return nil, nil, fmt.Errorf("axis %d out of range for rank %d", axis, r)
	}
	ax := int(axis)
	if ax < 0 {
		ax += r
	}
	shape := append([]int(nil), shapes[0]...)
	shape[ax] = 0
	for i, s := range shapes {
		if len(s) != r {
			return nil, nil, fmt.Errorf("tensor %d has shape %v, tensor 0 has %v (ranks differ)", i, s, shapes[0])
		}
		for d := range s {
			if d != ax && s[d] != shapes[0][d] {
				return nil, nil, fmt.Errorf("tensor %d has shape %v, tensor 0 has %v (dim %d differs)", i, s, shapes[0], d)
			}
		}
		shape[ax] += s[ax]
	}
	outer, inner := 1, 1
	for _, d := range shape[:ax] {
		outer *= d
	}
	for _, d := range shape[ax+1:] {
		inner *= d
	}
	out := make([]E, outer*shape[ax]*inner)
	off := 0
	for o := 0; o < outer; o++ {
		for i, p := range parts {
			n := shapes[i][ax] * inner
			copy(out[off:off+n], p[o*n:(o+1)*n])
			off += n
		}
	}
	return out, shape, nil
}

// equalInts reports whether a and b hold the same ints.
func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// broadcastRT applies f to the elements of a and b broadcast together
// (numpy rules) with shapes known only at run time: the shapes must agree
// on every trailing dim or be 1 there. It returns the result and its
// shape.
func broadcastRT[E, R any](a []E, as []int, b []E, bs []int, f func(x, y E) R) ([]R, []int, error) {
	r := max(len(as), len(bs))
	shape := make([]int, r)
	pa, pb := make([]int, r), make([]int, r)
	for i := 0; i < r; i++ {
		da, db := 1, 1
		if j := i - (r - len(as)); j >= 0 {
			da = as[j]
		}
		if j := i - (r - len(bs)); j >= 0 {
			db = bs[j]
		}
		switch {
		case da == db, db == 1:
			shape[i] = da
		case da == 1:
			shape[i] = db
		default:
			return nil, nil, fmt.Errorf("shapes %v and %v do not broadcast (dim %d: %d against %d)", as, bs, i, da, db)
		}
		pa[i], pb[i] = da, db
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	out := make([]R, n)
	// Strides of each operand over the result's index, 0 where it is
	// broadcast.
	sa, sb := make([]int, r), make([]int, r)
	ka, kb := 1, 1
	for i := r - 1; i >= 0; i-- {
		if pa[i] != 1 {
			sa[i] = ka
		}
		if pb[i] != 1 {
			sb[i] = kb
		}
		ka *= pa[i]
		kb *= pb[i]
	}
	idx := make([]int, r)
	ia, ib := 0, 0
	for k := 0; k < n; k++ {
		out[k] = f(a[ia], b[ib])
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			ia += sa[d]
			ib += sb[d]
			if idx[d] < shape[d] {
				break
			}
			ia -= sa[d] * shape[d]
			ib -= sb[d] * shape[d]
			idx[d] = 0
		}
	}
	return out, shape, nil
}

// sliceShaped returns the slice of x (of shape xs) that starts, ends and
// the optional axes and steps select, and its shape, found at run time
// (for a result that goes into a sequence). ONNX clamps the bounds: a
// negative start or end counts from the end, both are then clamped into
// the dim ([0, dim] going forward, [-1, dim-1] going back).
func sliceShaped[T any, I ~int32 | ~int64](x []T, xs []int, starts, ends, axes, steps []I) ([]T, []int, error) {
	r := len(xs)
	if len(ends) != len(starts) || axes != nil && len(axes) != len(starts) || steps != nil && len(steps) != len(starts) {
		return nil, nil, fmt.Errorf("Slice: starts, ends, axes and steps differ in length")
	}
	start, step := make([]int, r), make([]int, r)
	shape := append([]int(nil), xs...)
	for d := range step {
		step[d] = 1
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
			return nil, nil, fmt.Errorf("Slice: axis %d is out of range or repeated for rank %d", ax, r)
		}
		seen[ax] = true
		st := int64(1)
		if steps != nil {
			st = int64(steps[i])
		}
		if st == 0 {
			return nil, nil, fmt.Errorf("Slice: step 0 on axis %d", ax)
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
		start[ax], step[ax], shape[ax] = int(s), int(st), int(max(n, 0))
	}
	total := 1
	for _, d := range shape {
		total *= d
	}
	out := make([]T, total)
	if total == 0 {
		return out, shape, nil
	}
	// Walk the result's index, keeping the source offset in step.
	stride := make([]int, r)
	k := 1
	for d := r - 1; d >= 0; d-- {
		stride[d] = k
		k *= xs[d]
	}
	idx := make([]int, r)
	off := 0
	for d := 0; d < r; d++ {
		off += start[d] * stride[d]
	}
	for i := range out {
		out[i] = x[off]
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			off += step[d] * stride[d]
			if idx[d] < shape[d] {
				break
			}
			off -= idx[d] * step[d] * stride[d]
			idx[d] = 0
		}
	}
	return out, shape, nil
}
