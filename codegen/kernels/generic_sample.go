package kernels

import "math"

// gridReflect folds coordinate v into [lo2/2, hi2/2] by reflecting at
// the borders, as GridSample-16's reflection padding does (the bounds come
// doubled so that they stay integers).
func gridReflect(v float64, lo2, hi2 int) float64 {
	if lo2 == hi2 {
		return 0
	}
	lo, span := float64(lo2)/2, float64(hi2-lo2)/2
	v = math.Abs(v - lo)
	extra := math.Mod(v, span)
	if int(math.Floor(v/span))%2 == 0 {
		return extra + lo
	}
	return span - extra + lo
}

// gridPad applies padding (zeros, border, reflection) to an unnormalized
// coordinate of an axis of size pixels: border clamps into the image,
// reflection folds back (around the edge pixels' centres with align, their
// outer edges without) and clamps, zeros leaves it to the bounds check.
func gridPad(v float64, size int, padding string, align bool) float64 {
	clip := func(v float64) float64 { return math.Min(float64(size-1), math.Max(v, 0)) }
	switch padding {
	case "border":
		return clip(v)
	case "reflection":
		if align {
			return clip(gridReflect(v, 0, 2*(size-1)))
		}
		return clip(gridReflect(v, -1, 2*size-1))
	}
	return v
}

// gridCubic returns the bicubic weights (a = -0.75) of the taps at -1, 0,
// 1 and 2 for fractional offset t.
func gridCubic(t float64) [4]float64 {
	const a = -0.75
	near := func(x float64) float64 { return ((a+2)*x-(a+3))*x*x + 1 }
	far := func(x float64) float64 { return ((a*x-5*a)*x+8*a)*x - 4*a }
	return [4]float64{far(t + 1), near(t), near(1 - t), far(2 - t)}
}

// gridSample samples x (n, c, h, w) at the points of grid (n, ho, wo, 2;
// x then y, normalized to [-1, 1]) into y (n, c, ho, wo) with mode
// (bilinear, nearest, bicubic) and padding, in float64; points outside the
// image read 0.
func gridSample[T ~float32 | ~float64](x, grid, y []T, n, c, h, w, ho, wo int, mode, padding string, align bool) {
	unnorm := func(v float64, size int) float64 {
		if align {
			return (v + 1) / 2 * float64(size-1)
		}
		return ((v+1)*float64(size) - 1) / 2
	}
	for ni := 0; ni < n; ni++ {
		for cc := 0; cc < c; cc++ {
			plane := x[(ni*c+cc)*h*w : (ni*c+cc+1)*h*w]
			at := func(yy, xx int) float64 {
				if yy < 0 || yy >= h || xx < 0 || xx >= w {
					return 0
				}
				return float64(plane[yy*w+xx])
			}
			for i := 0; i < ho; i++ {
				for j := 0; j < wo; j++ {
					g := grid[((ni*ho+i)*wo+j)*2:]
					ix, iy := unnorm(float64(g[0]), w), unnorm(float64(g[1]), h)
					var v float64
					switch mode {
					case "bilinear":
						ix, iy = gridPad(ix, w, padding, align), gridPad(iy, h, padding, align)
						x0, y0 := math.Floor(ix), math.Floor(iy)
						tx, ty := ix-x0, iy-y0
						xi, yi := int(x0), int(y0)
						v = at(yi, xi)*(1-tx)*(1-ty) + at(yi, xi+1)*tx*(1-ty) + at(yi+1, xi)*(1-tx)*ty + at(yi+1, xi+1)*tx*ty
					case "nearest":
						ix, iy = gridPad(ix, w, padding, align), gridPad(iy, h, padding, align)
						v = at(int(math.RoundToEven(iy)), int(math.RoundToEven(ix)))
					case "bicubic":
						// Each of the 16 taps is padded, not the centre.
						x0, y0 := math.Floor(ix), math.Floor(iy)
						wx, wy := gridCubic(ix-x0), gridCubic(iy-y0)
						for a := 0; a < 4; a++ {
							ty := gridPad(y0-1+float64(a), h, padding, align)
							for b := 0; b < 4; b++ {
								tx := gridPad(x0-1+float64(b), w, padding, align)
								v += wy[a] * wx[b] * at(int(ty), int(tx))
							}
						}
					}
					y[((ni*c+cc)*ho+i)*wo+j] = T(v)
				}
			}
		}
	}
}
