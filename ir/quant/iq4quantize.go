package quant

// The IQ4 quantizers, as llama-quantize runs them without an importance
// matrix (ggml's quantize_iq4_nl and quantize_iq4_xs, which search 15
// scales per sub-block; ggml's quantize_row_iq4_nl_ref searches none and
// writes other bytes). Weights are x², codes are indices into the
// non-uniform grid kvaluesIQ4NL.

// iq4Tries is how many scale steps either side of -max/-127 the search
// tries, as llama-quantize's quantize_iq4_* pass it.
const iq4Tries = 7

// bestIndexIQ4 returns the grid index nearest x, the lower one on a tie
// only when strictly nearer (ggml's best_index_int8).
func bestIndexIQ4(x float32) int {
	if x <= float32(kvaluesIQ4NL[0]) {
		return 0
	}
	if x >= float32(kvaluesIQ4NL[15]) {
		return 15
	}
	lo, hi := 0, 15
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if x < float32(kvaluesIQ4NL[mid]) {
			hi = mid
		} else {
			lo = mid
		}
	}
	if x-float32(kvaluesIQ4NL[hi-1]) < float32(kvaluesIQ4NL[hi])-x {
		return hi - 1
	}
	return hi
}

// iq4Scale fits one sub-block's scale: the grid scaled so its first level
// meets the value of largest magnitude, refined by least squares, then
// the 2·iq4Tries+1 neighbouring grids, keeping the best (Σwqx)²/Σwq².
func iq4Scale(x []float32) float32 {
	var amax, mx float32
	for _, v := range x {
		if a := f32abs(v); a > amax {
			amax, mx = a, v
		}
	}
	if amax < groupMaxEps {
		return 0
	}
	v0 := float32(kvaluesIQ4NL[0])
	sums := func(id float32) (sumqx, sumq2 float32) {
		for _, v := range x {
			q := float32(kvaluesIQ4NL[bestIndexIQ4(float32(id*v))])
			w := float32(v * v)
			sumqx += float32(float32(w*q) * v)
			sumq2 += float32(float32(w*q) * q)
		}
		return sumqx, sumq2
	}
	d := -mx / v0
	sumqx, sumq2 := sums(1 / d)
	d = 0
	if sumq2 > 0 {
		d = sumqx / sumq2
	}
	best := float32(d * sumqx)
	for try := -iq4Tries; try <= iq4Tries; try++ {
		sumqx, sumq2 = sums(float32(try+int(kvaluesIQ4NL[0])) / mx)
		if sumq2 > 0 && float32(sumqx*sumqx) > float32(best*sumq2) {
			d = sumqx / sumq2
			best = float32(d * sumqx)
		}
	}
	return d
}

// packIQ4 stores 32 grid indices per 16 bytes, element j in the low and
// element j+16 in the high nibble of byte j.
func packIQ4(L []uint8, qs []byte) {
	for i := 0; i < len(L)/32; i++ {
		for j := 0; j < 16; j++ {
			qs[16*i+j] = L[32*i+j] | L[32*i+16+j]<<4
		}
	}
}

func quantIQ4_NL(src []float32, dst []byte) {
	var L [32]uint8
	for b := 0; b < len(src)/32; b++ {
		x, blk := src[b*32:b*32+32], dst[b*18:b*18+18]
		d := iq4Scale(x)
		putF16(blk, d)
		var id float32
		if d != 0 {
			id = 1 / d
		}
		for j, v := range x {
			L[j] = uint8(bestIndexIQ4(float32(id * v)))
		}
		packIQ4(L[:], blk[2:18])
	}
}

// quantIQ4_XS: each sub-block's scale quantized to 6 bits against
// d = max/-32; the codes are chosen against the float32 d, before d is
// rounded to f16, as ggml does.
func quantIQ4_XS(src []float32, dst []byte) {
	var L [QK]uint8
	var scales [8]float32
	for b := 0; b < len(src)/QK; b++ {
		x, blk := src[b*QK:b*QK+QK], dst[b*136:b*136+136]
		clear(blk)
		var maxScale, amax float32
		for ib := 0; ib < 8; ib++ {
			scales[ib] = iq4Scale(x[32*ib : 32*ib+32])
			if a := f32abs(scales[ib]); a > amax {
				amax, maxScale = a, scales[ib]
			}
		}
		d := -maxScale / 32
		putF16(blk, d)
		var id float32
		if d != 0 {
			id = 1 / d
		}
		var sh uint16
		sl := blk[4:8]
		for ib := 0; ib < 8; ib++ {
			l := max(-32, min(31, nearestInt(float32(id*scales[ib]))))
			dl := d * float32(l)
			var idl float32
			if dl != 0 {
				idl = 1 / dl
			}
			for j, v := range x[32*ib : 32*ib+32] {
				L[32*ib+j] = uint8(bestIndexIQ4(float32(idl * v)))
			}
			l += 32
			sl[ib/2] |= uint8(l&0xf) << (4 * (ib % 2))
			sh |= uint16(l>>4) << (2 * ib)
		}
		blk[2], blk[3] = byte(sh), byte(sh>>8)
		packIQ4(L[:], blk[8:136])
	}
}
