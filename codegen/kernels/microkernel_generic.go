//go:build !kiln_simd

package kernels

// gemmMR×gemmNR is the micro-kernel's tile.
const (
	gemmMR = 2
	gemmNR = 4
)

// gemmMicro computes the gemmMR×gemmNR tile A·B of one micro-panel of A
// (kb steps of gemmMR values) and one of B (kb steps of gemmNR values),
// keeping the accumulators in registers, and stores it into c (row i of
// the tile at c[i*ldc:]), or adds it there when acc is set. It is the unit to replace by an
// architecture-specific kernel; this one is portable Go.
//
// 2×4 is the largest tile whose eight accumulators and six operands fit
// the fifteen floating-point registers Go's compiler allocates on amd64
// (X15 is reserved) without spilling: 2×6, 3×4 and 4×4 tiles spill and
// ran 1.4 to 2 times slower, with or without FMA. The loop takes two steps
// of p per iteration, which halves its bookkeeping; built with
// GOAMD64=v3 the compiler fuses each multiply-add into one FMA. On a
// 2-core AMD EPYC it runs at about 7 GFLOP/s (GOAMD64=v1) and 8-9
// GFLOP/s (v3) with its operands in L1: scalar code cannot come near the
// core's vector FMA peak, which needs the assembly kernel that is to
// replace this one.
func gemmMicro(kb int, a, b []float32, c []float32, ldc int, acc bool) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	a = a[:kb*gemmMR]
	b = b[:kb*gemmNR]
	// Re-slicing by whole steps each iteration lets the compiler prove
	// every index in range, so the loop has no bounds checks.
	for len(a) >= 2*gemmMR && len(b) >= 2*gemmNR {
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
		b0, b1, b2, b3 = b[4], b[5], b[6], b[7]
		a0, a1 = a[2], a[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a = a[2*gemmMR:]
		b = b[2*gemmNR:]
	}
	if len(a) >= gemmMR && len(b) >= gemmNR {
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
	}
	r0 := (*[gemmNR]float32)(c[:gemmNR])
	r1 := (*[gemmNR]float32)(c[ldc : ldc+gemmNR])
	if acc {
		c00 += r0[0]
		c01 += r0[1]
		c02 += r0[2]
		c03 += r0[3]
		c10 += r1[0]
		c11 += r1[1]
		c12 += r1[2]
		c13 += r1[3]
	}
	*r0 = [gemmNR]float32{c00, c01, c02, c03}
	*r1 = [gemmNR]float32{c10, c11, c12, c13}
}

// gemmMicro2 computes two tiles side by side: A times the panel b0 of B
// into c and times the next panel b1 into c[gemmNR:].
func gemmMicro2(kb int, a, b0, b1 []float32, c []float32, ldc int, acc bool) {
	gemmMicro(kb, a, b0, c, ldc, acc)
	gemmMicro(kb, a, b1, c[gemmNR:], ldc, acc)
}

// gemmMicroN stores the first nr columns of the tile gemmMicro computes
// (and may store the others): here, the whole tile.
func gemmMicroN(kb int, a, b []float32, c []float32, ldc, nr int) {
	gemmMicro(kb, a, b, c, ldc, false)
}

// gemmPanelRow copies one row of a panel of B, gemmNR values, from s to
// d (which do not overlap): as four moves, where copy would call memmove.
func gemmPanelRow(d, s []float32) {
	d = d[:gemmNR]
	s = s[:gemmNR]
	d[0], d[1], d[2], d[3] = s[0], s[1], s[2], s[3]
}
