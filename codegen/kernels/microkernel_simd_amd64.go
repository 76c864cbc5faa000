//go:build kiln_simd && goexperiment.simd && amd64

package kernels

import "simd/archsimd"

// gemmHaveSIMD reports whether the CPU runs gemmMicroSIMD: AVX2 and FMA.
var gemmHaveSIMD = archsimd.X86.AVX2() && archsimd.X86.FMA()

// gemmMicroSIMD computes the 4×16 tile with eight accumulator vectors of
// 8 float32s, two vectors of B and one broadcast value of A per step:
// eleven of the fifteen vector registers Go allocates, so nothing spills.
// Each step is eight fused multiply-adds. A 6×16 tile (twelve
// accumulators) measured slower here. Re-slicing by whole steps keeps
// bounds checks out of the loop.
func gemmMicroSIMD(kb int, a, b []float32, c []float32, ldc int, acc bool) {
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x8
	a = a[:kb*gemmMR]
	b = b[:kb*gemmNR]
	for len(a) >= gemmMR && len(b) >= gemmNR {
		b0 := archsimd.LoadFloat32x8((*[8]float32)(b[0:8]))
		b1 := archsimd.LoadFloat32x8((*[8]float32)(b[8:16]))
		a0 := archsimd.BroadcastFloat32x8(a[0])
		c00 = a0.MulAdd(b0, c00)
		c01 = a0.MulAdd(b1, c01)
		a1 := archsimd.BroadcastFloat32x8(a[1])
		c10 = a1.MulAdd(b0, c10)
		c11 = a1.MulAdd(b1, c11)
		a2 := archsimd.BroadcastFloat32x8(a[2])
		c20 = a2.MulAdd(b0, c20)
		c21 = a2.MulAdd(b1, c21)
		a3 := archsimd.BroadcastFloat32x8(a[3])
		c30 = a3.MulAdd(b0, c30)
		c31 = a3.MulAdd(b1, c31)
		a = a[gemmMR:]
		b = b[gemmNR:]
	}
	r0 := c[0:gemmNR]
	r1 := c[ldc : ldc+gemmNR]
	r2 := c[2*ldc : 2*ldc+gemmNR]
	r3 := c[3*ldc : 3*ldc+gemmNR]
	if acc {
		c00 = c00.Add(archsimd.LoadFloat32x8((*[8]float32)(r0[0:8])))
		c01 = c01.Add(archsimd.LoadFloat32x8((*[8]float32)(r0[8:16])))
		c10 = c10.Add(archsimd.LoadFloat32x8((*[8]float32)(r1[0:8])))
		c11 = c11.Add(archsimd.LoadFloat32x8((*[8]float32)(r1[8:16])))
		c20 = c20.Add(archsimd.LoadFloat32x8((*[8]float32)(r2[0:8])))
		c21 = c21.Add(archsimd.LoadFloat32x8((*[8]float32)(r2[8:16])))
		c30 = c30.Add(archsimd.LoadFloat32x8((*[8]float32)(r3[0:8])))
		c31 = c31.Add(archsimd.LoadFloat32x8((*[8]float32)(r3[8:16])))
	}
	c00.Store((*[8]float32)(r0[0:8]))
	c01.Store((*[8]float32)(r0[8:16]))
	c10.Store((*[8]float32)(r1[0:8]))
	c11.Store((*[8]float32)(r1[8:16]))
	c20.Store((*[8]float32)(r2[0:8]))
	c21.Store((*[8]float32)(r2[8:16]))
	c30.Store((*[8]float32)(r3[0:8]))
	c31.Store((*[8]float32)(r3[8:16]))
}

// gemmHaveAVX512 reports whether the CPU runs gemmMicro2AVX512.
var gemmHaveAVX512 = gemmHaveSIMD && archsimd.X86.AVX512()

// gemmMicro2AVX512 is gemmMicro2 on vectors of 16 float32s: the two
// panels of B are one 16-float vector each per step, so each step is the
// same eight fused multiply-adds as gemmMicroSIMD's on twice the data,
// which halves the instructions per flop (Go allocates sixteen vector
// registers for these too, so the tile stays 4×32 with eight
// accumulators). Each element's multiply-adds are gemmMicroSIMD's, in its
// order.
func gemmMicro2AVX512(kb int, a, b0, b1 []float32, c []float32, ldc int, acc bool) {
	var c00, c01, c10, c11, c20, c21, c30, c31 archsimd.Float32x16
	a = a[:kb*gemmMR]
	b0 = b0[:kb*gemmNR]
	b1 = b1[:kb*gemmNR]
	for p := 0; p < kb; p++ {
		ap := (*[gemmMR]float32)(a[p*gemmMR:])
		v0 := archsimd.LoadFloat32x16((*[16]float32)(b0[p*gemmNR:]))
		v1 := archsimd.LoadFloat32x16((*[16]float32)(b1[p*gemmNR:]))
		a0 := archsimd.BroadcastFloat32x16(ap[0])
		c00 = a0.MulAdd(v0, c00)
		c01 = a0.MulAdd(v1, c01)
		a1 := archsimd.BroadcastFloat32x16(ap[1])
		c10 = a1.MulAdd(v0, c10)
		c11 = a1.MulAdd(v1, c11)
		a2 := archsimd.BroadcastFloat32x16(ap[2])
		c20 = a2.MulAdd(v0, c20)
		c21 = a2.MulAdd(v1, c21)
		a3 := archsimd.BroadcastFloat32x16(ap[3])
		c30 = a3.MulAdd(v0, c30)
		c31 = a3.MulAdd(v1, c31)
	}
	r0 := c[0 : 2*gemmNR]
	r1 := c[ldc : ldc+2*gemmNR]
	r2 := c[2*ldc : 2*ldc+2*gemmNR]
	r3 := c[3*ldc : 3*ldc+2*gemmNR]
	if acc {
		c00 = c00.Add(archsimd.LoadFloat32x16((*[16]float32)(r0[0:16])))
		c01 = c01.Add(archsimd.LoadFloat32x16((*[16]float32)(r0[16:32])))
		c10 = c10.Add(archsimd.LoadFloat32x16((*[16]float32)(r1[0:16])))
		c11 = c11.Add(archsimd.LoadFloat32x16((*[16]float32)(r1[16:32])))
		c20 = c20.Add(archsimd.LoadFloat32x16((*[16]float32)(r2[0:16])))
		c21 = c21.Add(archsimd.LoadFloat32x16((*[16]float32)(r2[16:32])))
		c30 = c30.Add(archsimd.LoadFloat32x16((*[16]float32)(r3[0:16])))
		c31 = c31.Add(archsimd.LoadFloat32x16((*[16]float32)(r3[16:32])))
	}
	c00.Store((*[16]float32)(r0[0:16]))
	c01.Store((*[16]float32)(r0[16:32]))
	c10.Store((*[16]float32)(r1[0:16]))
	c11.Store((*[16]float32)(r1[16:32]))
	c20.Store((*[16]float32)(r2[0:16]))
	c21.Store((*[16]float32)(r2[16:32]))
	c30.Store((*[16]float32)(r3[0:16]))
	c31.Store((*[16]float32)(r3[16:32]))
}

// gemmMicroNarrowSIMD stores the first nr ≤ 4 columns of the tile: four
// accumulators of the tile's 4 rows, one per column, each step one
// vector of A and a broadcast value of B per column (element (i, j) is
// fma(B[p][j], A[i][p], sum), gemmMicroSIMD's fma(A[i][p], B[p][j], sum)
// with its factors swapped: the same bits).
func gemmMicroNarrowSIMD(kb int, a, b []float32, c []float32, ldc, nr int) {
	var c0, c1, c2, c3 archsimd.Float32x4
	a = a[:kb*gemmMR]
	b = b[:kb*gemmNR]
	for len(a) >= gemmMR && len(b) >= gemmNR {
		av := archsimd.LoadFloat32x4((*[4]float32)(a[0:4]))
		c0 = archsimd.BroadcastFloat32x4(b[0]).MulAdd(av, c0)
		c1 = archsimd.BroadcastFloat32x4(b[1]).MulAdd(av, c1)
		c2 = archsimd.BroadcastFloat32x4(b[2]).MulAdd(av, c2)
		c3 = archsimd.BroadcastFloat32x4(b[3]).MulAdd(av, c3)
		a = a[gemmMR:]
		b = b[gemmNR:]
	}
	var t [4][4]float32
	c0.Store(&t[0])
	c1.Store(&t[1])
	c2.Store(&t[2])
	c3.Store(&t[3])
	for i := 0; i < gemmMR; i++ {
		r := c[i*ldc : i*ldc+nr]
		for j := range r {
			r[j] = t[j][i]
		}
	}
}

// gemmPanelRowSIMD is gemmPanelRow in two vectors.
func gemmPanelRowSIMD(d, s []float32) {
	d = d[:gemmNR]
	s = s[:gemmNR]
	archsimd.LoadFloat32x8((*[8]float32)(s[0:8])).Store((*[8]float32)(d[0:8]))
	archsimd.LoadFloat32x8((*[8]float32)(s[8:16])).Store((*[8]float32)(d[8:16]))
}

// dwRowSIMD is dwRow on vectors of 8 outputs: two vectors per step, so
// two chains of fused multiply-adds overlap, then one, then the last
// outputs as one vector overlapping the one before (rows shorter than 8:
// one by one; each output's taps in the same order throughout).
func dwRowSIMD(y, x []float32, ldx int, w []float32, bias float32, kh, kw, dh, dw int) {
	n := len(y)
	if kh == 3 && kw == 3 && dh == 1 && dw == 1 && n >= 16 {
		dwRow33SIMD(y, x, ldx, w, bias)
		return
	}
	w = w[:kh*kw]
	bv := archsimd.BroadcastFloat32x8(bias)
	o := 0
	for ; o+16 <= n; o += 16 {
		acc0, acc1 := bv, bv
		for i := 0; i < kh; i++ {
			xr := x[i*dh*ldx+o:]
			for j, wv := range w[i*kw : i*kw+kw] {
				q := xr[j*dw : j*dw+16]
				ws := archsimd.BroadcastFloat32x8(wv)
				acc0 = archsimd.LoadFloat32x8((*[8]float32)(q[0:8])).MulAdd(ws, acc0)
				acc1 = archsimd.LoadFloat32x8((*[8]float32)(q[8:16])).MulAdd(ws, acc1)
			}
		}
		acc0.Store((*[8]float32)(y[o : o+8]))
		acc1.Store((*[8]float32)(y[o+8 : o+16]))
	}
	for ; o+8 <= n; o += 8 {
		acc := bv
		for i := 0; i < kh; i++ {
			xr := x[i*dh*ldx+o:]
			for j, wv := range w[i*kw : i*kw+kw] {
				acc = archsimd.LoadFloat32x8((*[8]float32)(xr[j*dw:j*dw+8])).MulAdd(archsimd.BroadcastFloat32x8(wv), acc)
			}
		}
		acc.Store((*[8]float32)(y[o : o+8]))
	}
	if o < n && n >= 8 {
		// The last 8 outputs as one more vector, overlapping some already
		// computed, which it recomputes to the same bits.
		o = n - 8
		acc := bv
		for i := 0; i < kh; i++ {
			xr := x[i*dh*ldx+o:]
			for j, wv := range w[i*kw : i*kw+kw] {
				acc = archsimd.LoadFloat32x8((*[8]float32)(xr[j*dw:j*dw+8])).MulAdd(archsimd.BroadcastFloat32x8(wv), acc)
			}
		}
		acc.Store((*[8]float32)(y[o : o+8]))
		return
	}
	if o < n {
		dwRowPortable(y[o:], x[o:], ldx, w, bias, kh, kw, dh, dw)
	}
}

// dwRow33SIMD is dwRowSIMD for a 3×3 window without dilation and rows
// of at least 16 outputs: the nine weights are broadcast once per row
// instead of once per vector, and the outputs go two vectors at a time,
// the last two overlapping the ones before (recomputed to the same
// bits). Each output's taps are added in dwRowSIMD's order.
func dwRow33SIMD(y, x []float32, ldx int, w []float32, bias float32) {
	n := len(y)
	w = w[:9]
	w0 := archsimd.BroadcastFloat32x8(w[0])
	w1 := archsimd.BroadcastFloat32x8(w[1])
	w2 := archsimd.BroadcastFloat32x8(w[2])
	w3 := archsimd.BroadcastFloat32x8(w[3])
	w4 := archsimd.BroadcastFloat32x8(w[4])
	w5 := archsimd.BroadcastFloat32x8(w[5])
	w6 := archsimd.BroadcastFloat32x8(w[6])
	w7 := archsimd.BroadcastFloat32x8(w[7])
	w8 := archsimd.BroadcastFloat32x8(w[8])
	bv := archsimd.BroadcastFloat32x8(bias)
	x0 := x[: n+2 : n+2]
	x1 := x[ldx : ldx+n+2 : ldx+n+2]
	x2 := x[2*ldx : 2*ldx+n+2 : 2*ldx+n+2]
	for o := 0; ; o += 16 {
		if o+16 > n {
			o = n - 16
		}
		q0 := x0[o : o+18]
		q1 := x1[o : o+18]
		q2 := x2[o : o+18]
		lo, hi := bv, bv
		lo = archsimd.LoadFloat32x8((*[8]float32)(q0[0:8])).MulAdd(w0, lo)
		hi = archsimd.LoadFloat32x8((*[8]float32)(q0[8:16])).MulAdd(w0, hi)
		lo = archsimd.LoadFloat32x8((*[8]float32)(q0[1:9])).MulAdd(w1, lo)
		hi = archsimd.LoadFloat32x8((*[8]float32)(q0[9:17])).MulAdd(w1, hi)
		lo = archsimd.LoadFloat32x8((*[8]float32)(q0[2:10])).MulAdd(w2, lo)
		hi = archsimd.LoadFloat32x8((*[8]float32)(q0[10:18])).MulAdd(w2, hi)
		lo = archsimd.LoadFloat32x8((*[8]float32)(q1[0:8])).MulAdd(w3, lo)
		hi = archsimd.LoadFloat32x8((*[8]float32)(q1[8:16])).MulAdd(w3, hi)
		lo = archsimd.LoadFloat32x8((*[8]float32)(q1[1:9])).MulAdd(w4, lo)
		hi = archsimd.LoadFloat32x8((*[8]float32)(q1[9:17])).MulAdd(w4, hi)
		lo = archsimd.LoadFloat32x8((*[8]float32)(q1[2:10])).MulAdd(w5, lo)
		hi = archsimd.LoadFloat32x8((*[8]float32)(q1[10:18])).MulAdd(w5, hi)
		lo = archsimd.LoadFloat32x8((*[8]float32)(q2[0:8])).MulAdd(w6, lo)
		hi = archsimd.LoadFloat32x8((*[8]float32)(q2[8:16])).MulAdd(w6, hi)
		lo = archsimd.LoadFloat32x8((*[8]float32)(q2[1:9])).MulAdd(w7, lo)
		hi = archsimd.LoadFloat32x8((*[8]float32)(q2[9:17])).MulAdd(w7, hi)
		lo = archsimd.LoadFloat32x8((*[8]float32)(q2[2:10])).MulAdd(w8, lo)
		hi = archsimd.LoadFloat32x8((*[8]float32)(q2[10:18])).MulAdd(w8, hi)
		lo.Store((*[8]float32)(y[o : o+8]))
		hi.Store((*[8]float32)(y[o+8 : o+16]))
		if o+16 >= n {
			return
		}
	}
}

// dwRow2SIMD computes the first n outputs of dwRow2 on vectors of 8 and
// returns n: each tap's 8 inputs are the even lanes of 16 loaded values
// (two shuffles), multiplied in with a fused multiply-add, taps in
// dwRow2's order. It stops where the next 16 values of the last tap
// would pass the end of x; the last outputs of a row of 8 or more are
// one vector overlapping the one before.
func dwRow2SIMD(y, x []float32, ldx int, w []float32, bias float32, kh, kw, dh, dw int) int {
	w = w[:kh*kw]
	bv := archsimd.BroadcastFloat32x8(bias)
	order := archsimd.LoadUint32x8(&[8]uint32{0, 1, 4, 5, 2, 3, 6, 7})
	last := (kh-1)*dh*ldx + (kw-1)*dw + 16
	o := 0
	for ; o+8 <= len(y) && 2*o+last <= len(x); o += 8 {
		acc := bv
		for i := 0; i < kh; i++ {
			xr := x[i*dh*ldx+2*o:]
			for j, wv := range w[i*kw : i*kw+kw] {
				q := xr[j*dw : j*dw+16]
				lo := archsimd.LoadFloat32x8((*[8]float32)(q[0:8]))
				hi := archsimd.LoadFloat32x8((*[8]float32)(q[8:16]))
				ev := lo.SelectFromPairGrouped(0, 2, 4, 6, hi).Permute(order)
				acc = ev.MulAdd(archsimd.BroadcastFloat32x8(wv), acc)
			}
		}
		acc.Store((*[8]float32)(y[o : o+8]))
	}
	if o < len(y) && len(y) >= 8 && 2*(len(y)-8)+last <= len(x) {
		// The last 8 outputs as one more vector, overlapping some already
		// computed, which it recomputes to the same bits.
		o = len(y) - 8
		acc := bv
		for i := 0; i < kh; i++ {
			xr := x[i*dh*ldx+2*o:]
			for j, wv := range w[i*kw : i*kw+kw] {
				q := xr[j*dw : j*dw+16]
				lo := archsimd.LoadFloat32x8((*[8]float32)(q[0:8]))
				hi := archsimd.LoadFloat32x8((*[8]float32)(q[8:16]))
				ev := lo.SelectFromPairGrouped(0, 2, 4, 6, hi).Permute(order)
				acc = ev.MulAdd(archsimd.BroadcastFloat32x8(wv), acc)
			}
		}
		acc.Store((*[8]float32)(y[o : o+8]))
		o = len(y)
	}
	return o
}
