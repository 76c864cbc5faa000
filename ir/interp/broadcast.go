package interp

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// BroadcastShape returns the numpy-style broadcast of shapes.
func BroadcastShape(shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := scratch[int](rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			switch {
			case d == out[off+i] || d == 1:
			case out[off+i] == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("shapes %v do not broadcast (dim %d: %d vs %d)", shapes, off+i, out[off+i], d)
			}
		}
	}
	return out, nil
}

// Strides returns the C-order strides of shape.
func Strides(shape []int) []int {
	st := scratch[int](len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = acc
		acc *= shape[i]
	}
	return st
}

// BroadcastIndex maps every flat index of the broadcast shape out to the flat
// index of an operand of shape in (right-aligned; size-1 dims repeat).
func BroadcastIndex(in, out []int) []int {
	n := NumElements(out)
	idx := scratch[int](n)
	// Strides of in aligned to out's rank, 0 where in broadcasts.
	st := scratch[int](len(out))
	inSt := Strides(in)
	off := len(out) - len(in)
	for i := range in {
		if in[i] != 1 {
			st[off+i] = inSt[i]
		}
	}
	coord := scratch[int](len(out))
	p := 0
	for k := 0; k < n; k++ {
		idx[k] = p
		// Advance the coordinate odometer and the mapped position.
		for d := len(out) - 1; d >= 0; d-- {
			coord[d]++
			p += st[d]
			if coord[d] < out[d] {
				break
			}
			p -= st[d] * coord[d]
			coord[d] = 0
		}
	}
	return idx
}

// Binary applies f elementwise to a and b after broadcasting them, producing
// a tensor of dtype rd.
func Binary[T, R any](a, b *Tensor, rd ir.DType, f func(x, y T) R) (*Tensor, error) {
	shape, err := BroadcastShape(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	x, y := Data[T](a), Data[T](b)
	ia, ib := BroadcastIndex(a.Shape, shape), BroadcastIndex(b.Shape, shape)
	out := NewTensor(rd, shape)
	z := Data[R](out)
	for i := range z {
		z[i] = f(x[ia[i]], y[ib[i]])
	}
	return out, nil
}

// Unary applies f to every element of a, producing a tensor of dtype rd.
func Unary[T, R any](a *Tensor, rd ir.DType, f func(x T) R) *Tensor {
	out := NewTensor(rd, a.Shape)
	x, z := Data[T](a), Data[R](out)
	for i := range z {
		z[i] = f(x[i])
	}
	return out
}

// ToF32 converts a float16 or bfloat16 tensor to float32 (exactly); other
// tensors are returned as they are.
func ToF32(t *Tensor) *Tensor {
	switch t.DType {
	case ir.F16:
		return Unary(t, ir.F32, func(x ir.Float16) float32 { return x.Float32() })
	case ir.BF16:
		return Unary(t, ir.F32, func(x ir.BFloat16) float32 { return x.Float32() })
	}
	return t
}

// FromF32 rounds a float32 tensor to dtype d (f16 or bf16); for any other d
// it returns t unchanged.
func FromF32(t *Tensor, d ir.DType) *Tensor {
	switch d {
	case ir.F16:
		return Unary(t, ir.F16, ir.F16FromFloat32)
	case ir.BF16:
		return Unary(t, ir.BF16, ir.BF16FromFloat32)
	}
	return t
}
