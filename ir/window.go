package ir

import (
	"fmt"
	"math"
)

// Window is how a sliding window (a convolution kernel or a pooling window)
// covers one spatial axis: its extent, step, dilation and the explicit
// padding before and after the input.
type Window struct {
	Kernel, Stride, Dilation int64
	PadBegin, PadEnd         int64
}

// Extent returns the number of input positions the dilated window spans.
// It assumes the extent fits an int64; Resolve and ResolveDim check that
// (see extent).
func (w Window) Extent() int64 { return (w.Kernel-1)*w.Dilation + 1 }

// extent is Extent, with false when it overflows.
func (w Window) extent() (int64, bool) {
	e, ok := CheckedMul(w.Kernel-1, w.Dilation)
	if !ok {
		return 0, false
	}
	return CheckedAdd(e, 1)
}

// overflow is Resolve's refusal of a window whose arithmetic
// overflows int64.
func (w Window) overflow(in int64) error {
	return fmt.Errorf("window (kernel %d, stride %d, dilation %d, pads %d,%d) over %d positions: size arithmetic overflows", w.Kernel, w.Stride, w.Dilation, w.PadBegin, w.PadEnd, in)
}

// Resolve computes the output size of the window sliding over in input
// positions. autoPad is ONNX's auto_pad (NOTSET, SAME_UPPER, SAME_LOWER,
// VALID); for the SAME modes it replaces the pads with the ones that make
// the output ceil(in/stride) long, the odd unit going at the end for
// SAME_UPPER and at the beginning for SAME_LOWER. ceil selects the pooling
// ceil_mode: the last, partial window is kept unless it would start in the
// end padding (the rule ONNX Runtime and PyTorch share).
func (w Window) Resolve(in int64, autoPad string, ceil bool) (out int64, res Window, err error) {
	if w.Kernel < 1 || w.Stride < 1 || w.Dilation < 1 {
		return 0, w, fmt.Errorf("kernel %d, stride %d, dilation %d: each must be positive", w.Kernel, w.Stride, w.Dilation)
	}
	if in < 0 {
		return 0, w, fmt.Errorf("negative input size %d", in)
	}
	ext, ok := w.extent()
	if !ok {
		return 0, w, w.overflow(in)
	}
	switch autoPad {
	case "", "NOTSET":
		if w.PadBegin < 0 || w.PadEnd < 0 {
			return 0, w, fmt.Errorf("negative pads %d,%d", w.PadBegin, w.PadEnd)
		}
		padded, ok1 := CheckedAdd(in, w.PadBegin)
		padded, ok2 := CheckedAdd(padded, w.PadEnd)
		if !ok1 || !ok2 {
			return 0, w, w.overflow(in)
		}
		span := padded - ext
		if span < 0 {
			return 0, w, fmt.Errorf("window extent %d exceeds padded input %d", ext, padded)
		}
		out = span/w.Stride + 1
		if ceil && span%w.Stride != 0 {
			out++
			if last, ok := CheckedMul(out-1, w.Stride); !ok || last >= in+w.PadBegin {
				out--
			}
		}
	case "VALID":
		w.PadBegin, w.PadEnd = 0, 0
		if in < ext {
			return 0, w, fmt.Errorf("window extent %d exceeds input %d", ext, in)
		}
		out = (in-ext)/w.Stride + 1
	case "SAME_UPPER", "SAME_LOWER":
		out = in / w.Stride
		if in%w.Stride != 0 {
			out++
		}
		reach, ok := CheckedMul(max(out-1, 0), w.Stride)
		if ok {
			reach, ok = CheckedAdd(reach, ext)
		}
		if !ok {
			return 0, w, w.overflow(in)
		}
		total := max(0, reach-in)
		if autoPad == "SAME_UPPER" {
			w.PadBegin = total / 2
		} else {
			w.PadBegin = total - total/2
		}
		w.PadEnd = total - w.PadBegin
	default:
		return 0, w, fmt.Errorf("unknown auto_pad %q", autoPad)
	}
	return out, w, nil
}

// ResolveDim is Resolve's output size for an input size that is an
// expression: (in+pads-extent)/stride+1, ceil(in/stride) for the SAME
// modes. It is unknown for an unknown input, an invalid window, and a
// ceil_mode window whose last start might fall into the end padding. It
// assumes, as Resolve checks for constants, that the padded input is at
// least one window long.
func (w Window) ResolveDim(in Dim, autoPad string, ceil bool) Dim {
	if in.IsUnknown() || w.Kernel < 1 || w.Stride < 1 || w.Dilation < 1 {
		return Unknown()
	}
	ext, ok := w.extent()
	if !ok || w.PadBegin > math.MaxInt64/4 || w.PadEnd > math.MaxInt64/4 || ext > math.MaxInt64/4 {
		return Unknown()
	}
	stride := Static(w.Stride)
	switch autoPad {
	case "", "NOTSET":
		if w.PadBegin < 0 || w.PadEnd < 0 {
			return Unknown()
		}
		span := in.Add(DimInt(w.PadBegin + w.PadEnd - ext))
		if !ceil {
			return span.FloorDiv(stride).Add(Static(1))
		}
		// ceil((span)/stride) windows start at most at (out-1)*stride <
		// span+stride = in+PadBegin+PadEnd-ext+stride, which stays inside
		// the input and its begin padding when stride <= ext-PadEnd.
		if w.Stride > ext-w.PadEnd {
			return Unknown()
		}
		return span.CeilDiv(stride).Add(Static(1))
	case "VALID":
		return in.Add(DimInt(-ext)).FloorDiv(stride).Add(Static(1))
	case "SAME_UPPER", "SAME_LOWER":
		return in.CeilDiv(stride)
	}
	return Unknown()
}

// Windows builds the per-axis windows of an op with nsp spatial dims from
// its kernel_shape, strides, dilations and pads attributes (absent ones take
// ONNX's defaults: stride 1, dilation 1, no padding).
func Windows(nsp int, kernel, strides, dilations, pads []int64) ([]Window, error) {
	if len(kernel) != nsp {
		return nil, fmt.Errorf("kernel_shape has %d dims, input has %d spatial dims", len(kernel), nsp)
	}
	if strides != nil && len(strides) != nsp {
		return nil, fmt.Errorf("strides has %d values for %d spatial dims", len(strides), nsp)
	}
	if dilations != nil && len(dilations) != nsp {
		return nil, fmt.Errorf("dilations has %d values for %d spatial dims", len(dilations), nsp)
	}
	if pads != nil && len(pads) != 2*nsp {
		return nil, fmt.Errorf("pads has %d values for %d spatial dims", len(pads), nsp)
	}
	ws := make([]Window, nsp)
	for i := range ws {
		ws[i] = Window{Kernel: kernel[i], Stride: 1, Dilation: 1}
		if strides != nil {
			ws[i].Stride = strides[i]
		}
		if dilations != nil {
			ws[i].Dilation = dilations[i]
		}
		if pads != nil {
			ws[i].PadBegin, ws[i].PadEnd = pads[i], pads[nsp+i]
		}
	}
	return ws, nil
}

// inferWindowed infers the output shape [N, channels, spatial...] of a
// convolution or pooling op whose input x is [N, C, spatial...]; kernel
// gives the window sizes (nil when unknown).
func inferWindowed(op *Op, x Shape, channels Dim, kernel []int64, ceil bool) (Shape, error) {
	if !x.Ranked {
		return UnrankedShape(), nil
	}
	if len(x.Dims) < 3 {
		return Shape{}, fmt.Errorf("input has rank %d, want at least 3 (N, C, spatial...)", len(x.Dims))
	}
	nsp := len(x.Dims) - 2
	out := UnknownDims(len(x.Dims))
	out.Dims[0], out.Dims[1] = x.Dims[0], channels
	if kernel == nil {
		return out, nil
	}
	ws, err := Windows(nsp, kernel, op.Ints("strides"), WindowDilations(op), op.Ints("pads"))
	if err != nil {
		return Shape{}, err
	}
	autoPad := op.Str("auto_pad")
	for i, w := range ws {
		d := x.Dims[2+i]
		if !d.IsStatic() {
			out.Dims[2+i] = w.ResolveDim(d, autoPad, ceil)
			continue
		}
		n, _, err := w.Resolve(d.Size, autoPad, ceil)
		if err != nil {
			return Shape{}, fmt.Errorf("spatial dim %d: %w", i, err)
		}
		out.Dims[2+i] = Static(n)
	}
	return out, nil
}

// nnTensorArg is inferOperand for the callers that need only the type.
func nnTensorArg(op *Op, i int) (Type, error) {
	a, err := inferOperand(op, i)
	if err != nil {
		return Type{}, err
	}
	return a.Type, nil
}

// WindowDilations returns op's dilations attribute, or nil for the windowed
// ops that have none at opset 17 (AveragePool and LpPool gained it in 19).
func WindowDilations(op *Op) []int64 {
	if !op.Declares("dilations") {
		return nil
	}
	return op.Ints("dilations")
}
