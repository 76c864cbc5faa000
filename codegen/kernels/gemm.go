// Package kernels is the kernel library that kiln's code generator copies
// verbatim into the Go packages it writes. Each file copied (gemm.go with
// one micro-kernel unit; mathf.go; parallel.go; the vector math unit,
// vecmath*.go) is
// ordinary Go, tested in this folder, that imports only the standard
// library, names nothing outside its unit and exports nothing (the
// generated package should not grow API from it), so codegen can carry it
// into a generated package by replacing the package clause alone.
//
// pack.go is the exception: it runs at compile time, inside kiln, to lay
// out constant weights in the panel layout the GEMM reads, and it is the
// one file that exports names. It is never copied.
package kernels

// This file is a blocked, packed single-precision GEMM. The loops follow the
// usual three-level blocking: panels of B (kc×nc) and A (mc×kc) are copied
// into contiguous, zero-padded micro-panels, and a register-blocked
// micro-kernel (gemmMicro, mr×nr) computes each tile of C from one
// micro-panel of A and one of B. gemmMicro and its tile size are the one
// unit to replace per architecture: microkernel_generic.go (2×4, portable
// scalar Go) or microkernel_simd.go (4×16, vectors of 8 float32s through
// the experimental simd/archsimd package when built with
// GOEXPERIMENT=simd on amd64, portable loops elsewhere).
//
// An operand may also come already packed (gemmMat.packed), laid out over
// the whole matrix as PackA and PackB in pack.go write it for the tile
// size the package is built with: A as panels of
// gemmMR rows, panel i holding rows [i·mr, i·mr+mr) step by step of p
// (element (r, p) of the panel at p·mr+r), each panel k steps long; B as
// panels of gemmNR columns, element (p, c) of panel j at p·nr+c. A panel's
// steps [p0, p0+kb) are then one contiguous run, which is all the
// micro-kernel needs, so constant weights are never packed at run time.
//
// B may also be read from an image (gemmMat.im set): the implicit GEMM of
// a stride-1 convolution over a zero-padded input, whose row p = (c, i, l)
// (channel c, tap row i, tap column l) is the padded input itself, shifted
// by c·plane + i·dh + l·dw. The columns are the output positions over the
// padded width (a few at the end of each row are not outputs), so each
// row of each panel is one contiguous run of the image: B is packed
// straight from it, with no im2col buffer.

// Blocking sizes: kc is the depth of a packed panel, mc and nc its rows
// and columns (multiples of every micro-kernel's tile). The micro-kernel's
// file declares its tile, gemmMR×gemmNR.
const (
	gemmKC = 256
	gemmMC = 64
	gemmNC = 512
)

// gemmScratchLen is the length of the scratch slice one thread of gemm
// packs into; gemm with t threads needs t times as much.
const gemmScratchLen = gemmMC*gemmKC + gemmKC*gemmNC

// gemmMinParallel is the least m·n·k worth splitting over goroutines: below
// it (about 20 µs of multiply-adds), handing part of the work to another
// goroutine costs more than it saves; at 1<<18, mnist-8 ran slower at 2
// threads than at 1.
const gemmMinParallel = 1 << 20

// gemmMat is one operand of gemm: either a strided matrix (element [r][c]
// at data[r*rs+c*cs], so a transposed operand is a swap of its strides) or,
// when packed is set, a whole matrix in the panel layout described above.
type gemmMat struct {
	data   []float32
	rs, cs int
	packed bool
	im     gemmIm
}

// gemmIm describes B read from an image: element (p, j) with p = (c·kh +
// i)·kw + l at data[c·plane + i·dh + l·dw + j]. It is in use when kw > 0.
type gemmIm struct {
	kh, kw, plane, dh, dw int
}

// gemm computes C = A·B, or C += A·B when acc is set, for an m×k matrix A
// and a k×n matrix B in float32, C[i][j] being c[i*ldc+j]. It splits the
// columns (or, when they are too few, the rows) of C over up to threads
// goroutines; every element of C is computed by the same sequence of
// operations whatever the split, so the result does not depend on threads.
// scratch must hold threads·gemmScratchLen elements; it is overwritten.
func gemm(m, n, k int, a, b gemmMat, c []float32, ldc int, acc bool, scratch []float32, threads int) {
	gemmEpi(m, n, k, a, b, c, ldc, acc, scratch, threads, nil)
}

// gemmEpilogue is called on a block of C once its elements are final:
// rows [i0, i0+mb) and columns [j0, j0+nb) of the whole product. A kernel
// passes one to apply its epilogue (bias, activation, residual) to each
// block while it is still in cache, instead of in a second pass over C.
// Blocks never overlap, each element is in exactly one, and every
// element's epilogue sees the same value whatever the thread split; an
// epilogue called from several goroutines must only write its block.
type gemmEpilogue func(i0, j0, mb, nb int)

// gemmEpi is gemm followed by epi on every block of C (none when epi is
// nil). With k = 0 the blocks are C's rows as acc leaves them.
func gemmEpi(m, n, k int, a, b gemmMat, c []float32, ldc int, acc bool, scratch []float32, threads int, epi gemmEpilogue) {
	if m <= 0 || n <= 0 {
		return
	}
	if k <= 0 {
		for i := 0; i < m; i++ {
			if !acc {
				clear(c[i*ldc : i*ldc+n])
			}
			if epi != nil {
				epi(i, 0, 1, n)
			}
		}
		return
	}
	threads = max(1, min(threads, len(scratch)/gemmScratchLen))
	if threads == 1 || m*n*k < gemmMinParallel {
		gemmSerial(m, n, k, a, b, c, ldc, acc, scratch[:gemmScratchLen], 0, 0, epi)
		return
	}
	// Split whole micro-tiles so packed operands split at panel edges,
	// one part per thread, each goroutine packing into its own scratch.
	if n >= threads*gemmNR*4 || n >= m {
		step := (n + threads - 1) / threads
		step = (step + gemmNR - 1) / gemmNR * gemmNR
		runParts((n+step-1)/step, threads, func(p, w int) {
			j0 := p * step
			gemmSerial(m, min(step, n-j0), k, a, b.cols(j0, k), c[j0:], ldc, acc, scratch[w*gemmScratchLen:(w+1)*gemmScratchLen], 0, j0, epi)
		})
		return
	}
	step := (m + threads - 1) / threads
	step = (step + gemmMR - 1) / gemmMR * gemmMR
	runParts((m+step-1)/step, threads, func(p, w int) {
		i0 := p * step
		gemmSerial(min(step, m-i0), n, k, a.rows(i0, k), b, c[i0*ldc:], ldc, acc, scratch[w*gemmScratchLen:(w+1)*gemmScratchLen], i0, 0, epi)
	})
}

// rows returns A from row i0 on (i0 a multiple of gemmMR when packed).
func (a gemmMat) rows(i0, k int) gemmMat {
	if a.packed {
		a.data = a.data[i0*k:]
	} else {
		a.data = a.data[i0*a.rs:]
	}
	return a
}

// cols returns B from column j0 on (j0 a multiple of gemmNR when packed).
func (b gemmMat) cols(j0, k int) gemmMat {
	if b.packed {
		b.data = b.data[j0*k:]
	} else if b.im.kw > 0 {
		b.data = b.data[j0:]
	} else {
		b.data = b.data[j0*b.cs:]
	}
	return b
}

// gemmSerial is gemm on one goroutine with one thread's scratch; its C is
// the whole product's from row ri and column cj on, which the epilogue's
// coordinates count from.
func gemmSerial(m, n, k int, a, b gemmMat, c []float32, ldc int, acc bool, scratch []float32, ri, cj int, epi gemmEpilogue) {
	pa := scratch[:gemmMC*gemmKC]
	pb := scratch[gemmMC*gemmKC : gemmScratchLen]
	for j0 := 0; j0 < n; j0 += gemmNC {
		nb := min(gemmNC, n-j0)
		for p0 := 0; p0 < k; p0 += gemmKC {
			kb := min(gemmKC, k-p0)
			// Panels of B for steps [p0, p0+kb) and columns [j0, j0+nb):
			// where the first starts, and how far apart they are.
			bp, bStride := pb, gemmNR*kb
			if b.packed {
				bp, bStride = b.data[j0*k+p0*gemmNR:], gemmNR*k
			} else if b.im.kw > 0 {
				gemmPackIm(kb, nb, b.data[j0:], b.im, p0, pb)
			} else {
				gemmPackB(kb, nb, b.data[p0*b.rs+j0*b.cs:], b.rs, b.cs, pb)
			}
			for i0 := 0; i0 < m; i0 += gemmMC {
				mb := min(gemmMC, m-i0)
				ap, aStride := pa, gemmMR*kb
				if a.packed {
					ap, aStride = a.data[i0*k+p0*gemmMR:], gemmMR*k
				} else {
					gemmPackA(mb, kb, a.data[i0*a.rs+p0*a.cs:], a.rs, a.cs, pa)
				}
				var last gemmEpilogue
				if p0+kb == k {
					last = epi
				}
				gemmBlock(mb, nb, kb, ap, aStride, bp, bStride, c[i0*ldc+j0:], ldc, acc || p0 > 0, ri+i0, cj+j0, last)
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
		if r == gemmMR && acs == 1 {
			// A full panel of row-major A: gemmMR rows read side by side.
			rows := [gemmMR][]float32{}
			for i := range rows {
				rows[i] = a[(i0+i)*ars : (i0+i)*ars+kb]
			}
			for p := 0; p < kb; p++ {
				d := pa[o : o+gemmMR : o+gemmMR]
				for i := range d {
					d[i] = rows[i][p]
				}
				o += gemmMR
			}
			continue
		}
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
		if r == gemmNR && bcs == 1 {
			for p := 0; p < kb; p++ {
				gemmPanelRow(pb[o:o+gemmNR], b[p*brs+j0:p*brs+j0+gemmNR])
				o += gemmNR
			}
			continue
		}
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

// gemmPackIm packs rows [p0, p0+kb) and columns [0, nb) of B read from
// an image (gemmIm; data starts at column 0) into micro-panels of gemmNR
// columns as gemmPackB does: each full panel row is one run of gemmNR
// values of the image, the last panel padded with zeros.
func gemmPackIm(kb, nb int, data []float32, im gemmIm, p0 int, pb []float32) {
	full := nb / gemmNR * gemmNR
	panel := gemmNR * kb
	// The image offset of row p0+p, stepped along (c, i, l).
	l := p0 % im.kw
	i := p0 / im.kw % im.kh
	c := p0 / (im.kw * im.kh)
	for p := 0; p < kb; p++ {
		off := c*im.plane + i*im.dh + l*im.dw
		src := data[off : off+nb]
		o := p * gemmNR
		for j0 := 0; j0 < full; j0 += gemmNR {
			gemmPanelRow(pb[o:o+gemmNR], src[j0:j0+gemmNR])
			o += panel
		}
		if full < nb {
			t := pb[o : o+gemmNR]
			n := copy(t, src[full:])
			clear(t[n:])
		}
		if l++; l == im.kw {
			l = 0
			if i++; i == im.kh {
				i = 0
				c++
			}
		}
	}
}

// gemmBlock computes the product of the micro-panels of A (mb rows, the
// panels aStride apart) and of B (nb columns, bStride apart), each kb
// steps long, into C: added to it when acc is set, else stored. Full tiles
// are written by the micro-kernel itself, two panels of B side by side
// (gemmMicro2) where there are two; partial tiles at the edges go through
// a local tile so the micro-kernel always computes full ones (a last
// panel of 1 to 15 columns with the full one before it, as a pair).
// Every element of C is computed by the same operations either way.
// When epi is set the block's sums are final: each group of gemmEpiCols
// columns goes through epi as soon as it is computed, while in L1 (at
// most gemmMC rows of gemmEpiCols: 16 KiB); ei and ej are the block's
// first row and column in the whole product.
func gemmBlock(mb, nb, kb int, pa []float32, aStride int, pb []float32, bStride int, c []float32, ldc int, acc bool, ei, ej int, epi gemmEpilogue) {
	var tile [gemmMR * 2 * gemmNR]float32
	e0 := 0 // the first column not yet through epi
	for j0 := 0; j0 < nb; {
		bp := pb[(j0/gemmNR)*bStride:]
		nr := min(2*gemmNR, nb-j0)
		// A full panel and the next, full or partial (its packed columns
		// padded with zeros), go through gemmMicro2 together.
		pair := nr > gemmNR
		for i0 := 0; i0 < mb; i0 += gemmMR {
			ap := pa[(i0/gemmMR)*aStride:]
			mr := min(gemmMR, mb-i0)
			switch {
			case pair && mr == gemmMR && nr == 2*gemmNR:
				gemmMicro2(kb, ap, bp, pb[(j0/gemmNR+1)*bStride:], c[i0*ldc+j0:], ldc, acc)
				continue
			case !pair && mr == gemmMR && nr == gemmNR:
				gemmMicro(kb, ap, bp, c[i0*ldc+j0:], ldc, acc)
				continue
			case pair:
				gemmMicro2(kb, ap, bp, pb[(j0/gemmNR+1)*bStride:], tile[:], 2*gemmNR, false)
			default:
				gemmMicroN(kb, ap, bp, tile[:], 2*gemmNR, nr)
			}
			for i := 0; i < mr; i++ {
				row := c[(i0+i)*ldc+j0 : (i0+i)*ldc+j0+nr]
				t := tile[i*2*gemmNR : i*2*gemmNR+nr]
				if acc {
					for j := range row {
						row[j] += t[j]
					}
				} else {
					copy(row, t)
				}
			}
		}
		j0 += nr
		if epi != nil && (j0-e0 >= gemmEpiCols || j0 == nb) {
			epi(ei, ej+e0, mb, j0-e0)
			e0 = j0
		}
	}
}

// gemmEpiCols is how many columns of a block gemmBlock hands its epilogue
// at once (a multiple of every micro-kernel's gemmNR): rows long enough
// for the epilogue's vector loops, short enough to stay in L1.
const gemmEpiCols = 64
