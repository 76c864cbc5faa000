package ir

import "fmt"

// Signal ops (all new in ONNX opset 17). Complex values are real tensors
// whose last dim is 2 (real, imaginary), as ONNX represents them; a real
// signal has a last dim of 1.
func init() {
	Register(&OpDef{
		Name:    "DFT",
		Doc:     "discrete Fourier transform (or inverse, scaled by 1/n) along axis of a [batch, ..., 1|2] signal; complex result in a trailing dim of 2",
		Kind:    Opaque,
		Inputs:  []Operand{Req("input:T1"), Opt("dft_length:T2")},
		Outputs: In("output:T1"),
		Types:   []TypeConstraint{TC("T1", FloatTypes), TC("T2", IndexTypes)},
		Attrs:   []AttrDef{AInt("axis", 1), ABool("inverse", 0), ABool("onesided", 0).Range(0, 1)},
		Infer:   inferDFT,
	})
	Register(&OpDef{
		Name:    "STFT",
		Doc:     "short-time Fourier transform of [batch, length, 1|2] into [batch, frames, bins, 2]",
		Kind:    Opaque,
		Inputs:  []Operand{Req("signal:T1"), Req("frame_step:T2"), Opt("window:T1"), Opt("frame_length:T2")},
		Outputs: In("output:T1"),
		Types:   []TypeConstraint{TC("T1", FloatTypes), TC("T2", IndexTypes)},
		Attrs:   []AttrDef{ABool("onesided", 1).Range(0, 1)},
		Infer:   inferSTFT,
	})
	for _, d := range [][2]string{
		{"HannWindow", "Hann window 0.5 - 0.5 cos(2 pi n / N)"},
		{"HammingWindow", "Hamming window 25/46 - 21/46 cos(2 pi n / N)"},
		{"BlackmanWindow", "Blackman window 0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)"},
	} {
		Register(&OpDef{
			Name:    d[0],
			Doc:     d[1] + " of the given size; N = size when periodic, size - 1 otherwise",
			Kind:    Opaque,
			Inputs:  In("size:T1"),
			Outputs: In("output:T2"),
			Types:   []TypeConstraint{TC("T1", IndexTypes), TC("T2", NumericTypes)},
			Attrs:   []AttrDef{defaultedDTypeAttr("output_datatype", F32), ABool("periodic", 1)},
			Infer:   inferWindow,
		})
	}
	Register(&OpDef{
		Name:    "MelWeightMatrix",
		Doc:     "[dft_length/2+1, num_mel_bins] triangular mel filter bank mapping a onesided spectrum to mel bins",
		Kind:    Opaque,
		Inputs:  In("num_mel_bins:T1", "dft_length:T1", "sample_rate:T1", "lower_edge_hertz:T2", "upper_edge_hertz:T2"),
		Outputs: In("output:T3"),
		Types:   []TypeConstraint{TC("T1", IndexTypes), TC("T2", FloatTypes), TC("T3", NumericTypes)},
		Attrs:   []AttrDef{defaultedDTypeAttr("output_datatype", F32)},
		Infer:   inferMelWeightMatrix,
	})
}

// constIntScalarOperand returns the value of a constant integer scalar operand.
func constIntScalarOperand(v *Value) (int64, bool) {
	if v == nil {
		return 0, false
	}
	x, ok := ConstInts(v)
	if !ok || len(x) != 1 {
		return 0, false
	}
	return x[0], true
}

func inferDFT(op *Op) ([]Type, error) {
	x := op.Arg(0)
	if x == nil || !x.Type.IsTensor() || !x.Type.DType.IsFloat() {
		return nil, fmt.Errorf("input must be a float tensor")
	}
	s := x.Type.Shape
	if !s.Ranked {
		return []Type{x.Type}, nil
	}
	r := len(s.Dims)
	if r < 2 {
		return nil, fmt.Errorf("input must have rank >= 2 ([batch, ..., 1|2]), got %d", r)
	}
	if last := s.Dims[r-1]; last.IsStatic() && last.Size != 1 && last.Size != 2 {
		return nil, fmt.Errorf("last dim is %d, want 1 (real) or 2 (complex)", last.Size)
	}
	ax, err := NormAxis(op.Int("axis"), r)
	if err != nil {
		return nil, err
	}
	if ax == r-1 {
		return nil, fmt.Errorf("axis %d is the real/imaginary dim", op.Int("axis"))
	}
	out := s.Clone()
	out.Dims[r-1] = Static(2)
	n := s.Dims[ax]
	if l := op.Arg(1); l != nil {
		if v, ok := constIntScalarOperand(l); ok {
			n = Static(v)
		} else {
			n = Unknown()
		}
	}
	if op.Int("onesided") != 0 {
		if n.IsStatic() {
			n = Static(n.Size/2 + 1)
		} else {
			n = Unknown()
		}
	}
	out.Dims[ax] = n
	return []Type{TensorType(x.Type.DType, out)}, nil
}

func inferSTFT(op *Op) ([]Type, error) {
	x := op.Arg(0)
	if x == nil || !x.Type.IsTensor() || !x.Type.DType.IsFloat() {
		return nil, fmt.Errorf("signal must be a float tensor")
	}
	s := x.Type.Shape
	if s.Ranked && len(s.Dims) != 3 {
		return nil, fmt.Errorf("signal must be [batch, length, 1|2], got rank %d", len(s.Dims))
	}
	batch, frames, bins := Unknown(), Unknown(), Unknown()
	frameLen, haveLen := constIntScalarOperand(op.Arg(3))
	if w := op.Arg(2); w != nil && !haveLen && w.Type.Shape.Rank() == 1 && w.Type.Shape.Dims[0].IsStatic() {
		frameLen, haveLen = w.Type.Shape.Dims[0].Size, true
	}
	if haveLen {
		if op.Int("onesided") != 0 {
			bins = Static(frameLen/2 + 1)
		} else {
			bins = Static(frameLen)
		}
	}
	if s.Ranked {
		batch = s.Dims[0]
		step, ok := constIntScalarOperand(op.Arg(1))
		if ok && haveLen && step > 0 && s.Dims[1].IsStatic() && s.Dims[1].Size >= frameLen {
			frames = Static((s.Dims[1].Size-frameLen)/step + 1)
		}
	}
	return []Type{TensorType(x.Type.DType, Shape{Ranked: true, Dims: []Dim{batch, frames, bins, Static(2)}})}, nil
}

func inferWindow(op *Op) ([]Type, error) {
	d, _ := op.Attr("output_datatype")
	n := Unknown()
	if v, ok := constIntScalarOperand(op.Arg(0)); ok {
		if v < 0 {
			return nil, fmt.Errorf("size %d is negative", v)
		}
		n = Static(v)
	}
	return []Type{TensorType(d.DType, Shape{Ranked: true, Dims: []Dim{n}})}, nil
}

func inferMelWeightMatrix(op *Op) ([]Type, error) {
	d, _ := op.Attr("output_datatype")
	rows, cols := Unknown(), Unknown()
	if v, ok := constIntScalarOperand(op.Arg(1)); ok {
		rows = Static(v/2 + 1)
	}
	if v, ok := constIntScalarOperand(op.Arg(0)); ok {
		cols = Static(v)
	}
	return []Type{TensorType(d.DType, Shape{Ranked: true, Dims: []Dim{rows, cols}})}, nil
}
