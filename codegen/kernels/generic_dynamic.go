package kernels

import (
	"cmp"
	"fmt"
	"math"
	"sort"
)

// The ops whose results' shapes depend on the data: NonZero, Compress,
// Unique and NonMaxSuppression. Each returns freshly allocated results
// with their sizes, which the generated Run hands out on the heap.

// nonZero returns the coordinates of x's nonzero elements (NaN counts),
// one row per dim of shape, and how many there are: a (len(shape), count)
// matrix in row-major order.
func nonZero[T comparable](x []T, shape []int) ([]int64, int) {
	var zero T
	var flat []int
	for i, v := range x {
		if v != zero {
			flat = append(flat, i)
		}
	}
	r := len(shape)
	out := make([]int64, r*len(flat))
	st := 1
	for d := r - 1; d >= 0; d-- {
		for j, f := range flat {
			out[d*len(flat)+j] = int64(f / st % shape[d])
		}
		st *= shape[d]
	}
	return out, len(flat)
}

// compress keeps the slices of x, viewed as (outer, n, inner), whose index
// along n has a nonzero condition; a condition shorter than n selects
// among its length, and one selecting past n is an error. It returns the
// kept elements and how many slices.
func compress[T any, C comparable](x []T, cond []C, outer, n, inner int) ([]T, int, error) {
	var zero C
	var sel []int
	for i, c := range cond {
		if c == zero {
			continue
		}
		if i >= n {
			return nil, 0, fmt.Errorf("Compress: condition selects index %d past dim %d", i, n)
		}
		sel = append(sel, i)
	}
	out := make([]T, 0, outer*len(sel)*inner)
	for o := 0; o < outer; o++ {
		for _, s := range sel {
			out = append(out, x[(o*n+s)*inner:(o*n+s+1)*inner]...)
		}
	}
	return out, len(sel), nil
}

// unique finds the distinct slices of x, viewed as (outer, n, inner), along
// n (with outer = inner = 1, the distinct elements). Slices compare
// lexicographically in (outer, inner) order; sorted orders the results by
// value, else by first occurrence. It returns the distinct slices laid out
// as (outer, k, inner), k, each one's first index, each slice's position
// among the results, and each result's count.
func unique[T cmp.Ordered](x []T, outer, n, inner int, sorted bool) (y []T, k int, indices, inverse, counts []int64) {
	width := outer * inner
	at := func(row, i int) T { return x[((i/inner)*n+row)*inner+i%inner] }
	rowCmp := func(a, b int) int {
		for i := 0; i < width; i++ {
			if c := cmp.Compare(at(a, i), at(b, i)); c != 0 {
				return c
			}
		}
		return 0
	}
	byValue := make([]int, n)
	for i := range byValue {
		byValue[i] = i
	}
	sort.SliceStable(byValue, func(i, j int) bool { return rowCmp(byValue[i], byValue[j]) < 0 })
	var firsts []int
	var cnt []int64
	group := make([]int, n)
	for j, row := range byValue {
		if j == 0 || rowCmp(byValue[j-1], row) != 0 {
			firsts = append(firsts, row)
			cnt = append(cnt, 0)
		}
		group[row] = len(firsts) - 1
		cnt[len(cnt)-1]++
	}
	order := make([]int, len(firsts))
	for i := range order {
		order[i] = i
	}
	if !sorted {
		sort.Slice(order, func(i, j int) bool { return firsts[order[i]] < firsts[order[j]] })
	}
	k = len(order)
	pos := make([]int64, k)
	for j, g := range order {
		pos[g] = int64(j)
	}
	inverse = make([]int64, n)
	for row, g := range group {
		inverse[row] = pos[g]
	}
	indices, counts = make([]int64, k), make([]int64, k)
	y = make([]T, outer*k*inner)
	for j, g := range order {
		indices[j], counts[j] = int64(firsts[g]), cnt[g]
		for o := 0; o < outer; o++ {
			copy(y[(o*k+j)*inner:(o*k+j+1)*inner], x[(o*n+firsts[g])*inner:(o*n+firsts[g]+1)*inner])
		}
	}
	return y, k, indices, inverse, counts
}

// nmsBox is a box as its min and max corners.
type nmsBox struct{ y0, x0, y1, x1 float64 }

// nmsIoU is the intersection over union of two boxes, 0 when they do not
// overlap or the union is empty.
func nmsIoU(a, b nmsBox) float64 {
	h := math.Min(a.y1, b.y1) - math.Max(a.y0, b.y0)
	w := math.Min(a.x1, b.x1) - math.Max(a.x0, b.x0)
	if h <= 0 || w <= 0 {
		return 0
	}
	inter := h * w
	union := (a.y1-a.y0)*(a.x1-a.x0) + (b.y1-b.y0)*(b.x1-b.x0) - inter
	if union <= 0 {
		return 0
	}
	return inter / union
}

// nonMaxSuppression is NonMaxSuppression: per batch and class, boxes by
// descending score (ties by index; with hasScoreThr only scores above
// scoreThr), each kept unless it overlaps a kept one by more than iouThr,
// at most maxOut per class. boxes is (batches, nbox, 4), corners in either
// order or, with center, (x center, y center, width, height); scores
// (batches, classes, nbox). It returns the selected (batch, class, box)
// triples, row after row.
func nonMaxSuppression[T ~float32 | ~float64](boxes, scores []T, batches, nbox, classes int, maxOut int64, iouThr, scoreThr float64, hasScoreThr, center bool) ([]int64, error) {
	if iouThr < 0 || iouThr > 1 {
		return nil, fmt.Errorf("NonMaxSuppression: iou_threshold %g is outside [0, 1]", iouThr)
	}
	box := func(b, i int) nmsBox {
		v := boxes[(b*nbox+i)*4 : (b*nbox+i)*4+4]
		v0, v1, v2, v3 := float64(v[0]), float64(v[1]), float64(v[2]), float64(v[3])
		if center {
			return nmsBox{v1 - v3/2, v0 - v2/2, v1 + v3/2, v0 + v2/2}
		}
		return nmsBox{math.Min(v0, v2), math.Min(v1, v3), math.Max(v0, v2), math.Max(v1, v3)}
	}
	sel := []int64{}
	for b := 0; b < batches; b++ {
		for cl := 0; cl < classes; cl++ {
			s := scores[(b*classes+cl)*nbox : (b*classes+cl+1)*nbox]
			var cand []int
			for i, v := range s {
				if !hasScoreThr || float64(v) > scoreThr {
					cand = append(cand, i)
				}
			}
			sort.SliceStable(cand, func(i, j int) bool { return s[cand[i]] > s[cand[j]] })
			var kept []int
			for _, i := range cand {
				if int64(len(kept)) >= maxOut {
					break
				}
				ok := true
				for _, k := range kept {
					if nmsIoU(box(b, i), box(b, k)) > iouThr {
						ok = false
						break
					}
				}
				if ok {
					kept = append(kept, i)
					sel = append(sel, int64(b), int64(cl), int64(i))
				}
			}
		}
	}
	return sel, nil
}

// rangeInt is Range over integers read at run time: start, start+delta,
// ... up to limit (excluded), its length computed exactly. A zero delta,
// or more than 2^31 elements, is an error.
func rangeInt[T ~int16 | ~int32 | ~int64](start, limit, delta T) ([]T, error) {
	if delta == 0 {
		return nil, fmt.Errorf("Range: delta is zero")
	}
	var diff, step uint64
	switch {
	case delta > 0 && limit > start:
		diff, step = uint64(int64(limit)-int64(start)), uint64(delta)
	case delta < 0 && limit < start:
		diff, step = uint64(int64(start)-int64(limit)), uint64(-int64(delta))
	}
	n := diff / max(step, 1)
	if diff%max(step, 1) != 0 {
		n++
	}
	if n > 1<<31 {
		return nil, fmt.Errorf("Range: %d elements is too many", n)
	}
	out := make([]T, n)
	for i := range out {
		out[i] = start + T(i)*delta
	}
	return out, nil
}

// rangeFloat is Range over floats read at run time, each element start +
// i*delta in T, ceil((limit-start)/delta) of them (none when that is not
// positive). A zero or non-finite operand, or more than 2^31 elements, is
// an error.
func rangeFloat[T ~float32 | ~float64](start, limit, delta T) ([]T, error) {
	if delta == 0 {
		return nil, fmt.Errorf("Range: delta is zero")
	}
	for i, v := range []T{start, limit, delta} {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("Range: operand %d is %v", i, f)
		}
	}
	c := math.Ceil((float64(limit) - float64(start)) / float64(delta))
	if c > 1<<31 {
		return nil, fmt.Errorf("Range: %g elements is too many", c)
	}
	n := 0
	if c > 0 {
		n = int(c)
	}
	out := make([]T, n)
	for i := range out {
		out[i] = start + T(i)*delta
	}
	return out, nil
}
