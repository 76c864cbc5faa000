package interp

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// Value is a run-time value: *Tensor, *Sequence or *Optional.
type Value interface {
	// Type returns the value's concrete type (static shape for tensors).
	Type() ir.Type
}

// Tensor is a dense, C-ordered tensor. Data holds a slice of the Go type
// matching DType: []float32, []float64, []ir.Float16, []ir.BFloat16, []int8,
// []int16, []int32, []int64, []uint8, []uint16, []uint32, []uint64, []bool,
// []string, []complex64 or []complex128.
type Tensor struct {
	DType ir.DType
	Shape []int
	Data  any
}

// Sequence is an ONNX sequence: an ordered list of values of one type.
type Sequence struct {
	Elem  ir.Type // element type (for empty sequences)
	Items []Value
}

// Optional is an ONNX optional: a value or nothing.
type Optional struct {
	Elem  ir.Type
	Value Value // nil when empty
}

// Type implements Value.
func (t *Tensor) Type() ir.Type {
	s := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		s[i] = int64(d)
	}
	return ir.TensorType(t.DType, ir.ShapeOf(s...))
}

// Type implements Value.
func (s *Sequence) Type() ir.Type { return ir.SequenceOf(s.Elem) }

// Type implements Value.
func (o *Optional) Type() ir.Type { return ir.OptionalOf(o.Elem) }

// NumElements returns the product of the dims of shape.
func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len returns the number of elements of t.
func (t *Tensor) Len() int { return NumElements(t.Shape) }

// Rank returns the number of dims of t.
func (t *Tensor) Rank() int { return len(t.Shape) }

// NewTensor allocates a zero tensor of dtype d and the given shape.
func NewTensor(d ir.DType, shape []int) *Tensor {
	n := NumElements(shape)
	return &Tensor{DType: d, Shape: append([]int{}, shape...), Data: makeSlice(d, n)}
}

// FromSlice wraps data (one of the slice types Tensor documents) as a tensor.
// It panics when data's length does not match shape: callers build both.
func FromSlice[T any](shape []int, data []T) *Tensor {
	d := dtypeOf(data)
	if NumElements(shape) != len(data) {
		panic(fmt.Sprintf("interp: %d elements for shape %v", len(data), shape))
	}
	return &Tensor{DType: d, Shape: append([]int{}, shape...), Data: data}
}

// Scalar returns a rank-0 tensor holding v.
func Scalar[T any](v T) *Tensor { return FromSlice(nil, []T{v}) }

// Data returns t's elements as []T; it panics if T does not match t's dtype,
// which is an interpreter bug (the verifier checks dtypes first).
func Data[T any](t *Tensor) []T { return t.Data.([]T) }

func makeSlice(d ir.DType, n int) any {
	switch d {
	case ir.F32:
		return make([]float32, n)
	case ir.F64:
		return make([]float64, n)
	case ir.F16:
		return make([]ir.Float16, n)
	case ir.BF16:
		return make([]ir.BFloat16, n)
	case ir.I8:
		return make([]int8, n)
	case ir.I16:
		return make([]int16, n)
	case ir.I32:
		return make([]int32, n)
	case ir.I64:
		return make([]int64, n)
	case ir.U8:
		return make([]uint8, n)
	case ir.U16:
		return make([]uint16, n)
	case ir.U32:
		return make([]uint32, n)
	case ir.U64:
		return make([]uint64, n)
	case ir.Bool:
		return make([]bool, n)
	case ir.String:
		return make([]string, n)
	case ir.C64:
		return make([]complex64, n)
	case ir.C128:
		return make([]complex128, n)
	}
	panic("interp: no storage for dtype " + d.String())
}

func dtypeOf(data any) ir.DType {
	switch data.(type) {
	case []float32:
		return ir.F32
	case []float64:
		return ir.F64
	case []ir.Float16:
		return ir.F16
	case []ir.BFloat16:
		return ir.BF16
	case []int8:
		return ir.I8
	case []int16:
		return ir.I16
	case []int32:
		return ir.I32
	case []int64:
		return ir.I64
	case []uint8:
		return ir.U8
	case []uint16:
		return ir.U16
	case []uint32:
		return ir.U32
	case []uint64:
		return ir.U64
	case []bool:
		return ir.Bool
	case []string:
		return ir.String
	case []complex64:
		return ir.C64
	case []complex128:
		return ir.C128
	}
	panic(fmt.Sprintf("interp: no dtype for %T", data))
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	out := NewTensor(t.DType, t.Shape)
	copyData(out.Data, t.Data)
	return out
}

func copyData(dst, src any) {
	switch d := dst.(type) {
	case []float32:
		copy(d, src.([]float32))
	case []float64:
		copy(d, src.([]float64))
	case []ir.Float16:
		copy(d, src.([]ir.Float16))
	case []ir.BFloat16:
		copy(d, src.([]ir.BFloat16))
	case []int8:
		copy(d, src.([]int8))
	case []int16:
		copy(d, src.([]int16))
	case []int32:
		copy(d, src.([]int32))
	case []int64:
		copy(d, src.([]int64))
	case []uint8:
		copy(d, src.([]uint8))
	case []uint16:
		copy(d, src.([]uint16))
	case []uint32:
		copy(d, src.([]uint32))
	case []uint64:
		copy(d, src.([]uint64))
	case []bool:
		copy(d, src.([]bool))
	case []string:
		copy(d, src.([]string))
	case []complex64:
		copy(d, src.([]complex64))
	case []complex128:
		copy(d, src.([]complex128))
	default:
		panic(fmt.Sprintf("interp: cannot copy %T", dst))
	}
}

// Reshaped returns a tensor sharing t's data with a new shape of the same
// element count.
func (t *Tensor) Reshaped(shape []int) *Tensor {
	return &Tensor{DType: t.DType, Shape: append([]int{}, shape...), Data: t.Data}
}

// String returns a short description: dtype, shape and the first elements.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%v ", t.DType, t.Shape)
	s := fmt.Sprint(t.Data)
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	b.WriteString(s)
	return b.String()
}
