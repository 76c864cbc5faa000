package kernels

import (
	"fmt"
	"math"
)

// resizeTap is one input index of an output coordinate and its weight.
type resizeTap struct {
	idx int
	w   float64
}

// resizeSrcCoord maps output coordinate x of an axis back into the input
// as ONNX Resize's coordinate_transformation_mode says. outLen is
// in*scale before flooring (what ONNX's reference uses for align_corners
// and tf_crop_and_resize), outInt the integer output length.
func resizeSrcCoord(mode string, x, scale float64, inLen int, outLen float64, outInt int, roiStart, roiEnd float64) (float64, error) {
	in := float64(inLen)
	switch mode {
	case "half_pixel":
		return (x+0.5)/scale - 0.5, nil
	case "half_pixel_symmetric":
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
	return 0, fmt.Errorf("coordinate_transformation_mode %q is not known", mode)
}

// cubicWeight is Keys' cubic convolution kernel with coefficient a at
// distance s.
func cubicWeight(a, s float64) float64 {
	s = math.Abs(s)
	switch {
	case s <= 1:
		return ((a+2)*s-(a+3))*s*s + 1
	case s < 2:
		return ((a*s-5*a)*s+8*a)*s - 4*a
	}
	return 0
}

// resizeAxisTaps returns, for each output coordinate of one axis, its taps
// (nil where tf_crop_and_resize falls outside the input: those take the
// extrapolation value).
func resizeAxisTaps(mode, coord, nearest string, cubicA float64, excludeOutside, antialias bool, inLen, outLen int, scale, roiStart, roiEnd float64) ([][]resizeTap, []bool, error) {
	taps, outside := make([][]resizeTap, outLen), make([]bool, outLen)
	floatOut := scale * float64(inLen)
	for x := range taps {
		xo, err := resizeSrcCoord(coord, float64(x), scale, inLen, floatOut, outLen, roiStart, roiEnd)
		if err != nil {
			return nil, nil, err
		}
		if coord == "tf_crop_and_resize" && (xo < 0 || xo > float64(inLen-1)) {
			outside[x] = true
			continue
		}
		f := math.Floor(xo)
		t := xo - f
		var offs []int
		var ws []float64
		switch {
		case antialias && scale < 1 && (mode == "linear" || mode == "cubic"):
			// The kernel stretched by 1/scale, normalized to sum 1.
			support, kern := 1.0, func(s float64) float64 { return max(0, 1-math.Abs(s)) }
			if mode == "cubic" {
				support, kern = 2, func(s float64) float64 { return cubicWeight(cubicA, s) }
			}
			start := int(math.Floor(-support/scale)) + 1
			sum := 0.0
			for i := start; i <= 1-start; i++ {
				w := kern(scale * (float64(i) - t))
				offs, ws = append(offs, i), append(ws, w)
				sum += w
			}
			for i := range ws {
				ws[i] /= sum
			}
		case mode == "nearest":
			up := false
			if t != 0 {
				switch nearest {
				case "round_prefer_floor":
					up = t > 0.5
				case "round_prefer_ceil":
					up = t >= 0.5
				case "floor":
				case "ceil":
					up = true
				default:
					return nil, nil, fmt.Errorf("nearest_mode %q is not known", nearest)
				}
			}
			offs, ws = []int{0}, []float64{1}
			if up {
				offs[0] = 1
			}
		case mode == "linear":
			offs, ws = []int{0, 1}, []float64{1 - t, t}
		case mode == "cubic":
			offs = []int{-1, 0, 1, 2}
			ws = []float64{cubicWeight(cubicA, t+1), cubicWeight(cubicA, t), cubicWeight(cubicA, 1-t), cubicWeight(cubicA, 2-t)}
		default:
			return nil, nil, fmt.Errorf("mode %q is not known", mode)
		}
		base := int(f)
		sum := 0.0
		var tx []resizeTap
		for i, o := range offs {
			j, w := base+o, ws[i]
			if j < 0 || j >= inLen {
				// Edge-padded input; exclude_outside drops the weight of
				// taps outside it (the interpolating modes only).
				if excludeOutside && mode != "nearest" {
					w = 0
				}
				j = min(max(j, 0), inLen-1)
			}
			sum += w
			tx = append(tx, resizeTap{j, w})
		}
		for _, tp := range tx {
			if excludeOutside && sum != 0 {
				tp.w /= sum
			}
			if tp.w != 0 {
				taps[x] = append(taps[x], tp)
			}
		}
	}
	return taps, outside, nil
}

// resizeND resizes x (of shape xs) into y (of the compiled shape ys) by
// scales (one per dim; when fromScales, the model's own, whose
// floor(in*scale) must give ys, else sizes over input sizes), sampling each axis
// with the taps of mode (nearest, linear, cubic) and the coordinate
// mapping; roi (begins then ends, or nil) serves tf_crop_and_resize,
// whose points outside the input take extrap. It sums in float64.
func resizeND[T ~float32 | ~float64](x, y []T, xs, ys []int, scales []float64, fromScales bool, roi []float64, mode, coord, nearest string, cubicA float64, excludeOutside, antialias bool, extrap float64) error {
	r := len(xs)
	if len(scales) != r || roi != nil && len(roi) != 2*r {
		return fmt.Errorf("Resize: %d scales and %d roi values for rank %d", len(scales), len(roi), r)
	}
	taps, outside := make([][][]resizeTap, r), make([][]bool, r)
	for d := range xs {
		if !(scales[d] > 0) || fromScales && int(math.Floor(float64(xs[d])*scales[d])) != ys[d] {
			return fmt.Errorf("Resize: scale %v on dim %d of %d does not give the compiled %d", scales[d], d, xs[d], ys[d])
		}
		if xs[d] == 0 && ys[d] > 0 {
			return fmt.Errorf("Resize: cannot resize empty dim %d to %d", d, ys[d])
		}
		rs, re := 0.0, 1.0
		if roi != nil {
			rs, re = roi[d], roi[d+r]
		}
		var err error
		if taps[d], outside[d], err = resizeAxisTaps(mode, coord, nearest, cubicA, excludeOutside, antialias, xs[d], ys[d], scales[d], rs, re); err != nil {
			return err
		}
	}
	st := make([]int, r)
	for d, s := r-1, 1; d >= 0; d-- {
		st[d] = s
		s *= xs[d]
	}
	coordOut := make([]int, r)
	var sum func(d, base int) float64
	sum = func(d, base int) float64 {
		if d == r {
			return float64(x[base])
		}
		s := 0.0
		for _, tp := range taps[d][coordOut[d]] {
			s += tp.w * sum(d+1, base+tp.idx*st[d])
		}
		return s
	}
	for k := range y {
		out := false
		for d, c := range coordOut {
			out = out || outside[d][c]
		}
		if out {
			y[k] = T(extrap)
		} else {
			y[k] = T(sum(0, 0))
		}
		for d := r - 1; d >= 0; d-- {
			coordOut[d]++
			if coordOut[d] < ys[d] {
				break
			}
			coordOut[d] = 0
		}
	}
	return nil
}
