package interp

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("GridSample", kernelGridSample)
	Register("AffineGrid", kernelAffineGrid)
	Register("RoiAlign", kernelRoiAlign)
}

// nnReflect folds coordinate v into [lo2/2, hi2/2] by reflecting at the
// borders (PyTorch's reflect_coordinates, which ONNX GridSample-16
// follows; the bounds are given doubled to stay integral).
func nnReflect(v float64, lo2, hi2 int) float64 {
	if lo2 == hi2 {
		return 0
	}
	lo := float64(lo2) / 2
	span := float64(hi2-lo2) / 2
	v = math.Abs(v - lo)
	extra := math.Mod(v, span)
	if int(math.Floor(v/span))%2 == 0 {
		return extra + lo
	}
	return span - extra + lo
}

// nnGridCoord applies GridSample's padding_mode to an unnormalized
// coordinate: border clamps it into the image, reflection folds it back
// (around the edge pixels' centres with align_corners, their outer edges
// without) and then clamps, zeros leaves it for the bounds check.
func nnGridCoord(v float64, size int, padding string, alignCorners bool) float64 {
	clip := func(v float64) float64 { return math.Min(float64(size-1), math.Max(v, 0)) }
	switch padding {
	case "border":
		return clip(v)
	case "reflection":
		if alignCorners {
			v = nnReflect(v, 0, 2*(size-1))
		} else {
			v = nnReflect(v, -1, 2*size-1)
		}
		return clip(v)
	}
	return v
}

// nnCubicWeights returns the four bicubic weights (A = -0.75, as PyTorch)
// of the taps at -1, 0, 1, 2 for fractional offset t.
func nnCubicWeights(t float64) [4]float64 {
	const a = -0.75
	near := func(x float64) float64 { return ((a+2)*x-(a+3))*x*x + 1 }
	far := func(x float64) float64 { return ((a*x-5*a)*x+8*a)*x - 4*a }
	return [4]float64{far(t + 1), near(t), near(1 - t), far(2 - t)}
}

func kernelGridSample(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x, grid := ts[0], ts[1]
	if x.Rank() != 4 || grid.Rank() != 4 || grid.Shape[0] != x.Shape[0] || grid.Shape[3] != 2 {
		return nil, fmt.Errorf("X %v and grid %v: want [N,C,H,W] and [N,Ho,Wo,2]", x.Shape, grid.Shape)
	}
	mode, padding := op.Str("mode"), op.Str("padding_mode")
	if mode != "bilinear" && mode != "nearest" && mode != "bicubic" {
		return nil, fmt.Errorf("unknown mode %q", mode)
	}
	if padding != "zeros" && padding != "border" && padding != "reflection" {
		return nil, fmt.Errorf("unknown padding_mode %q", padding)
	}
	align := op.Int("align_corners") != 0
	xf, _ := numericAsF64(x)
	gf, err := numericAsF64(grid)
	if err != nil {
		return nil, err
	}
	n, ch, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	ho, wo := grid.Shape[1], grid.Shape[2]
	unnorm := func(v float64, size int) float64 {
		if align {
			return (v + 1) / 2 * float64(size-1)
		}
		return ((v+1)*float64(size) - 1) / 2
	}
	y := scratchOf[float64](n, ch, ho, wo)
	for ni := 0; ni < n; ni++ {
		for cc := 0; cc < ch; cc++ {
			plane := xf[(ni*ch+cc)*h*w : (ni*ch+cc+1)*h*w]
			at := func(yy, xx int) float64 {
				if yy < 0 || yy >= h || xx < 0 || xx >= w {
					return 0
				}
				return plane[yy*w+xx]
			}
			for i := 0; i < ho; i++ {
				for j := 0; j < wo; j++ {
					g := gf[((ni*ho+i)*wo+j)*2:]
					ix, iy := unnorm(g[0], w), unnorm(g[1], h)
					var v float64
					switch mode {
					case "bilinear":
						ix, iy = nnGridCoord(ix, w, padding, align), nnGridCoord(iy, h, padding, align)
						x0, y0 := math.Floor(ix), math.Floor(iy)
						tx, ty := ix-x0, iy-y0
						xi, yi := int(x0), int(y0)
						v = at(yi, xi)*(1-tx)*(1-ty) + at(yi, xi+1)*tx*(1-ty) +
							at(yi+1, xi)*(1-tx)*ty + at(yi+1, xi+1)*tx*ty
					case "nearest":
						ix, iy = nnGridCoord(ix, w, padding, align), nnGridCoord(iy, h, padding, align)
						v = at(int(math.RoundToEven(iy)), int(math.RoundToEven(ix)))
					case "bicubic":
						// Bicubic pads each of the 16 taps, not the centre.
						x0, y0 := math.Floor(ix), math.Floor(iy)
						wx, wy := nnCubicWeights(ix-x0), nnCubicWeights(iy-y0)
						for a := 0; a < 4; a++ {
							ty := nnGridCoord(y0-1+float64(a), h, padding, align)
							for b := 0; b < 4; b++ {
								tx := nnGridCoord(x0-1+float64(b), w, padding, align)
								v += wy[a] * wx[b] * at(int(ty), int(tx))
							}
						}
					}
					y[((ni*ch+cc)*ho+i)*wo+j] = v
				}
			}
		}
	}
	return []Value{nnFromFloats(x.DType, []int{n, ch, ho, wo}, y)}, nil
}

func kernelRoiAlign(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 3, 3)
	if err != nil {
		return nil, err
	}
	x, rois, bidx := ts[0], ts[1], ts[2]
	if x.Rank() != 4 || rois.Rank() != 2 || rois.Shape[1] != 4 || bidx.Rank() != 1 || bidx.Shape[0] != rois.Shape[0] {
		return nil, fmt.Errorf("X %v, rois %v, batch_indices %v: want [N,C,H,W], [R,4], [R]", x.Shape, rois.Shape, bidx.Shape)
	}
	if x.Shape[2] == 0 || x.Shape[3] == 0 {
		return nil, fmt.Errorf("X %v has an empty image", x.Shape)
	}
	oh, ow := int(op.Int("output_height")), int(op.Int("output_width"))
	if oh < 1 || ow < 1 {
		return nil, fmt.Errorf("output size %dx%d must be positive", oh, ow)
	}
	ratio := int(op.Int("sampling_ratio"))
	scale := float64(op.Float("spatial_scale"))
	isMax := op.Str("mode") == "max"
	halfPixel := op.Str("coordinate_transformation_mode") == "half_pixel"
	xf, _ := numericAsF64(x)
	rf, err := numericAsF64(rois)
	if err != nil {
		return nil, err
	}
	if !bidx.DType.IsInt() {
		return nil, fmt.Errorf("%v is not an integer type", bidx.DType)
	}
	bi, _ := elemsAsInt64(bidx)
	n, ch, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	nr := rois.Shape[0]
	y := scratchOf[float64](nr, ch, oh, ow)
	offset := 0.0
	if halfPixel {
		offset = 0.5
	}
	for r := 0; r < nr; r++ {
		b := int(bi[r])
		if b < 0 || b >= n {
			return nil, fmt.Errorf("roi %d: batch index %d out of range [0,%d)", r, b, n)
		}
		x1, y1 := rf[r*4]*scale-offset, rf[r*4+1]*scale-offset
		rw, rh := rf[r*4+2]*scale-offset-x1, rf[r*4+3]*scale-offset-y1
		if !halfPixel {
			// The legacy convention forces regions to at least 1x1.
			rw, rh = math.Max(rw, 1), math.Max(rh, 1)
		}
		bh, bw := rh/float64(oh), rw/float64(ow)
		gh, gw := ratio, ratio
		if ratio <= 0 {
			gh, gw = int(math.Ceil(rh/float64(oh))), int(math.Ceil(rw/float64(ow)))
		}
		count := float64(max(gh*gw, 1))
		for cc := 0; cc < ch; cc++ {
			plane := xf[(b*ch+cc)*h*w:]
			for ph := 0; ph < oh; ph++ {
				for pw := 0; pw < ow; pw++ {
					acc, first := 0.0, true
					for iy := 0; iy < gh; iy++ {
						yy := y1 + float64(ph)*bh + (float64(iy)+0.5)*bh/float64(gh)
						for ix := 0; ix < gw; ix++ {
							xx := x1 + float64(pw)*bw + (float64(ix)+0.5)*bw/float64(gw)
							taps := nnRoiBilinear(plane, h, w, yy, xx)
							if isMax {
								// ONNX Runtime's max mode takes the largest
								// weighted tap, not the interpolated value.
								m := math.Max(math.Max(taps[0], taps[1]), math.Max(taps[2], taps[3]))
								if first || m > acc {
									acc = m
								}
								first = false
							} else {
								acc += taps[0] + taps[1] + taps[2] + taps[3]
							}
						}
					}
					if !isMax {
						acc /= count
					}
					y[((r*ch+cc)*oh+ph)*ow+pw] = acc
				}
			}
		}
	}
	return []Value{nnFromFloats(x.DType, []int{nr, ch, oh, ow}, y)}, nil
}

// nnRoiBilinear returns the four weighted taps of bilinear interpolation at
// (y, x), with RoiAlign's edge rules: samples more than one pixel outside
// contribute nothing, others clamp to the image.
func nnRoiBilinear(plane []float64, h, w int, y, x float64) [4]float64 {
	if !(y >= -1 && y <= float64(h) && x >= -1 && x <= float64(w)) { // also catches NaN
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
		hy * hx * plane[yl*w+xl], hy * lx * plane[yl*w+xh],
		ly * hx * plane[yh*w+xl], ly * lx * plane[yh*w+xh],
	}
}

// kernelAffineGrid is AffineGrid-20: output position (d, h, w) has the
// normalized coordinates (x, y, z) of its column, row and slice in [-1, 1]
// (the corner pixels' centres with align_corners, their outer edges
// without), and the grid holds theta times (x, y[, z], 1).
func kernelAffineGrid(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	theta := ts[0]
	size, err := tensorInt64s(ts[1], "size")
	if err != nil {
		return nil, err
	}
	if len(size) != 4 && len(size) != 5 {
		return nil, fmt.Errorf("size has %d entries, want 4 (N,C,H,W) or 5 (N,C,D,H,W)", len(size))
	}
	nd := len(size) - 2
	sp, err := dimsFromInt64(size[2:], "size")
	if err != nil {
		return nil, err
	}
	n := int(size[0])
	if theta.Rank() != 3 || theta.Shape[0] != n || theta.Shape[1] != nd || theta.Shape[2] != nd+1 {
		return nil, fmt.Errorf("theta has shape %v, want [%d, %d, %d]", theta.Shape, n, nd, nd+1)
	}
	tf, err := numericAsF64(theta)
	if err != nil {
		return nil, err
	}
	ac := op.Int("align_corners") != 0
	coord := func(i, len int) float64 {
		if ac {
			if len == 1 {
				return -1 // ONNX's reference: the one point at -1
			}
			return -1 + 2*float64(i)/float64(len-1)
		}
		return (2*float64(i)+1)/float64(len) - 1
	}
	outShape := append(append([]int{n}, sp...), nd)
	if err := checkElemCount(outShape, "output shape"); err != nil {
		return nil, err
	}
	y := scratch[float64](NumElements(outShape))
	pts := NumElements(sp)
	idx := scratch[int](nd)
	v := scratch[float64](nd + 1)
	for b := range n {
		th := tf[b*nd*(nd+1) : (b+1)*nd*(nd+1)]
		for p := range pts {
			unflatten(p, sp, idx)
			// v = (x, y[, z], 1): x runs along the last spatial dim.
			for k := range nd {
				v[k] = coord(idx[nd-1-k], sp[nd-1-k])
			}
			v[nd] = 1
			out := y[(b*pts+p)*nd : (b*pts+p+1)*nd]
			for r := range nd {
				s := 0.0
				for k := range nd + 1 {
					s += th[r*(nd+1)+k] * v[k]
				}
				out[r] = s
			}
		}
	}
	return []Value{nnFromFloats(theta.DType, outShape, y)}, nil
}
