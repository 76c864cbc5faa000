package llmrt

import "encoding/binary"

func init() {
	kernels[typeQ5_1] = &kernel{name: "Q5_1", act: actQ8_1, blockLen: 32, blockBytes: 24, dot: dotQ5_1, dequant: dequantQ5_1}
}

// Q5_1 block: d f16 | m f16 | qh u32 | qs[16], x = d·q + m.
func dequantQ5_1(src []byte, dst []float32) {
	var q [32]int32
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*24:b*24+24], dst[b*32:b*32+32]
		d, m := f16(blk, 0), f16(blk, 2)
		q5Codes1(binary.LittleEndian.Uint32(blk[4:]), blk[8:24], &q)
		for j := range y {
			y[j] = float32(float32(q[j])*d) + m
		}
	}
}

// q5Codes1 unpacks a Q5_1 block's 32 unsigned codes (the same layout as
// Q5_0's; kept apart so that each type's file stands alone).
func q5Codes1(qh uint32, qs []byte, out *[32]int32) {
	for j := 0; j < 16; j++ {
		out[j] = int32(qs[j]&0xf) | int32(qh>>j&1)<<4
		out[j+16] = int32(qs[j]>>4) | int32(qh>>(j+16)&1)<<4
	}
}

// dotQ5_1 is the dot product of nb Q5_1 weight blocks with Q8_1
// activation blocks in ggml's AVX2 order, as dotQ4_1 (codes 4k..4k+3 of
// each block in lane k, the minimum terms summed apart).
func dotQ5_1(w, a []byte, nb int) float32 {
	var q [32]int32
	var acc [8]float32
	var summs float32
	for b := 0; b < nb; b++ {
		x, y := w[b*24:b*24+24], a[b*36:b*36+36]
		q5Codes1(binary.LittleEndian.Uint32(x[4:]), x[8:24], &q)
		q8 := y[4:36]
		summs += float32(f16(x, 2) * f16(y, 2))
		d := f16(x, 0) * f16(y, 0)
		for k := 0; k < 8; k++ {
			var s int32
			for j := 4 * k; j < 4*k+4; j++ {
				s += q[j] * int32(int8(q8[j]))
			}
			acc[k] = fma32(d, float32(s), acc[k])
		}
	}
	return hsum8(&acc) + summs
}
