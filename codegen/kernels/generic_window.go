package kernels

import "math"

// windowPositions returns every position of a window of the given extents,
// each as its coordinates, in row-major order.
func windowPositions(extents []int) [][]int {
	n := 1
	for _, e := range extents {
		n *= e
	}
	out := make([][]int, 0, n)
	pos := make([]int, len(extents))
	for i := 0; i < n; i++ {
		out = append(out, append([]int(nil), pos...))
		for d := len(pos) - 1; d >= 0; d-- {
			pos[d]++
			if pos[d] < extents[d] {
				break
			}
			pos[d] = 0
		}
	}
	return out
}

// windowInput returns the flat offset inside one spatial plane of sizes
// in of the element that output position o reads at window position k
// (x = o*stride - pad + k*dil per dim), and whether it lies inside.
func windowInput(o, k, in, stride, dil, pad []int) (int, bool) {
	off := 0
	for d := range in {
		x := o[d]*stride[d] - pad[d] + k[d]*dil[d]
		if x < 0 || x >= in[d] {
			return 0, false
		}
		off = off*in[d] + x
	}
	return off, true
}

// convND is a direct convolution over any number of spatial dims, for the
// shapes the specialized 2-D kernels do not take: x is (n, c, in...), w
// (m, c/group, kernel...), b (m) or nil, y (n, m, out...); stride, dil and
// pad (the padding before each dim) have one entry per spatial dim. It
// sums in float64.
func convND(x, w, b, y []float32, xs, ws, ys, stride, dil, pad []int, group int) {
	n, c, m := xs[0], xs[1], ws[0]
	cg, mg := c/group, m/group
	in, out := xs[2:], ys[2:]
	inSize, outSize, kSize := 1, 1, 1
	for d := range in {
		inSize *= in[d]
		outSize *= out[d]
		kSize *= ws[2+d]
	}
	outPos := windowPositions(out)
	kPos := windowPositions(ws[2:])
	for b0 := 0; b0 < n; b0++ {
		for oc := 0; oc < m; oc++ {
			g := oc / mg
			for oi, o := range outPos {
				s := 0.0
				if b != nil {
					s = float64(b[oc])
				}
				for ki, k := range kPos {
					off, ok := windowInput(o, k, in, stride, dil, pad)
					if !ok {
						continue
					}
					for ic := 0; ic < cg; ic++ {
						xv := x[(b0*c+g*cg+ic)*inSize+off]
						wv := w[(oc*cg+ic)*kSize+ki]
						s += float64(xv) * float64(wv)
					}
				}
				y[(b0*m+oc)*outSize+oi] = float32(s)
			}
		}
	}
}

// poolND is MaxPool or AveragePool over any number of spatial dims: x is
// (n, c, in...), y (n, c, out...). An average divides by the positions
// inside the input, or with countPad by those inside the padded extent,
// [-pad, in+padEnd) per dim.
func poolND(x, y []float32, xs, ys, kernel, stride, dil, pad, padEnd []int, isMax, countPad bool) {
	in, out := xs[2:], ys[2:]
	inSize, outSize := 1, 1
	for d := range in {
		inSize *= in[d]
		outSize *= out[d]
	}
	outPos := windowPositions(out)
	kPos := windowPositions(kernel)
	for p := 0; p < xs[0]*xs[1]; p++ {
		xp := x[p*inSize : (p+1)*inSize]
		for oi, o := range outPos {
			s, cnt := 0.0, 0
			if isMax {
				s = math.Inf(-1)
			}
			for _, k := range kPos {
				if countPad {
					inside := true
					for d := range in {
						v := o[d]*stride[d] - pad[d] + k[d]*dil[d]
						inside = inside && v >= -pad[d] && v < in[d]+padEnd[d]
					}
					if inside {
						cnt++
					}
				}
				off, ok := windowInput(o, k, in, stride, dil, pad)
				if !ok {
					continue
				}
				v := float64(xp[off])
				if isMax {
					s = math.Max(s, v)
				} else {
					s += v
				}
				if !countPad {
					cnt++
				}
			}
			if !isMax {
				s /= float64(cnt)
			}
			y[p*outSize+oi] = float32(s)
		}
	}
}

// convInt returns the exact direct convolution of (x - xz) and (w - wz)
// plus b: x is (n, c, in...), w (m, c/group, kernel...), y (n, m,
// out...); xz is one value (nil for none), wz one value or one per output
// channel (nil for none), b nil or one value per output channel. Padding reads x's zero
// point, which is 0 after the shift. stride, dil and pad (the padding
// before each dim) have one entry per spatial dim.
func convInt[X, W ~int8 | ~uint8](x []X, w []W, xz []X, wz []W, b []int32, xs, ws, ys, stride, dil, pad []int, group int) []int64 {
	n, c, m := xs[0], xs[1], ws[0]
	cg, mg := c/group, m/group
	in, out := xs[2:], ys[2:]
	inSize, outSize, kSize := 1, 1, 1
	for d := range in {
		inSize *= in[d]
		outSize *= out[d]
		kSize *= ws[2+d]
	}
	outPos := windowPositions(out)
	kPos := windowPositions(ws[2:])
	zx := int64(0)
	if len(xz) > 0 {
		zx = int64(xz[0])
	}
	y := make([]int64, n*m*outSize)
	for b0 := 0; b0 < n; b0++ {
		for oc := 0; oc < m; oc++ {
			g := oc / mg
			zw := int64(0)
			switch len(wz) {
			case 1:
				zw = int64(wz[0])
			case m:
				zw = int64(wz[oc])
			}
			for oi, o := range outPos {
				var s int64
				if b != nil {
					s = int64(b[oc])
				}
				for ki, k := range kPos {
					off, ok := windowInput(o, k, in, stride, dil, pad)
					if !ok {
						continue
					}
					for ic := 0; ic < cg; ic++ {
						xv := int64(x[(b0*c+g*cg+ic)*inSize+off]) - zx
						wv := int64(w[(oc*cg+ic)*kSize+ki]) - zw
						s += xv * wv
					}
				}
				y[(b0*m+oc)*outSize+oi] = s
			}
		}
	}
	return y
}

// convTransposeND is ConvTranspose as a scatter: each input element adds
// x*w over the output positions its kernel taps reach (o = i*stride +
// k*dil - pad per dim), into y initialized with the bias b (nil for
// none). x is (n, c, in...), w (c, m/group, kernel...), y (n, m, out...).
// It sums in float64.
func convTransposeND[T ~float32 | ~float64](x, w, b, y []T, xs, ws, ys, stride, dil, pad []int, group int) {
	n, c, mg := xs[0], xs[1], ws[1]
	m, cg := mg*group, c/group
	in, out, kern := xs[2:], ys[2:], ws[2:]
	inSize, outSize, kSize := 1, 1, 1
	for d := range in {
		inSize *= in[d]
		outSize *= out[d]
		kSize *= kern[d]
	}
	inPos, kPos := windowPositions(in), windowPositions(kern)
	acc := make([]float64, n*m*outSize)
	if b != nil {
		for i := range acc {
			acc[i] = float64(b[(i/outSize)%m])
		}
	}
	o := make([]int, len(in))
	for ni := 0; ni < n; ni++ {
		for ic := 0; ic < c; ic++ {
			grp := ic / cg
			for ocg := 0; ocg < mg; ocg++ {
				oc := grp*mg + ocg
				dst := acc[(ni*m+oc)*outSize : (ni*m+oc+1)*outSize]
				wk := w[(ic*mg+ocg)*kSize : (ic*mg+ocg+1)*kSize]
				for ii, ip := range inPos {
					xv := float64(x[(ni*c+ic)*inSize+ii])
					for ki, kp := range kPos {
						off, inside := 0, true
						for d := range o {
							v := ip[d]*stride[d] + kp[d]*dil[d] - pad[d]
							if v < 0 || v >= out[d] {
								inside = false
								break
							}
							off = off*out[d] + v
						}
						if inside {
							dst[off] += xv * float64(wk[ki])
						}
					}
				}
			}
		}
	}
	for i, v := range acc {
		y[i] = T(v)
	}
}

// maxPoolIdx is MaxPool over any number of spatial dims that also writes
// (when idx is not nil) the flat index of each maximum in x, row-major or,
// with colMajor (storage_order 1), with the spatial dims reversed. The
// first of equal maxima wins. x is (n, c, in...), y (n, c, out...).
func maxPoolIdx[T ~int8 | ~uint8 | ~float32 | ~float64](x, y []T, idx []int64, xs, ys, kernel, stride, dil, pad []int, colMajor bool) {
	in, out := xs[2:], ys[2:]
	inSize, outSize := 1, 1
	for d := range in {
		inSize *= in[d]
		outSize *= out[d]
	}
	outPos, kPos := windowPositions(out), windowPositions(kernel)
	for pl := 0; pl < xs[0]*xs[1]; pl++ {
		for oi, o := range outPos {
			best, at := math.Inf(-1), -1
			for _, k := range kPos {
				off, ok := windowInput(o, k, in, stride, dil, pad)
				if !ok {
					continue
				}
				if v := float64(x[pl*inSize+off]); v > best || at < 0 {
					best, at = v, off
					if colMajor {
						at = 0
						for d := len(in) - 1; d >= 0; d-- {
							at = at*in[d] + o[d]*stride[d] - pad[d] + k[d]*dil[d]
						}
					}
				}
			}
			y[pl*outSize+oi] = T(best)
			if idx != nil {
				idx[pl*outSize+oi] = int64(pl*inSize + at)
			}
		}
	}
}
