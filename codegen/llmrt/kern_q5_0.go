package llmrt

import "encoding/binary"

func init() {
	kernels[typeQ5_0] = &kernel{name: "Q5_0", act: actQ8_0, blockLen: 32, blockBytes: 22, dot: dotQ5_0, dequant: dequantQ5_0}
}

// q5Codes unpacks a Q5_0/Q5_1 block's 32 codes: nibbles as Q4_0's, the
// fifth bit of element j in bit j of qh; off is subtracted from each.
func q5Codes(qh uint32, qs []byte, off int32, out *[32]int32) {
	for j := 0; j < 16; j++ {
		out[j] = (int32(qs[j]&0xf) | int32(qh>>j&1)<<4) - off
		out[j+16] = (int32(qs[j]>>4) | int32(qh>>(j+16)&1)<<4) - off
	}
}

// Q5_0 block: d f16 | qh u32 | qs[16], x = d·(q-16).
func dequantQ5_0(src []byte, dst []float32) {
	var q [32]int32
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*22:b*22+22], dst[b*32:b*32+32]
		d := f16(blk, 0)
		q5Codes(binary.LittleEndian.Uint32(blk[2:]), blk[6:22], 16, &q)
		for j := range y {
			y[j] = float32(q[j]) * d
		}
	}
}

// dotQ5_0 adds (dx·dy)·sumi per block, as ggml associates it for Q5_0.
func dotQ5_0(w, a []byte, nb int) float32 {
	var q [32]int32
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*22:b*22+22], a[b*34:b*34+34]
		q5Codes(binary.LittleEndian.Uint32(x[2:]), x[6:22], 16, &q)
		q8 := y[2:34]
		var si int32
		for j, c := range q {
			si += c * int32(int8(q8[j]))
		}
		sum += float32(f16(x, 0)*f16(y, 0)) * float32(si)
	}
	return sum
}
