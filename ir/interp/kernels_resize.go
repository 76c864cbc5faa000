package interp

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("Resize", kernelResize)
}

// resizeTap is one input index and its weight in an output coordinate.
type resizeTap struct {
	idx int
	w   float64
}

// resizeAxis describes how one axis is sampled: for every output
// coordinate, its taps, or outside (tf_crop_and_resize extrapolates there).
type resizeAxis struct {
	taps    [][]resizeTap
	outside []bool
}

// resizeParams are Resize's attributes.
type resizeParams struct {
	mode, coord, nearest string
	cubicA               float64
	excludeOutside       bool
	antialias            bool
}

// resizeOrigCoord maps output coordinate x back to the input as ONNX
// Resize-13 specifies. outLen is in*scale before flooring: ONNX's reference
// uses it (not the integer output size) for align_corners and
// tf_crop_and_resize, which matters when scales are given.
func resizeOrigCoord(mode string, x, scale float64, inLen int, outLen float64, outInt int, roiStart, roiEnd float64) (float64, error) {
	in := float64(inLen)
	switch mode {
	case "half_pixel":
		return (x+0.5)/scale - 0.5, nil
	case "half_pixel_symmetric":
		// Resize-19: half_pixel, shifted so that the centres of input and
		// output line up when the integer output size differs from
		// in*scale.
		adj := float64(outInt) / outLen
		return in/2*(1-adj) + (x+0.5)/scale - 0.5, nil
	case "pytorch_half_pixel":
		if outLen > 1 {
			return (x+0.5)/scale - 0.5, nil
		}
		return 0, nil
	case "align_corners":
		if outLen == 1 {
			return 0, nil
		}
		return x * (in - 1) / (outLen - 1), nil
	case "asymmetric":
		return x / scale, nil
	case "tf_half_pixel_for_nn":
		return (x + 0.5) / scale, nil
	case "tf_crop_and_resize":
		if outLen > 1 {
			return roiStart*(in-1) + x*(roiEnd-roiStart)*(in-1)/(outLen-1), nil
		}
		return 0.5 * (roiStart + roiEnd) * (in - 1), nil
	}
	return 0, fmt.Errorf("unknown coordinate_transformation_mode %q", mode)
}

// resizeWeights returns the interpolation taps around input coordinate
// xo: offsets relative to floor(xo) and their weights.
func resizeWeights(p resizeParams, xo, scale float64) (offs []int, ws []float64, err error) {
	f := math.Floor(xo)
	t := xo - f
	if p.antialias && scale < 1 && (p.mode == "linear" || p.mode == "cubic") {
		offs, ws := resizeAntialiasWeights(p, t, scale)
		return offs, ws, nil
	}
	switch p.mode {
	case "nearest":
		if t == 0 {
			return []int{0}, []float64{1}, nil
		}
		up := false
		switch p.nearest {
		case "round_prefer_floor":
			up = t > 0.5
		case "round_prefer_ceil":
			up = t >= 0.5
		case "floor":
		case "ceil":
			up = true
		default:
			return nil, nil, fmt.Errorf("unknown nearest_mode %q", p.nearest)
		}
		if up {
			return []int{1}, []float64{1}, nil
		}
		return []int{0}, []float64{1}, nil
	case "linear":
		return []int{0, 1}, []float64{1 - t, t}, nil
	case "cubic":
		w := func(s float64) float64 { return keysCubic(p.cubicA, s) }
		return []int{-1, 0, 1, 2}, []float64{w(t + 1), w(t), w(1 - t), w(2 - t)}, nil
	}
	return nil, nil, fmt.Errorf("unknown mode %q", p.mode)
}

// resizeAntialiasWeights is Resize-18's antialias filter for downscaling
// (scale < 1): the linear or cubic kernel stretched by 1/scale, so that
// about 1/scale times more inputs contribute, normalized to sum 1. t is
// the input coordinate's distance past floor; offsets are relative to
// floor, from 1-ceil(support/scale) to its mirror, as ONNX's reference
// takes them.
func resizeAntialiasWeights(p resizeParams, t, scale float64) ([]int, []float64) {
	support := 1.0
	kern := func(s float64) float64 { return max(0, 1-math.Abs(s)) }
	if p.mode == "cubic" {
		support = 2
		kern = func(s float64) float64 { return keysCubic(p.cubicA, s) }
	}
	start := int(math.Floor(-support/scale)) + 1
	var offs []int
	var ws []float64
	sum := 0.0
	for i := start; i <= 1-start; i++ {
		w := kern(scale * (float64(i) - t))
		offs, ws = append(offs, i), append(ws, w)
		sum += w
	}
	for i := range ws {
		ws[i] /= sum
	}
	return offs, ws
}

// keysCubic is Keys' cubic convolution kernel with coefficient a at
// distance s.
func keysCubic(a, s float64) float64 {
	s = math.Abs(s)
	switch {
	case s <= 1:
		return ((a+2)*s-(a+3))*s*s + 1
	case s < 2:
		return ((a*s-5*a)*s+8*a)*s - 4*a
	}
	return 0
}

func buildResizeAxis(p resizeParams, inLen, outLen int, scale, roiStart, roiEnd float64) (resizeAxis, error) {
	ax := resizeAxis{taps: scratch[[]resizeTap](outLen), outside: scratch[bool](outLen)}
	floatOut := scale * float64(inLen)
	for x := 0; x < outLen; x++ {
		xo, err := resizeOrigCoord(p.coord, float64(x), scale, inLen, floatOut, outLen, roiStart, roiEnd)
		if err != nil {
			return ax, err
		}
		if p.coord == "tf_crop_and_resize" && (xo < 0 || xo > float64(inLen-1)) {
			ax.outside[x] = true
			continue
		}
		offs, ws, err := resizeWeights(p, xo, scale)
		if err != nil {
			return ax, err
		}
		base := int(math.Floor(xo))
		sum := 0.0
		var taps []resizeTap
		for i, o := range offs {
			j := base + o
			w := ws[i]
			if j < 0 || j >= inLen {
				// exclude_outside is for the interpolating modes; a nearest
				// tap always reads the clamped edge.
				if p.excludeOutside && p.mode != "nearest" {
					w = 0
				}
				j = min(max(j, 0), inLen-1) // the input is edge-padded
			}
			sum += w
			taps = append(taps, resizeTap{j, w})
		}
		var kept []resizeTap
		for _, t := range taps {
			if p.excludeOutside && sum != 0 {
				t.w /= sum
			}
			if t.w != 0 {
				kept = append(kept, t)
			}
		}
		ax.taps[x] = kept
	}
	return ax, nil
}

func kernelResize(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 4)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	r := len(x.Shape)
	p := resizeParams{
		mode:           op.Str("mode"),
		coord:          op.Str("coordinate_transformation_mode"),
		nearest:        op.Str("nearest_mode"),
		cubicA:         float64(op.Float("cubic_coeff_a")),
		excludeOutside: op.Int("exclude_outside") != 0,
		antialias:      op.Int("antialias") != 0,
	}
	var scales []float64
	if st := ts[2]; st != nil && st.Len() > 0 {
		if scales, err = elemsAsFloat64(st); err != nil {
			return nil, fmt.Errorf("scales: %w", err)
		}
	}
	out := scratch[int](r)
	var listed []int64
	if op.Has("axes") {
		listed = op.Ints("axes")
	}
	policy := op.Str("keep_aspect_ratio_policy")
	if listed != nil || policy != "stretch" {
		// Resize-18's forms: scales, sizes and roi name only the listed
		// axes, and sizes may keep the aspect ratio.
		var sizes []int64
		if scales == nil && ts[3] != nil {
			if sizes, err = tensorInt64s(ts[3], "sizes"); err != nil {
				return nil, err
			}
		}
		in := scratch[int64](r)
		for i, d := range x.Shape {
			in[i] = int64(d)
		}
		o, sc, err := ir.ResizeShape(in, scales, sizes, listed, policy)
		if err != nil {
			return nil, err
		}
		if out, err = dimsFromInt64(o, "output shape"); err != nil {
			return nil, err
		}
		scales = sc
		for i, s := range scales {
			if float64(x.Shape[i])*s > maxKernelElements {
				return nil, fmt.Errorf("scales[%d] is %v", i, s)
			}
		}
		if rt := ts[1]; rt != nil && rt.Len() > 0 && listed != nil {
			roi, err := elemsAsFloat64(rt)
			if err != nil {
				return nil, fmt.Errorf("roi: %w", err)
			}
			if len(roi) != 2*len(listed) {
				return nil, fmt.Errorf("roi has %d entries for %d axes", len(roi), len(listed))
			}
			full := scratch[float64](2 * r)
			for i := range r {
				full[i], full[i+r] = 0, 1
			}
			for i, a := range listed {
				d, _ := ir.NormAxis(a, r) // ResizeShape checked the axes
				full[d], full[d+r] = roi[i], roi[i+len(listed)]
			}
			ts[1] = FromSlice([]int{2 * r}, full)
		}
	}
	switch {
	case listed != nil || policy != "stretch":
	case scales != nil:
		if len(scales) != r {
			return nil, fmt.Errorf("scales has %d entries for rank %d", len(scales), r)
		}
		for i, s := range scales {
			o := float64(x.Shape[i]) * s
			if !(s > 0) || o > maxKernelElements {
				return nil, fmt.Errorf("scales[%d] is %v", i, s)
			}
			out[i] = int(ir.ResizeOutDim(int64(x.Shape[i]), s))
		}
	case ts[3] != nil:
		sz, err := tensorInt64s(ts[3], "sizes")
		if err != nil {
			return nil, err
		}
		if len(sz) != r {
			return nil, fmt.Errorf("sizes has %d entries for rank %d", len(sz), r)
		}
		if out, err = dimsFromInt64(sz, "sizes"); err != nil {
			return nil, err
		}
		scales = scratch[float64](r)
		for i := range scales {
			scales[i] = float64(out[i]) / float64(x.Shape[i])
		}
	default:
		return nil, fmt.Errorf("neither scales nor sizes given")
	}
	if err := checkElemCount(out, "output shape"); err != nil {
		return nil, err
	}
	var roi []float64
	if rt := ts[1]; rt != nil && rt.Len() > 0 {
		if roi, err = elemsAsFloat64(rt); err != nil {
			return nil, fmt.Errorf("roi: %w", err)
		}
		if len(roi) != 2*r {
			return nil, fmt.Errorf("roi has %d entries for rank %d", len(roi), r)
		}
	}
	axes := scratch[resizeAxis](r)
	for i := range axes {
		rs, re := 0.0, 1.0
		if roi != nil {
			rs, re = roi[i], roi[i+r]
		}
		if x.Shape[i] == 0 && out[i] > 0 {
			return nil, fmt.Errorf("cannot resize empty dim %d to %d", i, out[i])
		}
		if axes[i], err = buildResizeAxis(p, x.Shape[i], out[i], scales[i], rs, re); err != nil {
			return nil, err
		}
	}
	if p.mode == "nearest" {
		// Nearest sampling moves data without arithmetic, so it serves every
		// element type (Resize-10 and later allow strings and bools) and
		// copies 64-bit integers exactly.
		if y, ok := resizeNearestTake(x, axes, out); ok {
			return single(y), nil
		}
	}
	src, err := elemsAsFloat64(x)
	if err != nil {
		return nil, err
	}
	extrap := float64(op.Float("extrapolation_value"))
	st := Strides(x.Shape)
	res := scratch[float64](NumElements(out))
	coord := scratch[int](r)
	for k := range res {
		outside := false
		for d, cd := range coord {
			if axes[d].outside[cd] {
				outside = true
				break
			}
		}
		if outside {
			res[k] = extrap
		} else {
			res[k] = resizeSum(src, axes, st, coord, 0, 0)
		}
		for d := r - 1; d >= 0; d-- {
			coord[d]++
			if coord[d] < out[d] {
				break
			}
			coord[d] = 0
		}
	}
	y, err := tensorFromFloat64(x.DType, out, res)
	if err != nil {
		return nil, err
	}
	return single(y), nil
}

// resizeSum sums the taps of axes d.. for the output coordinate, with base
// the flat input offset accumulated over axes before d.
func resizeSum(src []float64, axes []resizeAxis, st, coord []int, d, base int) float64 {
	if d == len(axes) {
		return src[base]
	}
	s := 0.0
	for _, t := range axes[d].taps[coord[d]] {
		s += t.w * resizeSum(src, axes, st, coord, d+1, base+t.idx*st[d])
	}
	return s
}

// resizeNearestTake gathers the single nearest tap of every output element;
// ok is false when some element lies outside the crop (tf_crop_and_resize
// fills those with extrapolation_value, which needs a numeric type).
func resizeNearestTake(x *Tensor, axes []resizeAxis, out []int) (*Tensor, bool) {
	st := Strides(x.Shape)
	for _, a := range axes {
		for c, o := range a.outside {
			if o || len(a.taps[c]) != 1 {
				return nil, false
			}
		}
	}
	idx := gatherIndexMap(out, st, func(coord []int) bool {
		for d, c := range coord {
			coord[d] = axes[d].taps[c][0].idx
		}
		return true
	})
	return takeFlat(x, out, idx), true
}
