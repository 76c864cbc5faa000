package llmrt

func init() {
	kernels[typeQ5_K] = &kernel{name: "Q5_K", act: actQ8_K, blockLen: 256, blockBytes: 176, dot: dotQ5_K, dequant: dequantQ5_K}
}

// scaleMinK5 reads the j-th 6-bit scale and minimum of a Q5_K block (the
// same packing as Q4_K's; kept apart so that each type's file stands
// alone).
func scaleMinK5(j int, q []byte) (sc, m int32) {
	if j < 4 {
		return int32(q[j] & 63), int32(q[j+4] & 63)
	}
	return int32(q[j+4]&0xf | (q[j-4]>>6)<<4), int32(q[j+4]>>4 | (q[j]>>6)<<4)
}

// q5KCodes unpacks sub-block j's 32 codes: a nibble of qs[32·(j/2) ..]
// and, as fifth bit, bit j of qh[l].
func q5KCodes(x []byte, j int, out *[32]int32) {
	qh, qs := x[16:48], x[48+32*(j/2):]
	shift := uint(4 * (j % 2))
	for l := 0; l < 32; l++ {
		out[l] = int32(qs[l]>>shift&0xf) | int32(qh[l]>>uint(j)&1)<<4
	}
}

// Q5_K block: d f16 | dmin f16 | scales[12] | qh[32] | qs[128].
func dequantQ5_K(src []byte, dst []float32) {
	var c [32]int32
	for b := 0; b < len(dst)/256; b++ {
		blk, y := src[b*176:b*176+176], dst[b*256:b*256+256]
		d, dmin := f16(blk, 0), f16(blk, 2)
		for j := 0; j < 8; j++ {
			s, m := scaleMinK5(j, blk[4:16])
			q5KCodes(blk, j, &c)
			d1, m1 := d*float32(s), float32(dmin*float32(m))
			for l := 0; l < 32; l++ {
				y[j*32+l] = float32(d1*float32(c[l])) - m1
			}
		}
	}
}

// dotQ5_K adds d·dy·isum - dmin·dy·summ per block, the sums exact.
func dotQ5_K(w, a []byte, nb int) float32 {
	var c [32]int32
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*176:b*176+176], a[b*292:b*292+292]
		var isum, summ int32
		for j := 0; j < 8; j++ {
			s, m := scaleMinK5(j, x[4:16])
			q5KCodes(x, j, &c)
			yy := y[4+32*j : 4+32*j+32]
			var si int32
			for l, v := range c {
				si += v * int32(int8(yy[l]))
			}
			isum += s * si
			summ += m * (q8KSum(y, 2*j) + q8KSum(y, 2*j+1))
		}
		dy := q8KScale(y)
		sum += float32(float32(f16(x, 0)*dy)*float32(isum)) - float32(float32(f16(x, 2)*dy)*float32(summ))
	}
	return sum
}
