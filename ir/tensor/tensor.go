package tensor

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

// Tensor is a dense, C-ordered tensor. Data holds a slice of the Go storage
// type of DType (see ir.MakeElems): []float32, []float64, []ir.Float16,
// []ir.BFloat16, []int8, []int16, []int32, []int64, []uint8, []uint16,
// []uint32, []uint64, []bool, []string, []complex64 or []complex128; the
// narrow types hold one element per byte ([]uint8, []int8 for i4; see
// ir.DecodeNarrow).
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

// New allocates a zero tensor of dtype d and the given shape. It panics
// when d is not a valid element type (callers pass a type the verifier has
// checked), and with a *SizeError when the shape has a negative dim, its
// size overflows or its storage exceeds the memory budget (see MaxBytes).
func New(d ir.DType, shape []int) *Tensor {
	if err := CheckShape(d, shape); err != nil {
		panic(err)
	}
	data := ir.MakeElems(d, NumElements(shape))
	if data == nil {
		panic("tensor: no storage for dtype " + d.String())
	}
	return &Tensor{DType: d, Shape: append([]int{}, shape...), Data: data}
}

// FromSlice wraps data (one of the slice types Tensor documents) as a tensor
// without copying it. It panics when data's length does not match shape or
// T is not a storage type: callers build both.
func FromSlice[T any](shape []int, data []T) *Tensor {
	d, n := ir.ElemsDType(data)
	if d == ir.InvalidDType {
		panic(fmt.Sprintf("tensor: no dtype for %T", data))
	}
	if NumElements(shape) != n {
		panic(fmt.Sprintf("tensor: %d elements for shape %v", n, shape))
	}
	return &Tensor{DType: d, Shape: append([]int{}, shape...), Data: data}
}

// Scalar returns a rank-0 tensor holding v.
func Scalar[T any](v T) *Tensor { return FromSlice(nil, []T{v}) }

// Data returns t's elements as []T; it panics if T does not match t's dtype,
// which is a bug of the caller (the verifier checks dtypes first).
func Data[T any](t *Tensor) []T { return t.Data.([]T) }

// Check reports whether t is well formed: a valid dtype, Data of that
// dtype's storage type, no negative dims, and as many elements as the shape
// has. Tensors from outside (callers' inputs, files) are checked before use.
func (t *Tensor) Check() error {
	if t.DType.IsBlock() {
		return t.checkBlocks()
	}
	d, n := ir.ElemsDType(t.Data)
	if !t.DType.Valid() || d != t.DType.StorageDType() {
		return fmt.Errorf("tensor of dtype %v holds %T", t.DType, t.Data)
	}
	if t.DType.IsNarrow() {
		if err := ir.CheckNarrow(t.DType, t.Data); err != nil {
			return err
		}
	}
	for _, s := range t.Shape {
		if s < 0 {
			return fmt.Errorf("shape %v has a negative dim", t.Shape)
		}
	}
	if NumElements(t.Shape) != n {
		return fmt.Errorf("shape %v does not match its %d elements", t.Type().Shape, n)
	}
	return nil
}

// checkBlocks checks a tensor of a block-quantized type, whose Data is its
// raw block bytes ([]byte) and whose innermost dim is whole blocks.
func (t *Tensor) checkBlocks() error {
	b, ok := t.Data.([]byte)
	if !ok {
		return fmt.Errorf("tensor of dtype %v holds %T, want its block bytes", t.DType, t.Data)
	}
	if err := ir.BlockShapeError(t.Type()); err != nil {
		return err
	}
	want, err := t.DType.ByteSize(int64(NumElements(t.Shape)))
	if err != nil {
		return err
	}
	if int64(len(b)) != want {
		return fmt.Errorf("%d bytes for %v%v (want %d)", len(b), t.DType, t.Shape, want)
	}
	return nil
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	out := New(t.DType, t.Shape)
	CopyData(out.Data, t.Data)
	return out
}

// CopyData copies the elements of src into dst, two slices of the same
// storage type, as the built-in copy does. It panics when their types
// differ.
func CopyData(dst, src any) {
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
		panic(fmt.Sprintf("tensor: cannot copy %T", dst))
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

// DecodeBytes converts little-endian raw bytes to a tensor of dtype d and
// the given shape (copying them; see ir.DecodeElems). The byte count must
// be what the shape needs. A block-quantized type keeps its raw block
// bytes as Data ([]byte).
func DecodeBytes(d ir.DType, shape []int, b []byte) (*Tensor, error) {
	n := NumElements(shape)
	want, err := d.ByteSize(int64(n))
	if err != nil {
		return nil, fmt.Errorf("%v%v: %w", d, shape, err)
	}
	if int64(len(b)) != want {
		return nil, fmt.Errorf("%d bytes for %v%v (want %d)", len(b), d, shape, want)
	}
	if d.IsBlock() {
		// Blocks stay blocks: only Cast decodes them (ir/quant).
		t := &Tensor{DType: d, Shape: append([]int{}, shape...), Data: append([]byte{}, b...)}
		if err := t.Check(); err != nil {
			return nil, err
		}
		return t, nil
	}
	if d.IsNarrow() {
		data, err := ir.DecodeNarrow(d, b, n)
		if err != nil {
			return nil, err
		}
		return &Tensor{DType: d, Shape: append([]int{}, shape...), Data: data}, nil
	}
	data, err := ir.DecodeElems(d, b)
	if err != nil {
		return nil, err
	}
	return &Tensor{DType: d, Shape: append([]int{}, shape...), Data: data}, nil
}

// EncodeBytes returns the little-endian raw bytes of a non-string tensor.
func EncodeBytes(t *Tensor) ([]byte, error) {
	if t.DType == ir.String {
		return nil, fmt.Errorf("string tensors have no raw byte form")
	}
	if err := t.Check(); err != nil {
		return nil, err
	}
	if t.DType.IsNarrow() {
		return ir.EncodeNarrow(t.DType, t.Data)
	}
	return ir.EncodeElems(t.Data)
}

// FromConst converts a module constant to a tensor, copying its bytes.
func FromConst(v *ir.Value) (*Tensor, error) {
	if v.Const == nil {
		return nil, fmt.Errorf("value is not a module constant")
	}
	sizes, ok := v.Type.Shape.Sizes()
	if !ok || !v.Type.IsTensor() {
		return nil, fmt.Errorf("constant @%s has non-static type %v", v.Const.Name, v.Type)
	}
	shape := make([]int, len(sizes))
	for i, s := range sizes {
		shape[i] = int(s)
	}
	d := v.Type.DType
	if d == ir.String {
		if len(v.Const.Strings) != NumElements(shape) {
			return nil, fmt.Errorf("constant @%s: %d strings for shape %v", v.Const.Name, len(v.Const.Strings), shape)
		}
		return FromSlice(shape, append([]string{}, v.Const.Strings...)), nil
	}
	t, err := DecodeBytes(d, shape, v.Const.Bytes)
	if err != nil {
		return nil, fmt.Errorf("constant @%s: %w", v.Const.Name, err)
	}
	return t, nil
}
