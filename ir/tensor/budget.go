package tensor

import (
	"fmt"
	"math"
	"sync/atomic"

	"github.com/kiln-ml/kiln/ir"
)

// The memory budget bounds every single allocation of tensor storage: New
// refuses a tensor whose storage would exceed it, so an op whose output
// size comes from hostile attributes or data (a 2^31-element Expand, a
// Range with a tiny delta) fails with an error instead of aborting the Go
// runtime with "out of memory". The budget is process-wide; it defaults
// to half the machine's physical memory (see DefaultMaxBytes).
var maxBytes atomic.Int64

func init() { maxBytes.Store(DefaultMaxBytes()) }

// MaxBytes returns the current budget of one allocation, in bytes.
func MaxBytes() int64 { return maxBytes.Load() }

// SetMaxBytes sets the budget of one allocation to n bytes (n <= 0
// restores the default) and returns the previous budget.
func SetMaxBytes(n int64) int64 {
	if n <= 0 {
		n = DefaultMaxBytes()
	}
	return maxBytes.Swap(n)
}

// DefaultMaxBytes is the default budget: half the physical memory, or
// 4 GiB where that cannot be read.
func DefaultMaxBytes() int64 {
	if m := physicalMemory(); m > 0 {
		return m / 2
	}
	return 4 << 30
}

// SizeError is the refusal of an allocation over the budget (or one whose
// size overflows). New, which has no error result, panics with a
// *SizeError; the interpreter recovers it and reports it as an error of
// the op that allocated, naming the shape and the bytes.
type SizeError struct {
	DType ir.DType
	Shape []int64 // the dims asked for (nil when the count alone is known)
	Count int64   // the element count, -1 when it overflows
	Bytes int64   // the bytes it would take, -1 when that overflows
	Limit int64   // the budget in force
}

// Error names the shape, the bytes and the budget.
func (e *SizeError) Error() string {
	what := fmt.Sprintf("%d elements of %v", e.Count, e.DType)
	if e.DType == ir.InvalidDType {
		what = fmt.Sprintf("of %d elements (working space)", e.Count)
	}
	if e.Shape != nil {
		what = fmt.Sprintf("%v%v", e.DType, e.Shape)
	}
	if e.Count < 0 {
		return fmt.Sprintf("tensor %s: negative or overflowing size", what)
	}
	if e.Bytes < 0 {
		return fmt.Sprintf("tensor %s: size overflows int64", what)
	}
	return fmt.Sprintf("tensor %s needs %d bytes, over the memory budget of %d bytes", what, e.Bytes, e.Limit)
}

// CheckSize reports whether count elements of d fit the budget; shape, if
// not nil, is named in the error.
func CheckSize(d ir.DType, shape []int64, count int64) error {
	limit := MaxBytes()
	if !d.Valid() {
		return fmt.Errorf("invalid element type %v", d)
	}
	if count < 0 {
		return &SizeError{DType: d, Shape: shape, Count: -1, Bytes: -1, Limit: limit}
	}
	b, err := ir.MemBytes(d, count)
	if err != nil {
		return &SizeError{DType: d, Shape: shape, Count: count, Bytes: -1, Limit: limit}
	}
	if b > limit {
		return &SizeError{DType: d, Shape: shape, Count: count, Bytes: b, Limit: limit}
	}
	return nil
}

// CheckShape is CheckSize for a run-time shape: its element count is
// overflow-checked first.
func CheckShape(d ir.DType, shape []int) error {
	n, err := ir.ElemCountInts(shape)
	if err != nil {
		n = -1
	}
	s := make([]int64, len(shape))
	for i, x := range shape {
		s[i] = int64(x)
	}
	return CheckSize(d, s, n)
}

// Reserve panics with a *SizeError when count elements of d do not fit the
// budget. Kernels call it before a scratch allocation (make([]T, n)) or a
// work loop whose size comes from attributes or data, so it is bounded like
// a tensor.
func Reserve(d ir.DType, count int) {
	if err := CheckSize(d, nil, int64(count)); err != nil {
		panic(err)
	}
}

// ReserveBytes panics with a *SizeError when count elements of size bytes
// each exceed the budget (or the count is negative or overflows). It is
// Reserve for Go element types that are no tensor dtype.
func ReserveBytes(count int, size uintptr) {
	limit := MaxBytes()
	if count < 0 || (size > 0 && int64(count) > limit/int64(size)) {
		b := int64(-1)
		if count >= 0 && int64(count) <= math.MaxInt64/int64(max(size, 1)) {
			b = int64(count) * int64(size)
		}
		panic(&SizeError{DType: ir.InvalidDType, Count: int64(count), Bytes: b, Limit: limit})
	}
}
