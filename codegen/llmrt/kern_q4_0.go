package llmrt

func init() {
	kernels[typeQ4_0] = &kernel{name: "Q4_0", act: actQ8_0, blockLen: 32, blockBytes: 18, dot: dotQ4_0, dequant: dequantQ4_0}
}

// Q4_0 block: d f16 | qs[16]; byte j holds element j (low nibble) and
// element j+16 (high nibble), each stored plus 8.
func dequantQ4_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*18:b*18+18], dst[b*32:b*32+32]
		d := f16(blk, 0)
		for j, q := range blk[2:18] {
			y[j] = float32(int(q&0xf)-8) * d
			y[j+16] = float32(int(q>>4)-8) * d
		}
	}
}

// dotQ4_0 sums each block's codes times Q8_0's exactly, then adds
// sumi·dx·dy per block in order, as ggml associates it for Q4_0.
func dotQ4_0(w, a []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*18:b*18+18], a[b*34:b*34+34]
		qs, q8 := x[2:18], y[2:34]
		var si int32
		for j := 0; j < 16; j++ {
			si += int32(int8(q8[j]))*(int32(qs[j]&0xf)-8) + int32(int8(q8[j+16]))*(int32(qs[j]>>4)-8)
		}
		sum += float32(float32(float32(si)*f16(x, 0)) * f16(y, 0))
	}
	return sum
}
