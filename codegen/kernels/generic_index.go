package kernels

import (
	"fmt"
	"sort"
)

// topK writes the k largest (or smallest) elements of each line of x
// along axis (x of shape; outer lines before the axis, inner after) into
// vals and their positions into idx, in order; equal elements keep the
// lower position first.
func topK[T ~int32 | ~int64 | ~float32 | ~float64](x, vals []T, idx []int64, outer, n, inner, k int, largest bool) {
	order := make([]int, n)
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			base := o*n*inner + in
			for i := range order {
				order[i] = i
			}
			sort.SliceStable(order, func(i, j int) bool {
				a, b := x[base+order[i]*inner], x[base+order[j]*inner]
				if largest {
					return a > b
				}
				return a < b
			})
			for j := 0; j < k; j++ {
				at := (o*k+j)*inner + in
				vals[at] = x[base+order[j]*inner]
				idx[at] = int64(order[j])
			}
		}
	}
}

// strides returns the row-major strides of shape.
func strides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// scatterCombine folds update u into old by reduction: "none" replaces,
// "add", "mul", "max" and "min" combine.
func scatterCombine[T ~int32 | ~int64 | ~float32 | ~float64](old, u T, reduction string) T {
	switch reduction {
	case "add":
		return old + u
	case "mul":
		return old * u
	case "max":
		return max(old, u)
	case "min":
		return min(old, u)
	}
	return u
}

// scatterElements writes data into y, then each update at the position
// of its own coordinates with the one along axis replaced by its index
// (negative ones counting from the end), combined by reduction. An index
// out of range is an error.
func scatterElements[T ~int32 | ~int64 | ~float32 | ~float64, I ~int32 | ~int64](data []T, indices []I, updates, y []T, dshape, ishape []int, axis int, reduction string) error {
	copy(y, data)
	dst, ist := strides(dshape), strides(ishape)
	for i, ix := range indices {
		k := int64(ix)
		if k < 0 {
			k += int64(dshape[axis])
		}
		if k < 0 || k >= int64(dshape[axis]) {
			return fmt.Errorf("index %d is out of range for axis %d of size %d", ix, axis, dshape[axis])
		}
		off := 0
		for d := range ishape {
			c := (i / ist[d]) % ishape[d]
			if d == axis {
				c = int(k)
			}
			off += c * dst[d]
		}
		y[off] = scatterCombine(y[off], updates[i], reduction)
	}
	return nil
}

// ndOffset returns the element offset in data of shape dshape that the
// index tuple tup (one index per leading dim, negative ones counting from
// the end) selects, or an error when one is out of range.
func ndOffset[I ~int32 | ~int64](tup []I, dshape, dst []int) (int, error) {
	off := 0
	for j, ix := range tup {
		k := int64(ix)
		if k < 0 {
			k += int64(dshape[j])
		}
		if k < 0 || k >= int64(dshape[j]) {
			return 0, fmt.Errorf("index %d is out of range for dim %d of size %d", ix, j, dshape[j])
		}
		off += int(k) * dst[j]
	}
	return off, nil
}

// scatterND writes data into y, then each slice of updates at the place
// its index tuple (the last dim of indices, k long) selects, combined by
// reduction.
func scatterND[T ~int32 | ~int64 | ~float32 | ~float64, I ~int32 | ~int64](data []T, indices []I, updates, y []T, dshape []int, k int, reduction string) error {
	copy(y, data)
	dst := strides(dshape)
	slice := 1
	for _, d := range dshape[k:] {
		slice *= d
	}
	for t := 0; t*k < len(indices); t++ {
		off, err := ndOffset(indices[t*k:(t+1)*k], dshape, dst)
		if err != nil {
			return err
		}
		for j := 0; j < slice; j++ {
			y[off+j] = scatterCombine(y[off+j], updates[t*slice+j], reduction)
		}
	}
	return nil
}

// gatherND copies into y, for each of batch leading blocks of data (each
// of dshape, the dims after the batch dims) and each index tuple of the
// block (k long), the slice of data the tuple selects.
func gatherND[T any, I ~int32 | ~int64](data []T, indices []I, y []T, batch int, dshape []int, k int) error {
	dst := strides(dshape)
	block, slice := 1, 1
	for _, d := range dshape {
		block *= d
	}
	for _, d := range dshape[k:] {
		slice *= d
	}
	tuples := len(indices) / max(k, 1) / max(batch, 1)
	if k == 0 {
		tuples = len(y) / max(slice, 1) / max(batch, 1)
	}
	for b := 0; b < batch; b++ {
		for t := 0; t < tuples; t++ {
			tup := indices[(b*tuples+t)*k : (b*tuples+t+1)*k]
			off, err := ndOffset(tup, dshape, dst)
			if err != nil {
				return err
			}
			copy(y[(b*tuples+t)*slice:(b*tuples+t+1)*slice], data[b*block+off:b*block+off+slice])
		}
	}
	return nil
}
