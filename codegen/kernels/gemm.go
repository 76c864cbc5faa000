// Package kernels is the kernel library that kiln's code generator copies
// verbatim into the Go packages it writes. Each file here is ordinary Go,
// tested in this folder, that imports only the standard library, names
// nothing outside its own file and exports nothing (the generated package
// should not grow API from it), so codegen can carry it into a generated
// package by replacing the package clause alone.
package kernels

// This file is a blocked, packed single-precision GEMM. The loops follow the
// usual three-level blocking: panels of B (kc×nc) and A (mc×kc) are copied
// into contiguous, zero-padded micro-panels, and a register-blocked
// micro-kernel (gemmMicro, mr×nr) computes each tile of C from one
// micro-panel of A and one of B. gemmMicro is the one unit to replace per
// architecture.

// Blocking sizes: mr×nr is the micro-kernel tile, kc the depth of a packed
// panel, mc and nc its rows and columns.
const (
	gemmMR = 2
	gemmNR = 4
	gemmKC = 256
	gemmMC = 64
	gemmNC = 512
)

// gemmScratchLen is the length of the scratch slice gemm packs into.
const gemmScratchLen = gemmMC*gemmKC + gemmKC*gemmNC

// gemm computes C = A·B, or C += A·B when acc is set, for an m×k matrix A
// and a k×n matrix B in float32. Matrices are given by slice and strides:
// A[i][p] is a[i*ars+p*acs], B[p][j] is b[p*brs+j*bcs] and C[i][j] is
// c[i*ldc+j], so a transposed operand is a swap of its strides. scratch
// must hold gemmScratchLen elements; it is overwritten.
func gemm(m, n, k int, a []float32, ars, acs int, b []float32, brs, bcs int, c []float32, ldc int, acc bool, scratch []float32) {
	if m <= 0 || n <= 0 {
		return
	}
	if !acc {
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] = 0
			}
		}
	}
	if k <= 0 {
		return
	}
	pa := scratch[:gemmMC*gemmKC]
	pb := scratch[gemmMC*gemmKC : gemmScratchLen]
	for j0 := 0; j0 < n; j0 += gemmNC {
		nb := min(gemmNC, n-j0)
		for p0 := 0; p0 < k; p0 += gemmKC {
			kb := min(gemmKC, k-p0)
			gemmPackB(kb, nb, b[p0*brs+j0*bcs:], brs, bcs, pb)
			for i0 := 0; i0 < m; i0 += gemmMC {
				mb := min(gemmMC, m-i0)
				gemmPackA(mb, kb, a[i0*ars+p0*acs:], ars, acs, pa)
				gemmBlock(mb, nb, kb, pa, pb, c[i0*ldc+j0:], ldc)
			}
		}
	}
}

// gemmPackA copies an mb×kb block of A into micro-panels of gemmMR rows,
// each stored column by column (gemmMR values per step of p), padding the
// last panel with zeros.
func gemmPackA(mb, kb int, a []float32, ars, acs int, pa []float32) {
	o := 0
	for i0 := 0; i0 < mb; i0 += gemmMR {
		r := min(gemmMR, mb-i0)
		for p := 0; p < kb; p++ {
			for i := 0; i < gemmMR; i++ {
				if i < r {
					pa[o] = a[(i0+i)*ars+p*acs]
				} else {
					pa[o] = 0
				}
				o++
			}
		}
	}
}

// gemmPackB copies a kb×nb block of B into micro-panels of gemmNR columns,
// each stored row by row (gemmNR values per step of p), padding the last
// panel with zeros.
func gemmPackB(kb, nb int, b []float32, brs, bcs int, pb []float32) {
	o := 0
	for j0 := 0; j0 < nb; j0 += gemmNR {
		r := min(gemmNR, nb-j0)
		for p := 0; p < kb; p++ {
			row := b[p*brs:]
			for j := 0; j < gemmNR; j++ {
				if j < r {
					pb[o] = row[(j0+j)*bcs]
				} else {
					pb[o] = 0
				}
				o++
			}
		}
	}
}

// gemmBlock adds the product of packed blocks pa (mb×kb) and pb (kb×nb) to
// C, one micro-tile at a time; partial tiles at the edges go through a
// local tile so the micro-kernel always computes a full one.
func gemmBlock(mb, nb, kb int, pa, pb []float32, c []float32, ldc int) {
	var tile [gemmMR * gemmNR]float32
	for j0 := 0; j0 < nb; j0 += gemmNR {
		bp := pb[(j0/gemmNR)*gemmNR*kb:]
		nr := min(gemmNR, nb-j0)
		for i0 := 0; i0 < mb; i0 += gemmMR {
			ap := pa[(i0/gemmMR)*gemmMR*kb:]
			mr := min(gemmMR, mb-i0)
			gemmMicro(kb, ap, bp, &tile)
			for i := 0; i < mr; i++ {
				row := c[(i0+i)*ldc+j0 : (i0+i)*ldc+j0+nr]
				for j := range row {
					row[j] += tile[i*gemmNR+j]
				}
			}
		}
	}
}

// gemmMicro computes the gemmMR×gemmNR tile t = A·B of one micro-panel of
// A (kb steps of gemmMR values) and one of B (kb steps of gemmNR values),
// keeping the accumulators in registers. It is the unit to replace by an
// architecture-specific kernel. 2×4 is the largest tile whose eight
// accumulators and six operands fit the sixteen floating-point registers
// Go's compiler allocates on amd64 without spilling; measured in CPU time
// it ran about 1.6 times faster than a 4×4 tile that spills.
func gemmMicro(kb int, a, b []float32, t *[gemmMR * gemmNR]float32) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	a = a[:kb*gemmMR]
	b = b[:kb*gemmNR]
	// Re-slicing by a whole step each iteration lets the compiler prove
	// every index in range, so the loop has no bounds checks.
	for len(a) >= gemmMR && len(b) >= gemmNR {
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		a0, a1 := a[0], a[1]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a = a[gemmMR:]
		b = b[gemmNR:]
	}
	*t = [gemmMR * gemmNR]float32{
		c00, c01, c02, c03,
		c10, c11, c12, c13,
	}
}
