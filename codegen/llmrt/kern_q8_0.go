package llmrt

func init() {
	kernels[typeQ8_0] = &kernel{name: "Q8_0", act: actQ8_0, blockLen: 32, blockBytes: 34, dot: dotQ8_0, dot4: dot4Q8_0, dequant: dequantQ8_0}
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

// isumQ8 is the exact dot product of two blocks of 32 int8 codes.
func isumQ8(x, y []byte) int32 {
	x, y = x[:32], y[:32]
	var s0, s1 int32
	for j := 0; j < 32; j += 2 {
		s0 += int32(int8(x[j])) * int32(int8(y[j]))
		s1 += int32(int8(x[j+1])) * int32(int8(y[j+1]))
	}
	return s0 + s1
}

// dotQ8_0 adds sumi·(dx·dy) per block, as ggml associates it for Q8_0.
func dotQ8_0(w, a []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*34:b*34+34], a[b*34:b*34+34]
		sum += float32(isumQ8(x[2:], y[2:])) * float32(f16(x, 0)*f16(y, 0))
	}
	return sum
}

// dot4Q8_0 is dotQ8_0 of four rows stride bytes apart.
func dot4Q8_0(w []byte, stride int, a []byte, nb int, out *[4]float32) {
	var s [4]float32
	for b := 0; b < nb; b++ {
		y := a[b*34 : b*34+34]
		dy := f16(y, 0)
		for r := 0; r < 4; r++ {
			x := w[r*stride+b*34 : r*stride+b*34+34]
			s[r] += float32(isumQ8(x[2:], y[2:])) * float32(f16(x, 0)*dy)
		}
	}
	*out = s
}
