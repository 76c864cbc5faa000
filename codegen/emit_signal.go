package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// DFT, STFT and MelWeightMatrix call the generic kernels of
// codegen/kernels/generic_signal.go. The operands that set the result's
// shape (dft_length, frame_step, frame_length) must be known at compile
// time; the rest are read at run time.
func init() {
	emitters["DFT"] = emitDFT
	emitters["STFT"] = emitSTFT
	emitters["MelWeightMatrix"] = emitMelWeightMatrix
}

// knownScalar returns the value of operand i, an integer scalar known at
// compile time.
func knownScalar(c *opCtx, i int, what string) (int, error) {
	v, err := c.g.knownInts(c.op.Args[i])
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if len(v) != 1 {
		return 0, fmt.Errorf("%s has %d values; want one", what, len(v))
	}
	return int(v[0]), nil
}

// emitDFT writes DFT along one axis of a (..., 1|2) real or complex
// tensor.
func emitDFT(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	r := len(xs)
	if !isDraw(dt) || r < 2 || xs[r-1] != 1 && xs[r-1] != 2 {
		return nil, fmt.Errorf("input is %s; want f32 or f64 of shape [batch, ..., 1|2]", dtypeText(dt, xs))
	}
	ax, err := ir.NormAxis(c.op.Int("axis"), r)
	if err != nil {
		return nil, err
	}
	if ax == r-1 {
		return nil, fmt.Errorf("axis %d is the real/imaginary dim", c.op.Int("axis"))
	}
	n := xs[ax]
	if c.op.Arg(1) != nil {
		if n, err = knownScalar(c, 1, "dft_length"); err != nil {
			return nil, err
		}
		if n < 1 {
			return nil, fmt.Errorf("dft_length %d: want >= 1", n)
		}
	}
	outLen := n
	if c.op.Int("onesided") != 0 {
		outLen = n/2 + 1
	}
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	want := append([]int(nil), xs...)
	want[ax], want[r-1] = outLen, 2
	if !sameShape(ys, want) {
		return nil, fmt.Errorf("result %v, want %v", ys, want)
	}
	inverse := c.op.Int("inverse") != 0
	body := fmt.Sprintf("dft(x[:%d], y[:%d], %d, %d, %d, %d, %d, %d, %t)\n", numel(xs), numel(ys), numel(xs[:ax]), xs[ax], numel(xs[ax+1:r-1]), xs[r-1], n, outLen, inverse)
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("DFT %s, axis %d, length %d, inverse %t: generic, direct sums", shapes, ax, n, inverse), body: body, shapes: shapes, flops: 8 * int64(numel(ys)) * int64(n)}, nil
}

// emitSTFT writes STFT of a (batch, length, 1|2) signal.
func emitSTFT(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	if !isDraw(dt) || len(xs) != 3 || xs[2] != 1 && xs[2] != 2 {
		return nil, fmt.Errorf("signal is %s; want f32 or f64 of shape [batch, length, 1|2]", dtypeText(dt, xs))
	}
	// frame_step known at compile time is checked here; read at run time,
	// it is checked there against the frames the result holds.
	in := []*ir.Value{c.op.Args[0]}
	params := []string{"x"}
	step, err := knownScalar(c, 1, "frame_step")
	stepExpr := fmt.Sprint(step)
	if err != nil {
		fs, err := c.arg(1)
		if err != nil {
			return nil, err
		}
		if d := c.op.Args[1].Type.DType; numel(fs) != 1 || d != ir.I32 && d != ir.I64 {
			return nil, fmt.Errorf("frame_step is %s; want an integer scalar", dtypeText(d, fs))
		}
		in, params, step, stepExpr = append(in, c.op.Args[1]), append(params, "frameStep"), 0, "step"
	} else if step < 1 {
		return nil, fmt.Errorf("frame_step %d: want >= 1", step)
	}
	window := "nil"
	frameLen := 0
	if w := c.op.Arg(2); w != nil {
		ws, err := c.arg(2)
		if err != nil {
			return nil, err
		}
		if len(ws) != 1 || w.Type.DType != dt {
			return nil, fmt.Errorf("window is %s; want 1-D %s", dtypeText(w.Type.DType, ws), dt)
		}
		in, params, window, frameLen = append(in, w), append(params, "window"), fmt.Sprintf("window[:%d]", ws[0]), ws[0]
	}
	// frame_length read at run time (no window) is checked there against
	// the bins the result holds, as frame_step is against its frames.
	frameExpr := ""
	if c.op.Arg(3) != nil {
		l, err := knownScalar(c, 3, "frame_length")
		switch {
		case err != nil && window == "nil":
			ls, err := c.arg(3)
			if err != nil {
				return nil, err
			}
			if d := c.op.Args[3].Type.DType; numel(ls) != 1 || d != ir.I32 && d != ir.I64 {
				return nil, fmt.Errorf("frame_length is %s; want an integer scalar", dtypeText(d, ls))
			}
			in, params, frameExpr = append(in, c.op.Args[3]), append(params, "frameLength"), "fl"
		case err != nil:
			// The window gives the length; the operand must agree.
			in, params, frameExpr = append(in, c.op.Args[3]), append(params, "frameLength"), "fl"
		case window != "nil" && l != frameLen:
			return nil, fmt.Errorf("frame_length %d differs from the window's length %d", l, frameLen)
		default:
			frameLen = l
		}
	}
	batch, length := xs[0], xs[1]
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	onesided := c.op.Int("onesided") != 0
	if frameExpr != "" && window == "nil" {
		// The result's bins give the frame length, up to the one sample a
		// one-sided transform leaves open: Run reads it and checks.
		frameLen = -1
		if len(ys) == 4 {
			frameLen = ys[2]
			if onesided {
				frameLen = 2 * (ys[2] - 1)
			}
		}
	}
	if frameLen < 1 || frameLen > length {
		return nil, fmt.Errorf("frame length %d does not fit a signal of length %d", frameLen, length)
	}
	// With frame_step read at run time the result gives the frames, and
	// Run checks the step against them.
	frames := -1
	switch {
	case step > 0:
		frames = (length-frameLen)/step + 1
	case len(ys) == 4:
		frames = ys[1]
	}
	bins := frameLen
	if onesided {
		bins = frameLen/2 + 1
	}
	if want := []int{batch, frames, bins, 2}; !sameShape(ys, want) {
		return nil, fmt.Errorf("result %v, want %v", ys, want)
	}
	var body strings.Builder
	fails := false
	flExpr := fmt.Sprint(frameLen)
	if frameExpr != "" {
		fails, flExpr = true, "fl"
		fmt.Fprintf(&body, "fl := int(frameLength[0])\n")
		if window != "nil" {
			fmt.Fprintf(&body, "if fl != %d {\nreturn fmt.Errorf(\"frame_length %%d differs from the window's length %d\", fl)\n}\n", frameLen, frameLen)
		} else {
			fmt.Fprintf(&body, "if fl < 1 || fl > %d || fl%s != %d {\nreturn fmt.Errorf(\"frame_length %%d: want one giving %d bins\", fl)\n}\n", length, map[bool]string{true: "/2+1", false: ""}[onesided], bins, bins)
		}
	}
	if step == 0 {
		fails = true
		fmt.Fprintf(&body, "step := int(frameStep[0])\nif step < 1 || (%d-%s)/step+1 != %d {\nreturn fmt.Errorf(\"frame_step %%d: want one giving %d frames\", step)\n}\n", length, flExpr, frames, frames)
	} else if frameExpr != "" {
		// The frames were counted for a guessed frame length.
		fmt.Fprintf(&body, "if (%d-fl)/%d+1 != %d {\nreturn fmt.Errorf(\"frame_length %%d: want one giving %d frames\", fl)\n}\n", length, step, frames, frames)
	}
	fmt.Fprintf(&body, "stft(x[:%d], %s, y[:%d], %d, %d, %d, %s, %s, %d, %d)\n", numel(xs), window, numel(ys), batch, length, xs[2], stepExpr, flExpr, frames, bins)
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(dt, ys))
	return &kernel{in: in, params: append(params, "y"), nout: 1, fails: fails, comment: fmt.Sprintf("STFT %s, step %s, frame %s: generic, direct sums", shapes, stepExpr, flExpr), body: body.String(), shapes: shapes, flops: 8 * int64(numel(ys)) * int64(frameLen)}, nil
}

// emitMelWeightMatrix writes MelWeightMatrix. num_mel_bins and dft_length
// fix the result's shape, which Run checks them against; sample_rate and
// the edges are read at run time and checked as the interpreter does.
func emitMelWeightMatrix(c *opCtx) (*kernel, error) {
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	dt := c.op.Results[0].Type.DType
	if !isDraw(dt) || len(ys) != 2 {
		return nil, fmt.Errorf("result is %s; want a f32 or f64 matrix", dtypeText(dt, ys))
	}
	for i := 0; i < 5; i++ {
		v := c.op.Arg(i)
		if v == nil {
			return nil, fmt.Errorf("operand %d is missing", i)
		}
		s, err := c.arg(i)
		if err != nil {
			return nil, err
		}
		d := v.Type.DType
		if numel(s) != 1 || i < 3 && d != ir.I32 && d != ir.I64 || i >= 3 && !isDraw(d) {
			return nil, fmt.Errorf("operand %d is %s; want an integer (the first three) or float scalar", i, dtypeText(d, s))
		}
	}
	body := fmt.Sprintf(`m, n, r, l, h := int(mels[0]), int(dftLen[0]), int(rate[0]), float64(lo[0]), float64(hi[0])
if m != %[1]d || n/2+1 != %[2]d {
return fmt.Errorf("num_mel_bins %%d and dft_length %%d give a %%dx%%d matrix, compiled for %[2]dx%[1]d", m, n, n/2+1, m)
}
if n < 1 || r < 1 || l < 0 || h < l || h > float64(r)/2 {
return fmt.Errorf("bad arguments: dft_length %%d, sample_rate %%d, edges %%g..%%g Hz", n, r, l, h)
}
return melWeights(y[:%[3]d], m, n, r, l, h)
`, ys[1], ys[0], numel(ys))
	shapes := dtypeText(dt, ys)
	return &kernel{in: c.op.Args[:5], params: []string{"mels", "dftLen", "rate", "lo", "hi", "y"}, nout: 1, fails: true, comment: "MelWeightMatrix " + shapes, body: body, shapes: shapes}, nil
}
