package kernels

import (
	"fmt"
	"math"
)

// RoiAlign, as the interpreter computes it (in float64, ONNX Runtime's max
// mode and edge rules).

// roiBilinear returns the four weighted taps of bilinear interpolation at
// (y, x) in an h x w plane: a sample more than one pixel outside gives
// nothing, others clamp to the image.
func roiBilinear[T ~float32 | ~float64](plane []T, h, w int, y, x float64) [4]float64 {
	if !(y >= -1 && y <= float64(h) && x >= -1 && x <= float64(w)) { // NaN too
		return [4]float64{}
	}
	y, x = math.Max(y, 0), math.Max(x, 0)
	yl, xl := int(y), int(x)
	yh, xh := yl+1, xl+1
	if yl >= h-1 {
		yl, yh, y = h-1, h-1, float64(h-1)
	}
	if xl >= w-1 {
		xl, xh, x = w-1, w-1, float64(w-1)
	}
	ly, lx := y-float64(yl), x-float64(xl)
	hy, hx := 1-ly, 1-lx
	return [4]float64{
		hy * hx * float64(plane[yl*w+xl]), hy * lx * float64(plane[yl*w+xh]),
		ly * hx * float64(plane[yh*w+xl]), ly * lx * float64(plane[yh*w+xh]),
	}
}

// roiAlign is RoiAlign: x is (n, ch, h, w), rois (nr, 4) as x1, y1, x2, y2
// in input coordinates times scale, y (nr, ch, oh, ow). Each output bin
// averages (or, with isMax, takes the largest weighted tap of) a grid of
// ratio x ratio samples, or ceil(bin size) per dim when ratio is 0.
// halfPixel shifts the corners by half a pixel; without it a region is
// at least 1x1. A batch index out of range is an error.
func roiAlign[T ~float32 | ~float64, I ~int32 | ~int64](x, rois []T, bidx []I, y []T, n, ch, h, w, nr, oh, ow, ratio int, scale float64, isMax, halfPixel bool) error {
	offset := 0.0
	if halfPixel {
		offset = 0.5
	}
	for r := 0; r < nr; r++ {
		b := int(bidx[r])
		if b < 0 || b >= n {
			return fmt.Errorf("RoiAlign: roi %d: batch index %d out of range [0,%d)", r, b, n)
		}
		x1, y1 := float64(rois[r*4])*scale-offset, float64(rois[r*4+1])*scale-offset
		rw, rh := float64(rois[r*4+2])*scale-offset-x1, float64(rois[r*4+3])*scale-offset-y1
		if !halfPixel {
			rw, rh = math.Max(rw, 1), math.Max(rh, 1)
		}
		bh, bw := rh/float64(oh), rw/float64(ow)
		gh, gw := ratio, ratio
		if ratio <= 0 {
			gh, gw = int(math.Ceil(rh/float64(oh))), int(math.Ceil(rw/float64(ow)))
		}
		count := float64(max(gh*gw, 1))
		for cc := 0; cc < ch; cc++ {
			plane := x[(b*ch+cc)*h*w : (b*ch+cc+1)*h*w]
			for ph := 0; ph < oh; ph++ {
				for pw := 0; pw < ow; pw++ {
					acc, first := 0.0, true
					for iy := 0; iy < gh; iy++ {
						yy := y1 + float64(ph)*bh + (float64(iy)+0.5)*bh/float64(gh)
						for ix := 0; ix < gw; ix++ {
							xx := x1 + float64(pw)*bw + (float64(ix)+0.5)*bw/float64(gw)
							t := roiBilinear(plane, h, w, yy, xx)
							if isMax {
								m := math.Max(math.Max(t[0], t[1]), math.Max(t[2], t[3]))
								if first || m > acc {
									acc = m
								}
								first = false
							} else {
								acc += t[0] + t[1] + t[2] + t[3]
							}
						}
					}
					if !isMax {
						acc /= count
					}
					y[((r*ch+cc)*oh+ph)*ow+pw] = T(acc)
				}
			}
		}
	}
	return nil
}
