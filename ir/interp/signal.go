package interp

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("DFT", kernelDFT)
	Register("STFT", kernelSTFT)
	Register("HannWindow", kernelWindow)
	Register("HammingWindow", kernelWindow)
	Register("BlackmanWindow", kernelWindow)
	Register("MelWeightMatrix", kernelMelWeightMatrix)
}

// scalarIntOperand reads a one-element integer tensor.
func scalarIntOperand(t *Tensor, what string) (int64, error) {
	if t == nil || t.Len() != 1 || !t.DType.IsInt() {
		return 0, fmt.Errorf("%s must be an integer scalar", what)
	}
	return widenIntTensor[int64](t)[0], nil
}

// scalarRealOperand reads a one-element real tensor.
func scalarRealOperand(t *Tensor, what string) (float64, error) {
	if t == nil || t.Len() != 1 {
		return 0, fmt.Errorf("%s must be a scalar", what)
	}
	v, err := numericAsF64(t)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return v[0], nil
}

// dftLine computes outLen bins of the length-n DFT of the complex sequence
// (re[k], im[k]) for k < len(re), zero beyond it (len(re) may differ from
// n: dft_length pads or truncates). It evaluates the sum directly in
// float64, reducing k*j mod n first so the twiddle angles stay exact; the
// oracle wants accuracy, not speed.
func dftLine(re, im []float64, n, outLen int, inverse bool) (ore, oim []float64) {
	ore, oim = scratch[float64](outLen), scratch[float64](outLen)
	sign := -1.0
	if inverse {
		sign = 1
	}
	m := min(len(re), n)
	for j := 0; j < outLen; j++ {
		var sr, si float64
		for k := 0; k < m; k++ {
			s, c := math.Sincos(sign * 2 * math.Pi * float64((k*j)%n) / float64(n))
			sr += re[k]*c - im[k]*s
			si += re[k]*s + im[k]*c
		}
		if inverse {
			sr /= float64(n)
			si /= float64(n)
		}
		ore[j], oim[j] = sr, si
	}
	return ore, oim
}

func kernelDFT(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 2)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	r := x.Rank()
	if !x.DType.IsFloat() || r < 2 || (x.Shape[r-1] != 1 && x.Shape[r-1] != 2) {
		return nil, fmt.Errorf("input must be a float [batch, ..., 1|2] tensor, got %v%v", x.DType, x.Shape)
	}
	ax, err := ir.NormAxis(op.Int("axis"), r)
	if err != nil {
		return nil, err
	}
	if ax == r-1 {
		return nil, fmt.Errorf("axis %d is the real/imaginary dim", op.Int("axis"))
	}
	n := x.Shape[ax]
	if ts[1] != nil {
		l, err := scalarIntOperand(ts[1], "dft_length")
		if err != nil {
			return nil, err
		}
		if l < 1 {
			return nil, fmt.Errorf("dft_length %d: want >= 1", l)
		}
		n = int(l)
	}
	outLen := n
	if op.Int("onesided") != 0 {
		outLen = n/2 + 1
	}
	v, err := numericAsF64(x)
	if err != nil {
		return nil, err
	}
	comps := x.Shape[r-1]
	outer := NumElements(x.Shape[:ax])
	inLen := x.Shape[ax]
	inner := NumElements(x.Shape[ax+1 : r-1])
	outShape := append([]int{}, x.Shape...)
	outShape[ax], outShape[r-1] = outLen, 2
	out := scratch[float64](NumElements(outShape))
	re, im := scratch[float64](inLen), scratch[float64](inLen)
	inverse := op.Int("inverse") != 0
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			for k := 0; k < inLen; k++ {
				i := ((o*inLen+k)*inner + in) * comps
				re[k] = v[i]
				im[k] = 0
				if comps == 2 {
					im[k] = v[i+1]
				}
			}
			ore, oim := dftLine(re, im, n, outLen, inverse)
			for j := 0; j < outLen; j++ {
				i := ((o*outLen+j)*inner + in) * 2
				out[i], out[i+1] = ore[j], oim[j]
			}
		}
	}
	t, err := numericFromF64(x.DType, outShape, out)
	if err != nil {
		return nil, err
	}
	return []Value{t}, nil
}

func kernelSTFT(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 4)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if !x.DType.IsFloat() || x.Rank() != 3 || (x.Shape[2] != 1 && x.Shape[2] != 2) {
		return nil, fmt.Errorf("signal must be a float [batch, length, 1|2] tensor, got %v%v", x.DType, x.Shape)
	}
	step, err := scalarIntOperand(ts[1], "frame_step")
	if err != nil {
		return nil, err
	}
	if step < 1 {
		return nil, fmt.Errorf("frame_step %d: want >= 1", step)
	}
	var window []float64
	if ts[2] != nil {
		if ts[2].Rank() != 1 {
			return nil, fmt.Errorf("window must be 1-D, got shape %v", ts[2].Shape)
		}
		if window, err = numericAsF64(ts[2]); err != nil {
			return nil, fmt.Errorf("window: %w", err)
		}
	}
	frameLen := len(window)
	if ts[3] != nil {
		l, err := scalarIntOperand(ts[3], "frame_length")
		if err != nil {
			return nil, err
		}
		if window != nil && int(l) != len(window) {
			return nil, fmt.Errorf("frame_length %d differs from the window's length %d", l, len(window))
		}
		frameLen = int(l)
	}
	if window == nil && frameLen == 0 {
		return nil, fmt.Errorf("needs a window or a frame_length")
	}
	batch, length, comps := x.Shape[0], x.Shape[1], x.Shape[2]
	if frameLen < 1 || frameLen > length {
		return nil, fmt.Errorf("frame length %d does not fit a signal of length %d", frameLen, length)
	}
	frames := (length-frameLen)/int(step) + 1
	bins := frameLen
	if op.Int("onesided") != 0 {
		bins = frameLen/2 + 1
	}
	v, err := numericAsF64(x)
	if err != nil {
		return nil, err
	}
	out := scratchOf[float64](batch, frames, bins, 2)
	re, im := scratch[float64](frameLen), scratch[float64](frameLen)
	for b := 0; b < batch; b++ {
		for f := 0; f < frames; f++ {
			for k := 0; k < frameLen; k++ {
				w := 1.0
				if window != nil {
					w = window[k]
				}
				i := (b*length + f*int(step) + k) * comps
				re[k], im[k] = v[i]*w, 0
				if comps == 2 {
					im[k] = v[i+1] * w
				}
			}
			ore, oim := dftLine(re, im, frameLen, bins, false)
			for j := 0; j < bins; j++ {
				i := ((b*frames+f)*bins + j) * 2
				out[i], out[i+1] = ore[j], oim[j]
			}
		}
	}
	t, err := numericFromF64(x.DType, []int{batch, frames, bins, 2}, out)
	if err != nil {
		return nil, err
	}
	return []Value{t}, nil
}

func kernelWindow(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	size, err := scalarIntOperand(ts[0], "size")
	if err != nil {
		return nil, err
	}
	if size < 0 {
		return nil, fmt.Errorf("size %d is negative", size)
	}
	// A symmetric window spans size-1 intervals, a periodic one size.
	den := float64(size)
	if op.Int("periodic") == 0 {
		den = float64(size - 1)
	}
	v := scratch[float64](size)
	for i := range v {
		a := 2 * math.Pi * float64(i) / den
		switch op.Name {
		case "HannWindow":
			v[i] = 0.5 - 0.5*math.Cos(a)
		case "HammingWindow":
			v[i] = 25.0/46 - 21.0/46*math.Cos(a)
		case "BlackmanWindow":
			v[i] = 0.42 - 0.5*math.Cos(a) + 0.08*math.Cos(2*a)
		}
	}
	if size == 1 {
		v[0] = 1 // 0/0 for a symmetric window of one point; one point is the whole window
	}
	d, _ := op.Attr("output_datatype")
	t, err := numericFromF64(d.DType, []int{int(size)}, v)
	if err != nil {
		return nil, err
	}
	return []Value{t}, nil
}

// kernelMelWeightMatrix builds the filter bank as ONNX defines it: the
// mel range [mel(lower), mel(upper)] (mel(f) = 2595 log10(1 + f/700)) is
// split into num_mel_bins + 2 equally spaced points, each mapped back to
// hertz and then to the spectrum bin floor((dft_length + 1) * hz /
// sample_rate); filter i rises linearly from point i to point i+1 and
// falls to point i+2.
func kernelMelWeightMatrix(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 5, 5)
	if err != nil {
		return nil, err
	}
	mels, err := scalarIntOperand(ts[0], "num_mel_bins")
	if err != nil {
		return nil, err
	}
	dftLen, err := scalarIntOperand(ts[1], "dft_length")
	if err != nil {
		return nil, err
	}
	rate, err := scalarIntOperand(ts[2], "sample_rate")
	if err != nil {
		return nil, err
	}
	lo, err := scalarRealOperand(ts[3], "lower_edge_hertz")
	if err != nil {
		return nil, err
	}
	hi, err := scalarRealOperand(ts[4], "upper_edge_hertz")
	if err != nil {
		return nil, err
	}
	if mels < 1 || dftLen < 1 || rate < 1 || lo < 0 || hi < lo || hi > float64(rate)/2 {
		return nil, fmt.Errorf("bad arguments: num_mel_bins %d, dft_length %d, sample_rate %d, edges %g..%g Hz", mels, dftLen, rate, lo, hi)
	}
	rows, cols := int(dftLen/2+1), int(mels)
	toMel := func(f float64) float64 { return 2595 * math.Log10(1+f/700) }
	loMel, hiMel := toMel(lo), toMel(hi)
	npts := cols + 2
	step := (hiMel - loMel) / float64(npts)
	pts := scratch[int](npts)
	for i := range pts {
		hz := 700 * (math.Pow(10, (float64(i)*step+loMel)/2595) - 1)
		pts[i] = int(math.Floor(float64(dftLen+1) * hz / float64(rate)))
	}
	v := scratchOf[float64](rows, cols)
	set := func(r, col int, x float64) error {
		if r < 0 || r >= rows {
			return fmt.Errorf("filter %d reaches spectrum bin %d of %d", col, r, rows)
		}
		v[r*cols+col] = x
		return nil
	}
	for i := 0; i < cols; i++ {
		l, m, h := pts[i], pts[i+1], pts[i+2]
		if m == l {
			if err := set(m, i, 1); err != nil {
				return nil, err
			}
		} else {
			for j := l; j <= m; j++ {
				if err := set(j, i, float64(j-l)/float64(m-l)); err != nil {
					return nil, err
				}
			}
		}
		for j := m; j < h; j++ {
			if err := set(j, i, float64(h-j)/float64(h-m)); err != nil {
				return nil, err
			}
		}
	}
	d, _ := op.Attr("output_datatype")
	t, err := numericFromF64(d.DType, []int{rows, cols}, v)
	if err != nil {
		return nil, err
	}
	return []Value{t}, nil
}
