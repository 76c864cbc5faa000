package interp

import (
	"math"
	"unsafe"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// The interpreter computes on package tensor's values. These aliases and
// forwarding functions keep the kernels' spelling (Tensor, NewTensor,
// Data[T], ...) while the tensor types live below the interpreter. Code
// outside this package uses ir/tensor directly, also for decoding constants
// and for .npy files.

// Value is tensor.Value.
type Value = tensor.Value

// Tensor is tensor.Tensor.
type Tensor = tensor.Tensor

// Sequence is tensor.Sequence.
type Sequence = tensor.Sequence

// Optional is tensor.Optional.
type Optional = tensor.Optional

// NumElements returns the product of the dims of shape (tensor.NumElements).
func NumElements(shape []int) int { return tensor.NumElements(shape) }

// NewTensor allocates a zero tensor (tensor.New). Over the memory budget it
// panics with a *tensor.SizeError, which the interpreter reports as an
// error of the op that allocated.
func NewTensor(d ir.DType, shape []int) *Tensor { return tensor.New(d, shape) }

// FromSlice wraps data as a tensor (tensor.FromSlice).
func FromSlice[T any](shape []int, data []T) *Tensor { return tensor.FromSlice(shape, data) }

// Scalar returns a rank-0 tensor holding v (tensor.Scalar).
func Scalar[T any](v T) *Tensor { return tensor.Scalar(v) }

// Data returns t's elements as []T (tensor.Data).
func Data[T any](t *Tensor) []T { return tensor.Data[T](t) }

// makeSlice returns a zeroed slice of n elements of d's storage type.
// It panics with a *tensor.SizeError over the memory budget.
func makeSlice(d ir.DType, n int) any {
	tensor.Reserve(d, n)
	data := ir.MakeElems(d, n)
	if data == nil {
		panic("interp: no storage for dtype " + d.String())
	}
	return data
}

// dtypeOf returns the element type of a storage slice.
func dtypeOf(data any) ir.DType {
	d, _ := ir.ElemsDType(data)
	if d == ir.InvalidDType {
		panic("interp: no dtype for storage of this Go type")
	}
	return d
}

// copyData copies src's elements into dst (tensor.CopyData).
func copyData(dst, src any) { tensor.CopyData(dst, src) }

// scratch returns a zeroed []T of n elements for a kernel's working space,
// after checking n against the memory budget: over it, it panics with a
// *tensor.SizeError, which the interpreter reports as the op's error.
// Kernels use it wherever n comes from attributes or data.
func scratch[T any, N ~int | ~int64 | ~int32](n N) []T {
	var z T
	tensor.ReserveBytes(int(n), unsafe.Sizeof(z))
	return make([]T, int(n))
}

// scratchOf is scratch for n = the product of dims, overflow-checked: a
// product that overflows is refused like one over the budget, never
// wrapped to a small (or negative) length.
func scratchOf[T any](dims ...int) []T {
	n, err := ir.ElemCountInts(dims)
	if err != nil || n > math.MaxInt {
		panic(&tensor.SizeError{DType: ir.InvalidDType, Count: -1, Bytes: -1, Limit: tensor.MaxBytes()})
	}
	return scratch[T](int(n))
}
