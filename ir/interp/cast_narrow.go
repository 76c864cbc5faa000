package interp

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

// Casts to and from ONNX's narrow types (ir/narrow.go). A narrow value
// widens exactly (float8 and float4 to f32, int4 to i8, uint4 to u8) and
// then casts as that type does. A value narrows from float64 (exact for
// every other real type) in one rounding:
//
//   - to float8 and float4 as ir.MiniFloat.Encode rounds: to nearest, ties
//     to even, with Cast-19's saturation (float4 always saturates);
//   - to int4 and uint4 as ONNX Runtime 1.30's Cast-21 does: the value
//     rounds to an integer, ties away from zero, and keeps its low four
//     bits (wrapping, as casts between integer types do: 12 is -4 in
//     int4); NaN, infinities and values beyond the int64 range give 0.

// castNarrow converts t to to where one of them is a narrow type.
func castNarrow(t *Tensor, to ir.DType, saturate bool) (*Tensor, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	from := t.DType
	if from.IsNarrow() {
		w := widenNarrow(t)
		if to == w.DType {
			return w, nil
		}
		return CastSaturate(w, to, saturate)
	}
	if from == ir.String || from == ir.Bool {
		// Parse or map to numbers first: f64 holds every value exactly.
		f, err := CastSaturate(t, ir.F64, saturate)
		if err != nil {
			return nil, err
		}
		return castNarrow(f, to, saturate)
	}
	if !isNumeric(from) {
		return nil, fmt.Errorf("Cast from %v to %v is not supported", from, to)
	}
	xs := Data[float64](mustCast(t, ir.F64))
	out := NewTensor(to, t.Shape)
	switch to {
	case ir.I4:
		z := Data[int8](out)
		for i, x := range xs {
			z[i] = int8(roundWrap4(x)<<4) >> 4
		}
	case ir.U4:
		z := Data[uint8](out)
		for i, x := range xs {
			z[i] = roundWrap4(x)
		}
	default:
		f, ok := ir.MiniFloatOf(to)
		if !ok {
			return nil, fmt.Errorf("Cast from %v to %v is not supported", from, to)
		}
		z := Data[uint8](out)
		for i, x := range xs {
			z[i] = f.Encode(x, saturate)
		}
	}
	return out, nil
}

// roundWrap4 rounds x to an integer, ties away from zero, and returns its
// low four bits; NaN, infinities and values outside the int64 range are 0
// (the integer an x86 conversion gives them has zero low bits).
func roundWrap4(x float64) uint8 {
	r := math.Round(x)
	if r != r || r >= 1<<63 || r < -(1<<63) {
		return 0
	}
	return uint8(int64(r)) & 0xf
}

// widenNarrow converts a tensor of a narrow type, exactly, to the type
// that holds all its values: f32 for float8 and float4, i8 for int4, u8
// for uint4.
func widenNarrow(t *Tensor) *Tensor {
	switch t.DType {
	case ir.I4:
		return FromSlice(t.Shape, append([]int8(nil), Data[int8](t)...))
	case ir.U4:
		return FromSlice(t.Shape, append([]uint8(nil), Data[uint8](t)...))
	}
	f, _ := ir.MiniFloatOf(t.DType)
	return Unary(t, ir.F32, func(c uint8) float32 { return float32(f.Float64(c)) })
}
