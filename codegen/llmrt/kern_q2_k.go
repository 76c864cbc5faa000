package llmrt

func init() {
	kernels[typeQ2_K] = &kernel{name: "Q2_K", act: actQ8_K, blockLen: 256, blockBytes: 84, dot: dotQ2_K, dequant: dequantQ2_K}
}

// Q2_K block: scales[16] (low nibble scale, high nibble min) | qs[64] |
// d f16 | dmin f16. Group g of 16 (of half g/8) reads code bytes
// qs[32·half + 16·(g%2) ..] shifted by 2·((g%8)/2).
func dequantQ2_K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/256; b++ {
		blk, y := src[b*84:b*84+84], dst[b*256:b*256+256]
		sc, qs := blk[0:16], blk[16:80]
		d, dmin := f16(blk, 80), f16(blk, 82)
		for g := 0; g < 16; g++ {
			q := qs[(g/8)*32+(g%2)*16:]
			shift := uint(2 * ((g % 8) / 2))
			dl, ml := d*float32(sc[g]&0xf), float32(dmin*float32(sc[g]>>4))
			for l := 0; l < 16; l++ {
				y[g*16+l] = float32(dl*float32(q[l]>>shift&3)) - ml
			}
		}
	}
}

// dotQ2_K: codes times Q8_K's codes times the 4-bit scales summed exactly,
// the minimums through Q8_K's group sums: dall·isum - dmin·summs per block.
func dotQ2_K(w, a []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*84:b*84+84], a[b*292:b*292+292]
		sc, qs, q8 := x[0:16], x[16:80], y[4:260]
		var isum, summs int32
		for g := 0; g < 16; g++ {
			summs += q8KSum(y, g) * int32(sc[g]>>4)
			q := qs[(g/8)*32+(g%2)*16:][:16]
			shift := uint(2 * ((g % 8) / 2))
			yy := q8[g*16 : g*16+16]
			var s int32
			for l := 0; l < 16; l++ {
				s += int32(int8(yy[l])) * int32(q[l]>>shift&3)
			}
			isum += int32(sc[g]&0xf) * s
		}
		dy := q8KScale(y)
		sum += float32(float32(dy*f16(x, 80))*float32(isum)) - float32(float32(dy*f16(x, 82))*float32(summs))
	}
	return sum
}
