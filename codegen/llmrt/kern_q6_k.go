package llmrt

func init() {
	kernels[typeQ6_K] = &kernel{name: "Q6_K", act: actQ8_K, blockLen: 256, blockBytes: 210, dot: dot8Q6_K, dotLanes: dotLanesQ6_K, dequant: dequantQ6_K}
}

// q6Codes unpacks a Q6_K block's 256 signed codes (ql[128], qh[64]): per
// half of 128, elements l, l+32, l+64, l+96 take the low or high nibble
// of ql[l] or ql[l+32] and two bits of qh[l], minus 32.
func q6Codes(x []byte, out *[256]int8) {
	for h := 0; h < 2; h++ {
		l4 := (*[64]byte)(x[h*64:])
		h2 := (*[32]byte)(x[128+h*32:])
		o := (*[128]int8)(out[h*128:])
		for l := 0; l < 32; l++ {
			o[l] = int8(l4[l]&0xf|(h2[l]&3)<<4) - 32
			o[l+32] = int8(l4[l+32]&0xf|(h2[l]>>2&3)<<4) - 32
			o[l+64] = int8(l4[l]>>4|(h2[l]>>4&3)<<4) - 32
			o[l+96] = int8(l4[l+32]>>4|(h2[l]>>6&3)<<4) - 32
		}
	}
}

// Q6_K block: ql[128] | qh[64] | scales[16] int8 | d f16; group g of 16
// elements uses scales[g].
func dequantQ6_K(src []byte, dst []float32) {
	var c [256]int8
	for b := 0; b < len(dst)/256; b++ {
		blk, y := src[b*210:b*210+210], dst[b*256:b*256+256]
		q6Codes(blk, &c)
		d := f16(blk, 208)
		for i := range y {
			y[i] = float32(d*float32(int8(blk[192+i/16]))) * float32(c[i])
		}
	}
}

// dot8Q6_K is the dot product of nb Q6_K weight blocks with Q8_K
// activation blocks in ggml's AVX2 order: lane k takes, per block, the
// exact sum of scale·(code-32)·q8 over the elements e with e mod 32 in
// 4k..4k+3, times dy·d with a fused multiply-add.
func dot8Q6_K(w, a []byte, nb int) float32 {
	var acc [8]float32
	var c [256]int8
	for b := 0; b < nb; b++ {
		x, y := w[b*210:b*210+210], a[b*292:b*292+292]
		q6Codes(x, &c)
		d := q8KScale(y) * f16(x, 208)
		q8 := y[4:260]
		var sumi [8]int32
		for e := 0; e < 256; e += 4 {
			s := int32(c[e])*int32(int8(q8[e])) + int32(c[e+1])*int32(int8(q8[e+1])) +
				int32(c[e+2])*int32(int8(q8[e+2])) + int32(c[e+3])*int32(int8(q8[e+3]))
			sumi[e%32/4] += int32(int8(x[192+e/16])) * s
		}
		for k := 0; k < 8; k++ {
			acc[k] = fma32(d, float32(sumi[k]), acc[k])
		}
	}
	return hsum8(&acc)
}

// dotLanesQ6_K is dot8Q6_K of one row with one activation row given as
// its blocks' scales dys and lane words lw (lanes.go): the 8 bytes at g·8
// of each half h's low bits (ql) and high bits (qh) give the codes of
// lanes 2g and 2g+1 in its four quarters (q6Group).
func dotLanesQ6_K(row []byte, dys []float32, lw []uint64, _ []int32, nb int) float32 {
	var acc [8]float32
	row, lw = row[:nb*210], lw[:nb*192]
	for b := 0; b < nb; b++ {
		x := (*[210]byte)(row[b*210:])
		y := (*[128]uint64)(lw[b*128:])
		var sumi [8]int32
		for h := 0; h < 2; h++ {
			ql, qh, sc, yh := (*[64]byte)(x[64*h:]), (*[32]byte)(x[128+32*h:]), (*[8]byte)(x[192+8*h:]), (*[64]uint64)(y[64*h:])
			l0, h0 := q6Group(le64(ql[0:]), le64(ql[32:]), le64(qh[0:]), (*[52]uint64)(yh[0:]), (*[7]byte)(sc[0:]))
			l1, h1 := q6Group(le64(ql[8:]), le64(ql[40:]), le64(qh[8:]), (*[52]uint64)(yh[4:]), (*[7]byte)(sc[0:]))
			l2, h2 := q6Group(le64(ql[16:]), le64(ql[48:]), le64(qh[16:]), (*[52]uint64)(yh[8:]), (*[7]byte)(sc[1:]))
			l3, h3 := q6Group(le64(ql[24:]), le64(ql[56:]), le64(qh[24:]), (*[52]uint64)(yh[12:]), (*[7]byte)(sc[1:]))
			sumi[0], sumi[1], sumi[2], sumi[3] = sumi[0]+l0, sumi[1]+h0, sumi[2]+l1, sumi[3]+h1
			sumi[4], sumi[5], sumi[6], sumi[7] = sumi[4]+l2, sumi[5]+h2, sumi[6]+l3, sumi[7]+h3
		}
		d := dys[b] * f16(x[:], 208)
		fmaLanes(&acc, d, &sumi)
	}
	return hsum8(&acc)
}

// q6Group returns the scaled sums of lanes 2g and 2g+1 over one half of a
// Q6_K block from 8 bytes of its low bits v0 (quarters 0 and 2) and v1
// (1 and 3) and of its high bits hv (two per quarter): quarter j's 8
// codes of 6 bits as bytes, multiplied with the lane words y[16j..] and
// scaled by sc[2j] (q6Quads).
func q6Group(v0, v1, hv uint64, y *[52]uint64, sc *[7]byte) (lo, hi int32) {
	const m4, m2 = 0x0F0F0F0F0F0F0F0F, 0x0303030303030303
	l0, h0 := q6Quads(v0&m4|(hv&m2)<<4, (*[4]uint64)(y[0:]), sc[0])
	l1, h1 := q6Quads(v1&m4|(hv>>2&m2)<<4, (*[4]uint64)(y[16:]), sc[2])
	l2, h2 := q6Quads(v0>>4&m4|(hv>>4&m2)<<4, (*[4]uint64)(y[32:]), sc[4])
	l3, h3 := q6Quads(v1>>4&m4|(hv>>6&m2)<<4, (*[4]uint64)(y[48:]), sc[6])
	return (l0 + l1) + (l2 + l3), (h0 + h1) + (h2 + h3)
}

// q6Quads returns the two four-column sums of 8 Q6_K codes c (bytes of 6
// bits, less 32 in even and odd weight words with signed lanes, at most
// 4·32·127 per extraction) with their lane words y, times the scale s.
func q6Quads(c uint64, y *[4]uint64, s byte) (lo, hi int32) {
	const m8, off = 0x00FF00FF00FF00FF, 0x0020002000200020
	lo, hi = quads(c&m8-off, c>>8&m8-off, y)
	return int32(int8(s)) * lo, int32(int8(s)) * hi
}
