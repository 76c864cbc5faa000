package interp

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

// The neural-network kernels (conv, pool, norm, matmul) compute in float64
// whatever the element type, and round once when they store the result:
// exact for every integer type they accept and close to what ONNX Runtime
// gets with float32 accumulation.

// numericAsF64 returns t's elements as float64s; it accepts every real
// numeric dtype.
func numericAsF64(t *Tensor) ([]float64, error) {
	if !t.DType.IsFloat() && !t.DType.IsInt() {
		return nil, fmt.Errorf("want a real numeric tensor, got %v", t.DType)
	}
	return Data[float64](castNumeric(ToF32(t), ir.F64)), nil
}

// nnFromFloats stores v as a tensor of dtype d and the given shape. Floats
// round to nearest; integers round half to even and saturate.
func nnFromFloats(d ir.DType, shape []int, v []float64) *Tensor {
	out := NewTensor(d, shape)
	nnStoreFloats(out, 0, v)
	return out
}

// nnStoreFloats stores v into out's elements from off on, converting as
// nnFromFloats does, so a kernel can fill its output a piece at a time
// instead of holding all of it as float64.
func nnStoreFloats(out *Tensor, off int, v []float64) {
	switch z := out.Data.(type) {
	case []float32:
		z = z[off : off+len(v)]
		for i, f := range v {
			z[i] = float32(f)
		}
	case []float64:
		copy(z[off:off+len(v)], v)
	case []ir.Float16:
		z = z[off : off+len(v)]
		for i, f := range v {
			z[i] = ir.F16FromFloat32(float32(f))
		}
	case []ir.BFloat16:
		z = z[off : off+len(v)]
		for i, f := range v {
			z[i] = ir.BF16FromFloat32(float32(f))
		}
	case []int8:
		nnNarrow(z[off:], v, math.MinInt8, math.MaxInt8)
	case []int16:
		nnNarrow(z[off:], v, math.MinInt16, math.MaxInt16)
	case []int32:
		nnNarrow(z[off:], v, math.MinInt32, math.MaxInt32)
	case []int64:
		nnNarrow(z[off:], v, math.MinInt64, math.MaxInt64)
	case []uint8:
		nnNarrow(z[off:], v, 0, math.MaxUint8)
	case []uint16:
		nnNarrow(z[off:], v, 0, math.MaxUint16)
	case []uint32:
		nnNarrow(z[off:], v, 0, math.MaxUint32)
	case []uint64:
		nnNarrow(z[off:], v, 0, math.MaxUint64)
	}
}

func nnNarrow[T number](dst []T, src []float64, lo, hi float64) {
	for i, f := range src {
		f = math.RoundToEven(f)
		switch {
		case f <= lo:
			dst[i] = T(lo)
		case f >= hi:
			dst[i] = T(hi)
		default:
			dst[i] = T(f)
		}
	}
}

// nnFloatDType checks that d is one of the float types the float-only NN
// ops accept.
func nnFloatDType(d ir.DType) error {
	switch d {
	case ir.F32, ir.F64, ir.F16, ir.BF16:
		return nil
	}
	return fmt.Errorf("%v is not a floating-point type", d)
}
