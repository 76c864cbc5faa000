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
