package llmrt

func init() {
	kernels[typeQ4_1] = &kernel{name: "Q4_1", act: actQ8_1, blockLen: 32, blockBytes: 20, dot: dotQ4_1, dequant: dequantQ4_1}
}

// Q4_1 block: d f16 | m f16 | qs[16], x = d·q + m.
func dequantQ4_1(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*20:b*20+20], dst[b*32:b*32+32]
		d, m := f16(blk, 0), f16(blk, 2)
		for j, q := range blk[4:20] {
			y[j] = float32(float32(q&0xf)*d) + m
			y[j+16] = float32(float32(q>>4)*d) + m
		}
	}
}

// dotQ4_1 is the dot product of nb Q4_1 weight blocks with Q8_1
// activation blocks in ggml's AVX2 order: lane k takes the exact sum of
// codes 4k..4k+3 of each block times dx·dy with a fused multiply-add, the
// minimum terms mx·sy (sy being the d·Σq8 the Q8_1 block stores) are
// added in float32 block after block, and the reduced lanes plus that sum
// are the result.
func dotQ4_1(w, a []byte, nb int) float32 {
	var acc [8]float32
	var summs float32
	for b := 0; b < nb; b++ {
		x, y := w[b*20:b*20+20], a[b*36:b*36+36]
		qs, q8 := x[4:20], y[4:36]
		summs += float32(f16(x, 2) * f16(y, 2))
		d := f16(x, 0) * f16(y, 0)
		for k := 0; k < 4; k++ {
			var lo, hi int32
			for j := 4 * k; j < 4*k+4; j++ {
				lo += int32(int8(q8[j])) * int32(qs[j]&0xf)
				hi += int32(int8(q8[j+16])) * int32(qs[j]>>4)
			}
			acc[k] = fma32(d, float32(lo), acc[k])
			acc[k+4] = fma32(d, float32(hi), acc[k+4])
		}
	}
	return hsum8(&acc) + summs
}
