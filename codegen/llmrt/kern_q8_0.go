package llmrt

func init() {
	kernels[typeQ8_0] = &kernel{name: "Q8_0", act: actQ8_0, blockLen: 32, blockBytes: 34, dot: dot8Q8_0, dotLanes: dotLanesQ8_0, dequant: dequantQ8_0}
}

// Q8_0 block: d f16 | qs[32] int8.
func dequantQ8_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*34:b*34+34], dst[b*32:b*32+32]
		d := f16(blk, 0)
		for j, q := range blk[2:34] {
			y[j] = float32(int8(q)) * d
		}
	}
}

// dot8Q8_0 is the dot product of nb Q8_0 weight blocks w with Q8_0
// activation blocks a in ggml's AVX2 order: lane k takes the exact sum of
// codes 4k..4k+3 of each block times dx·dy with a fused multiply-add.
func dot8Q8_0(w, a []byte, nb int) float32 {
	var acc [8]float32
	for b := 0; b < nb; b++ {
		x, y := w[b*34:b*34+34], a[b*34:b*34+34]
		d := f16(x, 0) * f16(y, 0)
		qx, qy := x[2:34], y[2:34]
		for k := 0; k < 8; k++ {
			s := int32(int8(qx[4*k]))*int32(int8(qy[4*k])) + int32(int8(qx[4*k+1]))*int32(int8(qy[4*k+1])) +
				int32(int8(qx[4*k+2]))*int32(int8(qy[4*k+2])) + int32(int8(qx[4*k+3]))*int32(int8(qy[4*k+3]))
			acc[k] = fma32(d, float32(s), acc[k])
		}
	}
	return hsum8(&acc)
}

// dotLanesQ8_0 is dot8Q8_0 of one row with one activation row given as
// its blocks' scales dy and lane words lw (lanes.go): the codes of 8
// columns sign-extended into even and odd words (q8Words), each product
// of two codes taken out alone (at most 2·128·127, q8Quads). The lanes'
// multiply-adds are sum32's, inline; a row with a tiny scale is done
// again by lanesExact.
func dotLanesQ8_0(row []byte, dy []float32, lw []uint64, _ []int32, nb int) float32 {
	// The lanes, float32 values held in float64.
	var a0, a1, a2, a3, a4, a5, a6, a7 float64
	small := false
	row, lw, dy = row[:nb*34], lw[:nb*16], dy[:nb]
	for b := 0; b < nb; b++ {
		x := (*[34]byte)(row[b*34:])
		y := (*[16]uint64)(lw[b*16:])
		d := f16(x[:], 0) * dy[b]
		dd := float64(d)
		e, o := q8Words(le64(x[2:]))
		l, h := q8Quads(e, o, (*[4]uint64)(y[0:]))
		a0, a1 = float64(sum32(dd*float64(l), a0)), float64(sum32(dd*float64(h), a1))
		e, o = q8Words(le64(x[10:]))
		l, h = q8Quads(e, o, (*[4]uint64)(y[4:]))
		a2, a3 = float64(sum32(dd*float64(l), a2)), float64(sum32(dd*float64(h), a3))
		e, o = q8Words(le64(x[18:]))
		l, h = q8Quads(e, o, (*[4]uint64)(y[8:]))
		a4, a5 = float64(sum32(dd*float64(l), a4)), float64(sum32(dd*float64(h), a5))
		e, o = q8Words(le64(x[26:]))
		l, h = q8Quads(e, o, (*[4]uint64)(y[12:]))
		a6, a7 = float64(sum32(dd*float64(l), a6)), float64(sum32(dd*float64(h), a7))
		small = small || tiny(d)
	}
	if small {
		return lanesExact(nb, func(b int) (float32, [8]int32) {
			x, y := (*[34]byte)(row[b*34:]), (*[16]uint64)(lw[b*16:])
			var s [8]int32
			for g := 0; g < 4; g++ {
				e, o := q8Words(le64(x[2+8*g:]))
				s[2*g], s[2*g+1] = q8Quads(e, o, (*[4]uint64)(y[4*g:]))
			}
			return f16(x[:], 0) * dy[b], s
		})
	}
	return hsum8(&[8]float32{float32(a0), float32(a1), float32(a2), float32(a3), float32(a4), float32(a5), float32(a6), float32(a7)})
}

// q8Words returns the even and odd words of 8 signed 8-bit codes v, the
// codes sign-extended into their 16-bit lanes.
func q8Words(v uint64) (even, odd uint64) {
	const m8, s8 = 0x00FF00FF00FF00FF, 0x0080008000800080
	return (v&m8 ^ s8) - s8, (v>>8&m8 ^ s8) - s8
}

// q8Quads returns the two four-column sums of 8 columns from their even
// and odd weight words with signed lanes and their lane words y, each
// product's lane 3 (two terms) taken out alone.
func q8Quads(even, odd uint64, y *[4]uint64) (lo, hi int32) {
	return lane3(even*y[0]) + lane3(odd*y[2]), lane3(even*y[1]) + lane3(odd*y[3])
}
