package interp

import (
	"cmp"
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// Data-movement primitives for the shape and indexing kernels. Each works
// on any element type by switching once on the slice type; the kernels only
// compute flat index maps.

// takeFlatSlice returns src[idx[0]], src[idx[1]], ...
func takeFlatSlice[T any](src []T, idx []int) []T {
	out := scratch[T](len(idx))
	for i, j := range idx {
		out[i] = src[j]
	}
	return out
}

// takeFlat builds a tensor of shape whose element i is t's flat element
// idx[i].
func takeFlat(t *Tensor, shape []int, idx []int) *Tensor {
	var data any
	switch s := t.Data.(type) {
	case []float32:
		data = takeFlatSlice(s, idx)
	case []float64:
		data = takeFlatSlice(s, idx)
	case []ir.Float16:
		data = takeFlatSlice(s, idx)
	case []ir.BFloat16:
		data = takeFlatSlice(s, idx)
	case []int8:
		data = takeFlatSlice(s, idx)
	case []int16:
		data = takeFlatSlice(s, idx)
	case []int32:
		data = takeFlatSlice(s, idx)
	case []int64:
		data = takeFlatSlice(s, idx)
	case []uint8:
		data = takeFlatSlice(s, idx)
	case []uint16:
		data = takeFlatSlice(s, idx)
	case []uint32:
		data = takeFlatSlice(s, idx)
	case []uint64:
		data = takeFlatSlice(s, idx)
	case []bool:
		data = takeFlatSlice(s, idx)
	case []string:
		data = takeFlatSlice(s, idx)
	case []complex64:
		data = takeFlatSlice(s, idx)
	case []complex128:
		data = takeFlatSlice(s, idx)
	default:
		panic(fmt.Sprintf("interp: takeFlat on %T", t.Data))
	}
	return &Tensor{DType: t.DType, Shape: append([]int{}, shape...), Data: data}
}

func putFlatSlice[T any](dst, src []T, idx []int) {
	for i, j := range idx {
		dst[j] = src[i]
	}
}

// putFlat writes src's flat element i to dst's flat element idx[i]; the
// dtypes must match.
func putFlat(dst, src *Tensor, idx []int) {
	switch d := dst.Data.(type) {
	case []float32:
		putFlatSlice(d, src.Data.([]float32), idx)
	case []float64:
		putFlatSlice(d, src.Data.([]float64), idx)
	case []ir.Float16:
		putFlatSlice(d, src.Data.([]ir.Float16), idx)
	case []ir.BFloat16:
		putFlatSlice(d, src.Data.([]ir.BFloat16), idx)
	case []int8:
		putFlatSlice(d, src.Data.([]int8), idx)
	case []int16:
		putFlatSlice(d, src.Data.([]int16), idx)
	case []int32:
		putFlatSlice(d, src.Data.([]int32), idx)
	case []int64:
		putFlatSlice(d, src.Data.([]int64), idx)
	case []uint8:
		putFlatSlice(d, src.Data.([]uint8), idx)
	case []uint16:
		putFlatSlice(d, src.Data.([]uint16), idx)
	case []uint32:
		putFlatSlice(d, src.Data.([]uint32), idx)
	case []uint64:
		putFlatSlice(d, src.Data.([]uint64), idx)
	case []bool:
		putFlatSlice(d, src.Data.([]bool), idx)
	case []string:
		putFlatSlice(d, src.Data.([]string), idx)
	case []complex64:
		putFlatSlice(d, src.Data.([]complex64), idx)
	case []complex128:
		putFlatSlice(d, src.Data.([]complex128), idx)
	default:
		panic(fmt.Sprintf("interp: putFlat on %T", dst.Data))
	}
}

// filledWith returns a tensor of shape filled with the single element of v.
func filledWith(v *Tensor, shape []int) *Tensor {
	return takeFlat(v, shape, scratch[int](NumElements(shape)))
}

// elemsAsInt64 reads an integer (or bool) tensor's elements as int64.
func elemsAsInt64(t *Tensor) ([]int64, error) {
	switch {
	case t.DType == ir.Bool:
		out := scratch[int64](t.Len())
		for i, x := range Data[bool](t) {
			if x {
				out[i] = 1
			}
		}
		return out, nil
	case t.DType.IsInt():
		return Data[int64](castNumeric(t, ir.I64)), nil
	}
	return nil, fmt.Errorf("want an integer tensor, have %v", t.DType)
}

// elemsAsFloat64 reads a real numeric or bool tensor's elements as float64.
func elemsAsFloat64(t *Tensor) ([]float64, error) {
	if b, ok := t.Data.([]bool); ok {
		out := scratch[float64](len(b))
		for i, x := range b {
			if x {
				out[i] = 1
			}
		}
		return out, nil
	}
	out, err := numericAsF64(t)
	if err != nil {
		return nil, fmt.Errorf("want a numeric tensor, have %v", t.DType)
	}
	return out, nil
}

// tensorFromFloat64 builds a tensor of dtype d from float64 values, rounding to
// nearest for integer types (saturating) and ties-to-even for f16/bf16.
func tensorFromFloat64(d ir.DType, shape []int, v []float64) (*Tensor, error) {
	switch {
	case d == ir.Bool:
		out := NewTensor(d, shape)
		s := Data[bool](out)
		for i, x := range v {
			s[i] = x != 0
		}
		return out, nil
	case d.IsFloat() || d.IsInt():
		return nnFromFloats(d, shape, v), nil
	}
	return nil, fmt.Errorf("%v is not a real numeric type", d)
}

// elemNonZero reports for each element whether it is non-zero (non-empty for
// strings, true for bools).
func elemNonZero(t *Tensor) ([]bool, error) {
	out := scratch[bool](t.Len())
	switch s := t.Data.(type) {
	case []bool:
		copy(out, s)
	case []string:
		for i, x := range s {
			out[i] = x != ""
		}
	case []complex64:
		for i, x := range s {
			out[i] = x != 0
		}
	case []complex128:
		for i, x := range s {
			out[i] = x != 0
		}
	default:
		f, err := elemsAsFloat64(t)
		if err != nil {
			return nil, err
		}
		for i, x := range f {
			out[i] = x != 0
		}
	}
	return out, nil
}

// elemOrder returns a three-way comparison of t's flat elements i and j,
// with NaN ordered after every number (as numpy sorts).
func elemOrder(t *Tensor) (func(i, j int) int, error) {
	switch s := t.Data.(type) {
	case []string:
		return func(i, j int) int { return cmp.Compare(s[i], s[j]) }, nil
	case []int64:
		return func(i, j int) int { return cmp.Compare(s[i], s[j]) }, nil
	case []uint64:
		return func(i, j int) int { return cmp.Compare(s[i], s[j]) }, nil
	case []complex64, []complex128:
		return nil, fmt.Errorf("%v has no order", t.DType)
	}
	f, err := elemsAsFloat64(t)
	if err != nil {
		return nil, err
	}
	return func(i, j int) int { return cmp.Compare(f[i], f[j]) }, nil
}

// gatherIndexMap gives, for every index of an output of shape out, the flat
// index into an input with strides inStrides after mapping the output
// coordinate through f (which may rewrite coord in place). f returns false
// for coordinates that read nothing (flat index -1).
func gatherIndexMap(out []int, inStrides []int, f func(coord []int) bool) []int {
	n := NumElements(out)
	idx := scratch[int](n)
	coord := scratch[int](len(out))
	tmp := scratch[int](len(out))
	for k := 0; k < n; k++ {
		copy(tmp, coord)
		if f(tmp) {
			p := 0
			for d, c := range tmp {
				p += c * inStrides[d]
			}
			idx[k] = p
		} else {
			idx[k] = -1
		}
		for d := len(out) - 1; d >= 0; d-- {
			coord[d]++
			if coord[d] < out[d] {
				break
			}
			coord[d] = 0
		}
	}
	return idx
}

// dimsFromInt64 converts an i64 shape to ints, rejecting negative dims.
func dimsFromInt64(v []int64, what string) ([]int, error) {
	out := scratch[int](len(v))
	for i, x := range v {
		if x < 0 {
			return nil, fmt.Errorf("%s[%d] is %d", what, i, x)
		}
		out[i] = int(x)
	}
	return out, nil
}

// wrapAxis maps a possibly negative run-time axis into [0, rank).
func wrapAxis(axis int64, rank int, what string) (int, error) {
	a, err := ir.NormAxis(axis, rank)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return a, nil
}

// maxKernelElements bounds the tensors kernels size from operand values
// (shapes, repeats, pads, scales, depth), so that a bad value is an error
// rather than an out-of-memory crash.
const maxKernelElements = 1 << 30

// checkElemCount rejects a computed output shape that is too large.
func checkElemCount(shape []int, what string) error {
	n := 1
	for _, d := range shape {
		if d < 0 || d > maxKernelElements {
			return fmt.Errorf("%s %v is too large", what, shape)
		}
	}
	for _, d := range shape {
		if d == 0 {
			return nil
		}
	}
	for _, d := range shape {
		if d < 0 || n > maxKernelElements/d {
			return fmt.Errorf("%s %v is too large", what, shape)
		}
		n *= d
	}
	return nil
}
