package ir

import (
	"fmt"
	"math"
)

// Convolutions, declared at their opset-17 ONNX form (Conv-11,
// ConvTranspose-11, ConvInteger-10, QLinearConv-10).

// autoPad declares the auto_pad attribute of the convolution and pooling
// ops: explicit pads (NOTSET), output size ceil(in/stride) with the odd
// padding at the end or the start, or no padding.
func autoPad() AttrDef {
	return AEnum("auto_pad", "NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")
}

func convAttrs() []AttrDef {
	return []AttrDef{
		autoPad(), AInts("dilations").AtLeast(1), AInt("group", 1).AtLeast(1),
		AInts("kernel_shape").AtLeast(1), AInts("pads").AtLeast(0), AInts("strides").AtLeast(1),
	}
}

func init() {
	// Col2Im-18: the inverse of im2col, summing overlapping blocks.
	Register(&OpDef{
		Name:    "Col2Im",
		Doc:     "rearranges [N, C*prod(block_shape), L] column blocks into [N, C, image_shape...], summing overlaps",
		Kind:    Opaque,
		Inputs:  In("input:T", "image_shape:I", "block_shape:I"),
		Outputs: In("output:T"),
		Types:   []TypeConstraint{TC("T", NumericTypes), TC("I", I64Type)},
		Attrs:   []AttrDef{AInts("dilations").AtLeast(1), AInts("pads").AtLeast(0), AInts("strides").AtLeast(1)},
		Infer:   inferCol2Im,
	})
	Register(&OpDef{
		Name:    "Conv",
		Doc:     "N-D grouped, strided, dilated, padded convolution (cross-correlation) plus optional bias",
		Kind:    Opaque,
		Traits:  EpilogueFusable,
		Inputs:  []Operand{Req("X:T"), Req("W:T"), Opt("B:T")},
		Outputs: In("Y:T"),
		Types:   []TypeConstraint{TC("T", FloatNoBF16)},
		Attrs:   convAttrs(),
		Infer:   func(op *Op) ([]Type, error) { return inferConvLike(op, 0, 1, InvalidDType) },
	})
	Register(&OpDef{
		Name:    "ConvInteger",
		Doc:     "integer convolution of (x - x_zero_point) and (w - w_zero_point), accumulated in int32",
		Kind:    Opaque,
		Inputs:  []Operand{Req("x:T1"), Req("w:T2"), Opt("x_zero_point:T1"), Opt("w_zero_point:T2")},
		Outputs: In("y:T3"),
		Types:   []TypeConstraint{TC("T1", QuantTypes), TC("T2", QuantTypes), TC("T3", Types(I32))},
		Attrs:   convAttrs(),
		Infer:   func(op *Op) ([]Type, error) { return inferConvLike(op, 0, 1, I32) },
	})
	Register(&OpDef{
		Name: "QLinearConv",
		Doc:  "quantized convolution: dequantize x and w, convolve, add int32 bias, requantize to y_scale/y_zero_point",
		Kind: Opaque,
		Inputs: []Operand{Req("x:T1"), Req("x_scale:F"), Req("x_zero_point:T1"), Req("w:T2"), Req("w_scale:F"),
			Req("w_zero_point:T2"), Req("y_scale:F"), Req("y_zero_point:T3"), Opt("B:T4")},
		Outputs: In("y:T3"),
		Types: []TypeConstraint{TC("T1", QuantTypes), TC("T2", QuantTypes), TC("T3", QuantTypes),
			TC("T4", Types(I32)), TC("F", Types(F32))},
		Attrs: convAttrs(),
		Infer: func(op *Op) ([]Type, error) {
			ts, err := inferConvLike(op, 0, 3, InvalidDType)
			if err != nil {
				return nil, err
			}
			zp, err := nnTensorArg(op, 7)
			if err != nil {
				return nil, err
			}
			ts[0].DType = zp.DType
			return ts, nil
		},
	})
	Register(&OpDef{
		Name:    "ConvTranspose",
		Doc:     "N-D transposed (fractionally strided) convolution with output_padding or an explicit output_shape",
		Kind:    Opaque,
		Traits:  EpilogueFusable,
		Inputs:  []Operand{Req("X:T"), Req("W:T"), Opt("B:T")},
		Outputs: In("Y:T"),
		Types:   []TypeConstraint{TC("T", FloatNoBF16)},
		Attrs:   append(convAttrs(), AInts("output_padding").AtLeast(0), AInts("output_shape")),
		Infer:   inferConvTranspose,
	})
}

// convKernelShape returns kernel_shape, or the spatial dims of the weight
// shape w when the attribute is absent (nil when they are not static).
func convKernelShape(op *Op, w Shape) []int64 {
	if k := op.Ints("kernel_shape"); k != nil {
		return k
	}
	if !w.Ranked || len(w.Dims) < 2 {
		return nil
	}
	k := make([]int64, len(w.Dims)-2)
	for i, d := range w.Dims[2:] {
		if !d.IsStatic() {
			return nil
		}
		k[i] = d.Size
	}
	return k
}

// inferConvLike infers Conv-style ops whose input is operand xi and weight
// [M, C/group, k...] operand wi; d is the result dtype (Invalid: x's).
func inferConvLike(op *Op, xi, wi int, d DType) ([]Type, error) {
	x, err := nnTensorArg(op, xi)
	if err != nil {
		return nil, err
	}
	w, err := nnTensorArg(op, wi)
	if err != nil {
		return nil, err
	}
	if op.Int("group") < 1 {
		return nil, fmt.Errorf("group %d must be positive", op.Int("group"))
	}
	if x.Shape.Ranked && w.Shape.Ranked && len(x.Shape.Dims) != len(w.Shape.Dims) {
		return nil, fmt.Errorf("input rank %d and weight rank %d differ", len(x.Shape.Dims), len(w.Shape.Dims))
	}
	m := Unknown()
	if w.Shape.Ranked && len(w.Shape.Dims) > 0 {
		m = w.Shape.Dims[0]
	}
	s, err := inferWindowed(op, x.Shape, m, convKernelShape(op, w.Shape), false)
	if err != nil {
		return nil, err
	}
	if d == InvalidDType {
		d = x.DType
	}
	return []Type{TensorType(d, s)}, nil
}

// ConvTransposeWindows resolves ConvTranspose's output size and pads for
// spatial input sizes in. With output_shape given, the total padding is
// whatever makes the output that long (split by auto_pad: SAME_UPPER puts
// the odd unit at the end, anything else at the beginning, as ONNX's
// ConvTranspose-11 specifies); otherwise the output is
// stride*(in-1) + output_padding + extent - pads. auto_pad SAME without
// output_shape asks for in*stride.
func ConvTransposeWindows(op *Op, in []int64, kernel []int64) (out []int64, ws []Window, err error) {
	nsp := len(in)
	ws, err = Windows(nsp, kernel, op.Ints("strides"), op.Ints("dilations"), op.Ints("pads"))
	if err != nil {
		return nil, nil, err
	}
	opad := op.Ints("output_padding")
	if opad != nil && len(opad) != nsp {
		return nil, nil, fmt.Errorf("output_padding has %d values for %d spatial dims", len(opad), nsp)
	}
	oshape := op.Ints("output_shape")
	if len(oshape) == nsp+2 {
		oshape = oshape[2:]
	}
	if oshape != nil && len(oshape) != nsp {
		return nil, nil, fmt.Errorf("output_shape has %d values for %d spatial dims", len(oshape), nsp)
	}
	autoPad := op.Str("auto_pad")
	out = make([]int64, nsp)
	for i := range ws {
		w := &ws[i]
		if w.Kernel < 1 || w.Stride < 1 || w.Dilation < 1 {
			return nil, nil, fmt.Errorf("kernel %d, stride %d, dilation %d: each must be positive", w.Kernel, w.Stride, w.Dilation)
		}
		var op0 int64
		if opad != nil {
			op0 = opad[i]
		}
		full, ok := CheckedMul(w.Stride, in[i]-1)
		ext, ok2 := w.extent()
		if ok && ok2 {
			full, ok = CheckedAdd(full, op0)
		}
		if ok && ok2 {
			full, ok = CheckedAdd(full, ext)
		}
		if !ok || !ok2 {
			return nil, nil, w.overflow(in[i])
		}
		target := int64(-1)
		switch {
		case oshape != nil:
			target = oshape[i]
		case autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER":
			if target, ok = CheckedMul(in[i], w.Stride); !ok {
				return nil, nil, w.overflow(in[i])
			}
		case autoPad == "VALID":
			w.PadBegin, w.PadEnd = 0, 0
		}
		if target >= 0 {
			total := full - target
			if total < 0 && oshape == nil {
				total = 0
			}
			switch {
			case total < 0:
				// A requested output longer than the full result
				// extends it at the end, like output_padding.
				w.PadBegin, w.PadEnd = 0, total
			case autoPad == "SAME_UPPER":
				w.PadBegin, w.PadEnd = total/2, total-total/2
			default:
				w.PadBegin, w.PadEnd = total-total/2, total/2
			}
			out[i] = target
		} else {
			o, ok := CheckedAdd(full, -w.PadBegin)
			if ok && w.PadBegin != math.MinInt64 && w.PadEnd != math.MinInt64 {
				o, ok = CheckedAdd(o, -w.PadEnd)
			} else {
				ok = false
			}
			if !ok {
				return nil, nil, w.overflow(in[i])
			}
			out[i] = o
		}
		if out[i] < 0 {
			return nil, nil, fmt.Errorf("spatial dim %d: negative output size %d", i, out[i])
		}
	}
	return out, ws, nil
}

func inferConvTranspose(op *Op) ([]Type, error) {
	x, err := nnTensorArg(op, 0)
	if err != nil {
		return nil, err
	}
	w, err := nnTensorArg(op, 1)
	if err != nil {
		return nil, err
	}
	if !x.Shape.Ranked {
		return []Type{TensorType(x.DType, UnrankedShape())}, nil
	}
	if len(x.Shape.Dims) < 3 {
		return nil, fmt.Errorf("input has rank %d, want at least 3", len(x.Shape.Dims))
	}
	out := UnknownDims(len(x.Shape.Dims))
	out.Dims[0] = x.Shape.Dims[0]
	if w.Shape.Ranked && len(w.Shape.Dims) >= 2 && w.Shape.Dims[1].IsStatic() {
		c, ok := CheckedMul(w.Shape.Dims[1].Size, op.Int("group"))
		if !ok {
			return nil, fmt.Errorf("output channels %d times group %d overflow", w.Shape.Dims[1].Size, op.Int("group"))
		}
		out.Dims[1] = Static(c)
	}
	kernel := convKernelShape(op, w.Shape)
	in, ok := Shape{Ranked: true, Dims: x.Shape.Dims[2:]}.Sizes()
	if os := op.Ints("output_shape"); !ok && len(os) == len(out.Dims)-2 {
		// An explicit output_shape fixes the spatial dims even when the
		// input's are unknown.
		for i, n := range os {
			out.Dims[2+i] = Static(n)
		}
	}
	if kernel != nil && ok {
		sp, _, err := ConvTransposeWindows(op, in, kernel)
		if err != nil {
			return nil, err
		}
		for i, n := range sp {
			out.Dims[2+i] = Static(n)
		}
	}
	if kernel != nil && !ok && op.Ints("output_shape") == nil {
		nsp := len(out.Dims) - 2
		ws, err := Windows(nsp, kernel, op.Ints("strides"), op.Ints("dilations"), op.Ints("pads"))
		if err != nil {
			return nil, err
		}
		opad := op.Ints("output_padding")
		if opad != nil && len(opad) != nsp {
			return nil, fmt.Errorf("output_padding has %d values for %d spatial dims", len(opad), nsp)
		}
		for i, w := range ws {
			var op0 int64
			if opad != nil {
				op0 = opad[i]
			}
			out.Dims[2+i] = convTransposeDim(x.Shape.Dims[2+i], w, op0, op.Str("auto_pad"))
		}
	}
	return []Type{TensorType(x.DType, out)}, nil
}

// convTransposeDim is ConvTransposeWindows' output size for an input size
// that is an expression: stride*(in-1)+output_padding+extent-pads, or
// in*stride for the SAME modes.
func convTransposeDim(in Dim, w Window, opad int64, autoPad string) Dim {
	if in.IsStatic() || in.IsUnknown() || w.Kernel < 1 || w.Stride < 1 || w.Dilation < 1 {
		return Unknown()
	}
	switch autoPad {
	case "SAME_UPPER", "SAME_LOWER":
		return in.Mul(Static(w.Stride))
	case "VALID":
		w.PadBegin, w.PadEnd = 0, 0
	case "", "NOTSET":
	default:
		return Unknown()
	}
	return in.Add(DimInt(-1)).Mul(Static(w.Stride)).Add(DimInt(opad + w.Extent() - w.PadBegin - w.PadEnd))
}

func inferCol2Im(op *Op) ([]Type, error) {
	x, err := nnTensorArg(op, 0)
	if err != nil {
		return nil, err
	}
	if x.Shape.Ranked && len(x.Shape.Dims) != 3 {
		return nil, fmt.Errorf("input has rank %d, want 3 ([N, C*prod(block_shape), L])", len(x.Shape.Dims))
	}
	img, okI := KnownInts(op.Arg(1))
	blk, okB := KnownInts(op.Arg(2))
	if !okI || !okB || !x.Shape.Ranked {
		n := 2
		if okI {
			n += len(img)
		}
		if !okI {
			return []Type{TensorType(x.DType, UnrankedShape())}, nil
		}
		return []Type{TensorType(x.DType, UnknownDims(n))}, nil
	}
	if len(blk) != len(img) {
		return nil, fmt.Errorf("block_shape has %d dims, image_shape %d", len(blk), len(img))
	}
	k := int64(1)
	for _, b := range blk {
		if b < 1 {
			return nil, fmt.Errorf("block_shape %v must be positive", blk)
		}
		k *= b
	}
	dims := []Dim{x.Shape.Dims[0], Unknown()}
	if c := x.Shape.Dims[1]; c.IsStatic() {
		if c.Size%k != 0 {
			return nil, fmt.Errorf("input dim 1 (%d) is not a multiple of prod(block_shape) %d", c.Size, k)
		}
		dims[1] = Static(c.Size / k)
	}
	for _, v := range img {
		if v < 0 {
			return nil, fmt.Errorf("image_shape %v is negative", img)
		}
		dims = append(dims, Static(v))
	}
	return []Type{TensorType(x.DType, Shape{Ranked: true, Dims: dims})}, nil
}
