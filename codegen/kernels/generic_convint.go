package kernels

// The integer convolution of ConvInteger and QLinearConv, apart from the
// matrix kernels of generic_qlinear.go (whose quantAt it reads) because it
// walks windows with generic_window.go's helpers: a package with only
// integer matrix products carries neither.

// convInt returns the exact direct convolution of (x - xz) and (w - wz)
// plus b: x is (n, c, in...), w (m, c/group, kernel...), y (n, m,
// out...); xz is one value (nil for none), wz one value or one per output
// channel, b nil or one value per output channel. Padding reads x's zero
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
	zx := int64(quantAt(xz, 0))
	y := make([]int64, n*m*outSize)
	for b0 := 0; b0 < n; b0++ {
		for oc := 0; oc < m; oc++ {
			g := oc / mg
			zw := int64(quantAt(wz, oc))
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
