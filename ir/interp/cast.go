package interp

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/quant"
	"github.com/kiln-ml/kiln/ir/tensor"
)

func init() {
	Register("Cast", func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
		ts, err := tensorOperands(args, 1, 1)
		if err != nil {
			return nil, err
		}
		to, ok := op.Attr("to")
		if !ok || to.Kind != ir.AttrDType {
			return nil, fmt.Errorf("Cast: attribute to missing")
		}
		out, err := CastSaturate(ts[0], to.DType, op.Int("saturate") != 0)
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	})
	Register("BitCast", func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
		ts, err := tensorOperands(args, 1, 1)
		if err != nil {
			return nil, err
		}
		to, ok := op.Attr("to")
		if !ok || to.Kind != ir.AttrDType {
			return nil, fmt.Errorf("BitCast: attribute to missing")
		}
		x := ts[0]
		if x.DType == ir.String || to.DType == ir.String || x.DType.Size() != to.DType.Size() {
			return nil, fmt.Errorf("cannot bitcast %v to %v", x.DType, to.DType)
		}
		b, err := tensor.EncodeBytes(x)
		if err != nil {
			return nil, err
		}
		if to.DType == ir.Bool {
			// A bool byte other than 0 or 1 has no kiln value; ONNX leaves
			// such bit patterns unspecified.
			for _, v := range b {
				if v > 1 {
					return nil, fmt.Errorf("byte %d is not a bool", v)
				}
			}
		}
		out, err := tensor.DecodeBytes(to.DType, x.Shape, b)
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	})
	Register("CastLike", func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
		ts, err := tensorOperands(args, 2, 2)
		if err != nil {
			return nil, err
		}
		out, err := CastSaturate(ts[0], ts[1].DType, op.Int("saturate") != 0)
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	})
}

// CastTensor converts t to element type to as ONNX Cast does: floats to
// integers truncate toward zero (C semantics; integers out of range wrap),
// numbers to bool test for nonzero, bool to numbers gives 0 or 1, float to
// float16/bfloat16 rounds to nearest even, numbers to strings use the
// shortest decimal that reads back to the same value (as numpy prints
// them), and strings parse as decimal numbers including "inf" and "nan" in
// any case with an optional sign. A tensor of a ggml block type decodes
// to f32 as ggml does (ir/quant) and is then cast to to. It returns a new
// tensor.
func CastTensor(t *Tensor, to ir.DType) (*Tensor, error) {
	return CastSaturate(t, to, true)
}

// CastSaturate is CastTensor with Cast-19's saturate attribute, which only
// acts on conversions to the float8 types (see castNarrow); CastTensor
// saturates, as ONNX's default does.
func CastSaturate(t *Tensor, to ir.DType, saturate bool) (*Tensor, error) {
	from := t.DType
	switch {
	case from.IsNarrow() || to.IsNarrow():
		return castNarrow(t, to, saturate)
	case from.IsBlock():
		f, err := dequantize(t)
		if err != nil {
			return nil, err
		}
		return CastTensor(f, to)
	case from == to:
		return t.Clone(), nil
	case from == ir.String:
		return castFromString(t, to)
	case to == ir.String:
		return castToString(t)
	case from.Info().Complex || to.Info().Complex || !to.Valid():
		return nil, fmt.Errorf("Cast from %v to %v is not supported", from, to)
	case from == ir.Bool:
		return CastTensor(Unary(t, ir.U8, func(x bool) uint8 { return cond(x, uint8(1), 0) }), to)
	case to == ir.Bool:
		return Unary(mustCast(t, ir.F64), ir.Bool, func(x float64) bool { return x != 0 }), nil
	case (to == ir.F16 || to == ir.BF16) && (from == ir.F32 || from == ir.F16 || from == ir.BF16):
		return FromF32(ToF32(t), to), nil
	case to == ir.F16 || to == ir.BF16:
		// Rounding a double (or a wide integer) to float32 and then to the
		// 16-bit type can round twice the wrong way at a tie; rounding to
		// float32 with round-to-odd first makes the second rounding exact.
		x := Data[float64](mustCast(t, ir.F64))
		return FromF32(FromSlice(t.Shape, roundToOddF32(x)), to), nil
	}
	src := ToF32(t)
	if src.DType.IsFloat() && to.IsInt() && to != ir.U64 {
		// Truncate to int64 first so that out-of-range values wrap as C and
		// numpy casts do instead of Go's implementation-defined conversion.
		src = castNumeric(src, ir.I64)
	}
	return castNumeric(src, to), nil
}

// castNumeric converts between the ten plain numeric element types.
func castNumeric(t *Tensor, to ir.DType) *Tensor {
	switch s := t.Data.(type) {
	case []float32:
		return castFrom(s, t.Shape, to)
	case []float64:
		return castFrom(s, t.Shape, to)
	case []int8:
		return castFrom(s, t.Shape, to)
	case []int16:
		return castFrom(s, t.Shape, to)
	case []int32:
		return castFrom(s, t.Shape, to)
	case []int64:
		return castFrom(s, t.Shape, to)
	case []uint8:
		return castFrom(s, t.Shape, to)
	case []uint16:
		return castFrom(s, t.Shape, to)
	case []uint32:
		return castFrom(s, t.Shape, to)
	case []uint64:
		return castFrom(s, t.Shape, to)
	}
	panic(fmt.Sprintf("interp: castNumeric from %v", t.DType))
}

func castFrom[S number](src []S, shape []int, to ir.DType) *Tensor {
	out := NewTensor(to, shape)
	switch d := out.Data.(type) {
	case []float32:
		convertInto(d, src)
	case []float64:
		convertInto(d, src)
	case []int8:
		convertInto(d, src)
	case []int16:
		convertInto(d, src)
	case []int32:
		convertInto(d, src)
	case []int64:
		convertInto(d, src)
	case []uint8:
		convertInto(d, src)
	case []uint16:
		convertInto(d, src)
	case []uint32:
		convertInto(d, src)
	case []uint64:
		convertInto(d, src)
	default:
		panic(fmt.Sprintf("interp: castNumeric to %v", to))
	}
	return out
}

func convertInto[D, S number](dst []D, src []S) {
	for i, x := range src {
		dst[i] = D(x)
	}
}

func castToString(t *Tensor) (*Tensor, error) {
	out := NewTensor(ir.String, t.Shape)
	z := Data[string](out)
	switch t.DType {
	case ir.Bool:
		for i, x := range Data[bool](t) {
			z[i] = cond(x, "True", "False")
		}
	case ir.F64:
		for i, x := range Data[float64](t) {
			z[i] = formatFloat(x, 64)
		}
	case ir.F32:
		for i, x := range Data[float32](t) {
			z[i] = formatFloat(float64(x), 32)
		}
	case ir.F16, ir.BF16:
		// Shortest digits that read back as the same 16-bit value, as numpy
		// prints float16 (0.1 rather than 0.099975586).
		d := t.DType
		for i, x := range Data[float32](ToF32(t)) {
			z[i] = formatFloat(shortest16(float64(x), d), 64)
		}
	default:
		if t.DType.Info().Signed && t.DType.IsInt() {
			for i, x := range Data[int64](mustCast(t, ir.I64)) {
				z[i] = strconv.FormatInt(x, 10)
			}
		} else if t.DType.IsInt() {
			for i, x := range Data[uint64](mustCast(t, ir.U64)) {
				z[i] = strconv.FormatUint(x, 10)
			}
		} else {
			return nil, fmt.Errorf("Cast from %v to string is not supported", t.DType)
		}
	}
	return out, nil
}

// formatFloat prints x the way numpy's str does: the shortest digits that
// read back as the same float of the given bit size, positional between
// 1e-4 and 1e16 (with a trailing ".0" for integral values), scientific
// otherwise, and "nan", "inf", "-inf".
func formatFloat(x float64, bits int) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	if a := math.Abs(x); a == 0 || (a >= 1e-4 && a < 1e16) {
		s := strconv.FormatFloat(x, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	return strconv.FormatFloat(x, 'e', -1, bits)
}

func castFromString(t *Tensor, to ir.DType) (*Tensor, error) {
	src := Data[string](t)
	if to == ir.Bool {
		out := NewTensor(ir.Bool, t.Shape)
		z := Data[bool](out)
		for i, s := range src {
			switch strings.TrimSpace(s) {
			case "True", "true":
				z[i] = true
			case "False", "false":
				z[i] = false
			default:
				f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
				if err != nil {
					return nil, fmt.Errorf("Cast: element %d: %q is not a bool", i, s)
				}
				z[i] = f != 0
			}
		}
		return out, nil
	}
	if !to.IsInt() && !to.IsFloat() {
		return nil, fmt.Errorf("Cast from string to %v is not supported", to)
	}
	// Integers parse exactly when written as integers; anything else (or any
	// float target) parses as a float64 and is then converted.
	if to == ir.U64 {
		vals := scratch[uint64](len(src))
		ok := true
		for i, s := range src {
			v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
			if err != nil {
				ok = false
				break
			}
			vals[i] = v
		}
		if ok {
			return FromSlice(t.Shape, vals), nil
		}
	}
	if to.IsInt() {
		vals := scratch[int64](len(src))
		ok := true
		for i, s := range src {
			v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				ok = false
				break
			}
			vals[i] = v
		}
		if ok {
			return CastTensor(FromSlice(t.Shape, vals), to)
		}
	}
	vals := scratch[float64](len(src))
	for i, s := range src {
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil && !isRangeErr(err) {
			return nil, fmt.Errorf("Cast: element %d: %q is not a number", i, s)
		}
		vals[i] = v
	}
	// Parse float32 targets directly to float32 to avoid double rounding.
	if to == ir.F32 {
		out := NewTensor(ir.F32, t.Shape)
		z := Data[float32](out)
		for i, s := range src {
			v, _ := strconv.ParseFloat(strings.TrimSpace(s), 32)
			z[i] = float32(v)
		}
		return out, nil
	}
	return CastTensor(FromSlice(t.Shape, vals), to)
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// roundToOddF32 rounds each x to float32, toward zero, setting the lowest
// mantissa bit when the result is inexact. A value rounded this way and then
// rounded to nearest even at 16 bits is rounded correctly (float32 keeps
// more than two bits beyond float16's and bfloat16's precision).
func roundToOddF32(xs []float64) []float32 {
	out := scratch[float32](len(xs))
	for i, x := range xs {
		f := float32(x)
		if x != x || float64(f) == x {
			out[i] = f
			continue
		}
		if math.Abs(float64(f)) > math.Abs(x) {
			f = math.Nextafter32(f, 0)
		}
		out[i] = math.Float32frombits(math.Float32bits(f) | 1)
	}
	return out
}

// shortest16 returns the decimal with the fewest significant digits that
// converts back to the same float16 or bfloat16 value as x (x is such a
// value, widened), as a float64.
func shortest16(x float64, d ir.DType) float64 {
	if x == 0 || math.IsInf(x, 0) || x != x {
		return x
	}
	same := func(y float64) bool {
		if d == ir.F16 {
			return ir.F16FromFloat32(float32(y)) == ir.F16FromFloat32(float32(x))
		}
		return ir.BF16FromFloat32(float32(y)) == ir.BF16FromFloat32(float32(x))
	}
	for p := 0; p < 9; p++ {
		y, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'e', p, 64), 64)
		if same(y) {
			return y
		}
	}
	return x
}

// dequantize decodes a tensor of a ggml block type to f32, bit for bit as
// ggml does (ir/quant). Blocks lie along the innermost dim, so the whole
// tensor decodes as one row.
func dequantize(t *Tensor) (*Tensor, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	g, ok := quant.FromIRType(t.DType)
	if !ok {
		return nil, fmt.Errorf("Cast from %v is not supported", t.DType)
	}
	out := tensor.New(ir.F32, t.Shape)
	if err := quant.DequantizeRow(g, t.Data.([]byte), tensor.Data[float32](out)); err != nil {
		return nil, err
	}
	return out, nil
}
