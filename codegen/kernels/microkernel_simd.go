//go:build kiln_simd

package kernels

// This is the micro-kernel unit for vector hardware: a 4×16 tile, whose
// rows of 16 are two vectors of 8 float32s. Built with GOEXPERIMENT=simd
// for amd64, gemmMicroSIMD (microkernel_simd_amd64.go) computes it with
// AVX2 fused multiply-adds when the CPU has them; elsewhere, and on CPUs
// without them, gemmMicroPortable computes the same tile in plain Go.
// Within kiln the unit is selected by the build tag kiln_simd; the code
// generator writes it into a package instead of microkernel_generic.go
// when asked for (codegen.Options.SIMD).

// gemmMR×gemmNR is the micro-kernel's tile.
const (
	gemmMR = 4
	gemmNR = 16
)

// gemmMicro computes the gemmMR×gemmNR tile A·B of one micro-panel of A
// (kb steps of gemmMR values) and one of B (kb steps of gemmNR values) and
// stores it into c (row i of the tile at c[i*ldc:]), or adds it there
// when acc is set.
func gemmMicro(kb int, a, b []float32, c []float32, ldc int, acc bool) {
	if gemmHaveSIMD {
		gemmMicroSIMD(kb, a, b, c, ldc, acc)
		return
	}
	gemmMicroPortable(kb, a, b, c, ldc, acc)
}

// gemmMicro2 computes two tiles side by side: A times the panel b0 of B
// into c and times the next panel b1 into c[gemmNR:], in one pass over A
// with 16-float vectors where the CPU has AVX-512 (gemmMicro2AVX512),
// else as two calls of gemmMicro. Each element gets the same fused
// multiply-adds in the same order either way.
func gemmMicro2(kb int, a, b0, b1 []float32, c []float32, ldc int, acc bool) {
	if gemmHaveAVX512 {
		gemmMicro2AVX512(kb, a, b0, b1, c, ldc, acc)
		return
	}
	gemmMicro(kb, a, b0, c, ldc, acc)
	gemmMicro(kb, a, b1, c[gemmNR:], ldc, acc)
}

// gemmMicroN stores the first nr columns of the tile gemmMicro computes
// (and may store the others). A panel of at most 4 columns, such as
// the one column of a matrix-vector product, goes column by column on
// vectors of the tile's 4 rows where the CPU has the vector unit
// (gemmMicroNarrowSIMD), the same fused multiply-adds in the same order
// as the whole tile's, instead of computing all 16.
func gemmMicroN(kb int, a, b []float32, c []float32, ldc, nr int) {
	if gemmHaveSIMD && nr <= 4 {
		gemmMicroNarrowSIMD(kb, a, b, c, ldc, nr)
		return
	}
	gemmMicro(kb, a, b, c, ldc, false)
}

// gemmPanelRow copies one row of a panel of B, gemmNR values, from s to
// d (which do not overlap): in two vectors where the CPU has them, else
// through a local array; copy would call memmove, which costs more than
// the copy.
func gemmPanelRow(d, s []float32) {
	if gemmHaveSIMD {
		gemmPanelRowSIMD(d, s)
		return
	}
	v := *(*[gemmNR]float32)(s[:gemmNR])
	*(*[gemmNR]float32)(d[:gemmNR]) = v
}

// gemmMicroPortable is gemmMicro in plain Go: correct everywhere, and far
// slower than the vector kernel, whose tile shape it keeps.
func gemmMicroPortable(kb int, a, b []float32, c []float32, ldc int, acc bool) {
	var t [gemmMR * gemmNR]float32
	a = a[:kb*gemmMR]
	b = b[:kb*gemmNR]
	for p := 0; p < kb; p++ {
		ap := (*[gemmMR]float32)(a[p*gemmMR:])
		bp := (*[gemmNR]float32)(b[p*gemmNR:])
		for i, av := range ap {
			row := (*[gemmNR]float32)(t[i*gemmNR:])
			for j, bv := range bp {
				row[j] += av * bv
			}
		}
	}
	for i := 0; i < gemmMR; i++ {
		row := (*[gemmNR]float32)(c[i*ldc : i*ldc+gemmNR])
		for j, v := range t[i*gemmNR : (i+1)*gemmNR] {
			if acc {
				row[j] += v
			} else {
				row[j] = v
			}
		}
	}
}

// The unit also carries the depthwise row kernel the code generator calls
// for stride-1 depthwise convolutions when it writes this unit.

// dwRow computes one row of a depthwise convolution with stride 1:
// y[o] = bias + Σ x[i·dh·ldx + o + j·dw]·w[i·kw + j] over the kh×kw taps,
// summed tap row by tap row, for every o in y; x starts at the top-left
// tap of output 0, whose window must lie inside x for every o.
func dwRow(y, x []float32, ldx int, w []float32, bias float32, kh, kw, dh, dw int) {
	if gemmHaveSIMD {
		dwRowSIMD(y, x, ldx, w, bias, kh, kw, dh, dw)
		return
	}
	dwRowPortable(y, x, ldx, w, bias, kh, kw, dh, dw)
}

// dwRowPortable is dwRow in plain Go.
func dwRowPortable(y, x []float32, ldx int, w []float32, bias float32, kh, kw, dh, dw int) {
	w = w[:kh*kw]
	for o := range y {
		s := bias
		for i := 0; i < kh; i++ {
			xr := x[i*dh*ldx+o:]
			for j, wv := range w[i*kw : i*kw+kw] {
				s += xr[j*dw] * wv
			}
		}
		y[o] = s
	}
}

// dwRow2 is dwRow for stride 2: y[o] = bias + Σ x[i·dh·ldx + 2·o +
// j·dw]·w[i·kw + j], summed tap row by tap row, for every o in y.
func dwRow2(y, x []float32, ldx int, w []float32, bias float32, kh, kw, dh, dw int) {
	n := 0
	if gemmHaveSIMD {
		n = dwRow2SIMD(y, x, ldx, w, bias, kh, kw, dh, dw)
	}
	dwRow2Portable(y[n:], x[2*n:], ldx, w, bias, kh, kw, dh, dw)
}

// dwRow2Portable is dwRow2 in plain Go.
func dwRow2Portable(y, x []float32, ldx int, w []float32, bias float32, kh, kw, dh, dw int) {
	w = w[:kh*kw]
	for o := range y {
		s := bias
		for i := 0; i < kh; i++ {
			xr := x[i*dh*ldx+2*o:]
			for j, wv := range w[i*kw : i*kw+kw] {
				s += xr[j*dw] * wv
			}
		}
		y[o] = s
	}
}
