package kernels

import (
	"fmt"
	"math"
)

// The window ops of any spatial rank the specialized kernels leave out:
// ConvTranspose (1-D, 3-D), MaxPool with its indices output or on 8-bit
// integers, and MaxUnpool, computed as the interpreter does. They walk
// windows with generic_window.go's helpers.

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

// maxUnpool is MaxUnpool: y (n, c, out...) is zero but for each element
// of x, placed at the spatial coordinates its index (a flat position in
// the pooled input of spatial shape pooled, within x's plane) gives. An
// index outside its plane or the output is an error.
func maxUnpool[T ~float32 | ~float64](x []T, ind []int64, y []T, planes int, pooled, out []int, inPlane int) error {
	srcPlane, outPlane := 1, 1
	for d := range pooled {
		srcPlane *= pooled[d]
		outPlane *= out[d]
	}
	clear(y)
	for i, v := range x[:planes*inPlane] {
		at := ind[i]
		pl := i / inPlane
		off := int(at) - pl*srcPlane
		if at < 0 || off < 0 || off >= srcPlane {
			return fmt.Errorf("MaxUnpool: index %d at %d is outside plane %d of the pooled input", at, i, pl)
		}
		dst := 0
		for d := range pooled {
			st := 1
			for _, e := range pooled[d+1:] {
				st *= e
			}
			coord := off / st
			off %= st
			if coord >= out[d] {
				return fmt.Errorf("MaxUnpool: index %d at %d is outside the output's spatial shape %v", at, i, out)
			}
			dst = dst*out[d] + coord
		}
		y[pl*outPlane+dst] = v
	}
	return nil
}
