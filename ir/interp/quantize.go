package interp

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("QuantizeLinear", kernelQuantizeLinear)
	Register("DequantizeLinear", kernelDequantizeLinear)
	Register("DynamicQuantizeLinear", kernelDynamicQuantizeLinear)
}

// nnQuantParams returns, for every element of x's shape, the index of its
// scale and zero point: 0 for per-tensor (scalar or one-element) params,
// the coordinate along axis for per-axis (1-D) ones (QuantizeLinear-13 and
// DequantizeLinear-13 added axis).
func nnQuantParams(op *ir.Op, shape []int, scale, zp *Tensor) ([]int, error) {
	idx := scratch[int](NumElements(shape))
	if scale.Len() == 1 && scale.Rank() <= 1 {
		if zp != nil && zp.Len() != 1 {
			return nil, fmt.Errorf("zero point %v does not match the scalar scale", zp.Shape)
		}
		return idx, nil
	}
	axis, err := ir.NormAxis(op.Int("axis"), len(shape))
	if err != nil {
		return nil, err
	}
	if b := op.Int("block_size"); b > 0 {
		return nnQuantBlocks(shape, scale, zp, axis, int(min(b, int64(1)<<40)))
	}
	if scale.Rank() != 1 {
		return nil, fmt.Errorf("scale has shape %v; want a scalar or 1-D per-axis scales", scale.Shape)
	}
	if scale.Len() != shape[axis] || (zp != nil && zp.Len() != scale.Len()) {
		return nil, fmt.Errorf("scale %v / zero point do not match dim %d (%d) of %v", scale.Shape, axis, shape[axis], shape)
	}
	inner := NumElements(shape[axis+1:])
	for i := range idx {
		idx[i] = (i / inner) % shape[axis]
	}
	return idx, nil
}

// nnQuantBlocks maps elements to scales for blocked quantization (-21):
// scale has x's rank and dims, except along axis, where each scale covers
// block_size consecutive elements (ceil(dim/block_size) of them).
func nnQuantBlocks(shape []int, scale, zp *Tensor, axis, block int) ([]int, error) {
	want := append([]int{}, shape...)
	want[axis] = (shape[axis] + block - 1) / block
	if fmt.Sprint(scale.Shape) != fmt.Sprint(want) || (zp != nil && fmt.Sprint(zp.Shape) != fmt.Sprint(want)) {
		return nil, fmt.Errorf("blocked scale %v / zero point: want %v for input %v and block_size %d along axis %d", scale.Shape, want, shape, block, axis)
	}
	idx := scratch[int](NumElements(shape))
	coord := scratch[int](len(shape))
	st := Strides(want)
	for i := range idx {
		unflatten(i, shape, coord)
		j := 0
		for d, c := range coord {
			if d == axis {
				c /= block
			}
			j += c * st[d]
		}
		idx[i] = j
	}
	return idx, nil
}

// nnQuantRange returns the saturation bounds of the quantized type d.
func nnQuantRange(d ir.DType) (lo, hi float64, err error) {
	switch d {
	case ir.U8:
		return 0, 255, nil
	case ir.I8:
		return -128, 127, nil
	case ir.U16:
		return 0, 65535, nil
	case ir.I16:
		return -32768, 32767, nil
	case ir.I32:
		return math.MinInt32, math.MaxInt32, nil
	case ir.I4:
		return -8, 7, nil
	case ir.U4:
		return 0, 15, nil
	}
	if f, ok := ir.MiniFloatOf(d); ok {
		return -f.Max, f.Max, nil
	}
	return 0, 0, fmt.Errorf("%v is not a quantized type", d)
}

func kernelQuantizeLinear(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 3)
	if err != nil {
		return nil, err
	}
	x, scale, zp := ts[0], ts[1], ts[2]
	od := ir.U8
	if a, ok := op.Attr("output_dtype"); ok && op.Has("output_dtype") {
		od = a.DType
	}
	if zp != nil {
		od = zp.DType
	}
	lo, hi, err := nnQuantRange(od)
	if err != nil || od == ir.I32 {
		return nil, fmt.Errorf("output type %v: want uint8, int8, uint16, int16 or a narrow type", od)
	}
	idx, err := nnQuantParams(op, x.Shape, scale, zp)
	if err != nil {
		return nil, err
	}
	xf, err := numericAsF64(x)
	if err != nil {
		return nil, err
	}
	sf, err := numericAsF64(scale)
	if err != nil {
		return nil, err
	}
	zf := []float64{0}
	if zp != nil {
		if zf, err = quantValues(zp); err != nil {
			return nil, err
		}
	}
	if f, ok := ir.MiniFloatOf(od); ok {
		// float8 and float4: x / y_scale + y_zero_point in float32, then
		// rounded as Cast rounds (QuantizeLinear-19's saturate).
		out := NewTensor(od, x.Shape)
		z, sat := Data[uint8](out), op.Int("saturate") != 0
		for i, v := range xf {
			j := idx[i]
			zv := zf[0]
			if len(zf) > 1 {
				zv = zf[j]
			}
			q := float32(v) / float32(sf[j])
			if zv != 0 {
				// Adding a zero point of 0 would turn -0 into +0, which
				// ONNX Runtime does not do.
				q += float32(zv)
			}
			z[i] = f.Encode(float64(q), sat)
		}
		return []Value{out}, nil
	}
	y := scratch[float64](len(xf))
	for i, v := range xf {
		j := idx[i]
		z := zf[0]
		if len(zf) > 1 {
			z = zf[j]
		}
		// ONNX Runtime divides in float32 before rounding half to even.
		q := math.RoundToEven(float64(float32(v)/float32(sf[j]))) + z
		y[i] = math.Min(math.Max(q, lo), hi)
	}
	return []Value{nnFromFloats(od, x.Shape, y)}, nil
}

// quantValues returns the values of a quantized tensor (an integer type or
// a narrow one, widened exactly) as float64s.
func quantValues(t *Tensor) ([]float64, error) {
	if t.DType.IsNarrow() {
		if err := t.Check(); err != nil {
			return nil, err
		}
		t = widenNarrow(t)
	}
	return numericAsF64(t)
}

func kernelDequantizeLinear(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 3)
	if err != nil {
		return nil, err
	}
	x, scale, zp := ts[0], ts[1], ts[2]
	if _, _, err := nnQuantRange(x.DType); err != nil {
		return nil, err
	}
	if zp != nil && zp.DType != x.DType {
		return nil, fmt.Errorf("x is %v but x_zero_point is %v", x.DType, zp.DType)
	}
	if err := nnFloatDType(scale.DType); err != nil {
		return nil, fmt.Errorf("x_scale: %w", err)
	}
	idx, err := nnQuantParams(op, x.Shape, scale, zp)
	if err != nil {
		return nil, err
	}
	xf, err := quantValues(x)
	if err != nil {
		return nil, err
	}
	sf, _ := numericAsF64(scale)
	zf := []float64{0}
	if zp != nil {
		if zf, err = quantValues(zp); err != nil {
			return nil, err
		}
	}
	y := scratch[float64](len(xf))
	for i, v := range xf {
		j := idx[i]
		z := zf[0]
		if len(zf) > 1 {
			z = zf[j]
		}
		y[i] = float64(float32(v-z) * float32(sf[j]))
	}
	od := scale.DType
	if a, ok := op.Attr("output_dtype"); ok && op.Has("output_dtype") {
		od = a.DType
	}
	return []Value{nnFromFloats(od, x.Shape, y)}, nil
}

// kernelDynamicQuantizeLinear quantizes x to uint8 with a scale and zero
// point from x's own range, as ONNX Runtime computes them. The spec gives
// the formulas (range widened to contain 0, scale = range/255, zero point
// = saturate(round(-min/scale)), y = saturate(round(x/scale) + zero
// point), rounding half to even) but not their edge cases; models
// quantized by ONNX Runtime's quantize_dynamic are run and checked with
// ONNX Runtime, so kiln takes its choices (measured against ONNX Runtime
// 1.30 in frontend/onnx/modeltest, TestIntegerQuantEdges; docs/quantization.md):
//
//   - every step in float32, x/scale a true division (not a multiply by
//     the reciprocal): a one-ulp difference in x/scale flips a code when it
//     lies near a half;
//   - NaN is left out of the range, and quantizes to 0;
//   - a range of zero width (all zeros, or only NaN) gives scale 1 and
//     zero point 0, where the spec's formula would divide by zero;
//   - a NaN zero point (the range holds -Inf, so -min/scale is Inf/Inf)
//     saturates to 255, as C++'s std::min(255, NaN) returns 255.
func kernelDynamicQuantizeLinear(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if x.DType != ir.F32 {
		return nil, fmt.Errorf("x is %v; want float32", x.DType)
	}
	xs := Data[float32](x)
	// The range always includes 0 so that 0 is exactly representable.
	var lo, hi float32
	for _, v := range xs {
		if v == v { // NaN compares false both ways and is skipped
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	scale := float32(1)
	if hi != lo {
		scale = (hi - lo) / 255
	}
	zp := float32(255)
	if z := 0 - lo/scale; z == z {
		zp = float32(math.RoundToEven(float64(min(max(z, 0), 255))))
	}
	y := scratch[uint8](len(xs))
	for i, v := range xs {
		q := v / scale
		if q != q {
			continue // NaN (also Inf/Inf): 0
		}
		// Clamping before rounding equals clamping after: both bounds
		// are integers.
		q = min(max(q, -zp), 255-zp)
		y[i] = uint8(float32(math.RoundToEven(float64(q))) + zp)
	}
	return []Value{FromSlice(x.Shape, y), Scalar(scale), Scalar(uint8(zp))}, nil
}
