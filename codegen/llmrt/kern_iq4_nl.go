package llmrt

func init() {
	kernels[typeIQ4_NL] = &kernel{name: "IQ4_NL", act: actQ8_0, blockLen: 32, blockBytes: 18, dot: dotIQ4_NL, dequant: dequantIQ4_NL}
}

// iq4Grid holds the 16 levels of IQ4_NL and IQ4_XS: a non-uniform 4-bit
// grid, denser near zero, that a block scale multiplies.
var iq4Grid = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

// IQ4_NL block: d f16 | qs[16], nibbles as Q4_0's, indexes into iq4Grid.
func dequantIQ4_NL(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*18:b*18+18], dst[b*32:b*32+32]
		d := f16(blk, 0)
		for j, q := range blk[2:18] {
			y[j] = d * float32(iq4Grid[q&0xf])
			y[j+16] = d * float32(iq4Grid[q>>4])
		}
	}
}

// dotIQ4_NL adds sumi·(dx·dy) per block.
func dotIQ4_NL(w, a []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*18:b*18+18], a[b*34:b*34+34]
		qs, q8 := x[2:18], y[2:34]
		var si int32
		for j := 0; j < 16; j++ {
			si += int32(int8(q8[j]))*int32(iq4Grid[qs[j]&0xf]) + int32(int8(q8[j+16]))*int32(iq4Grid[qs[j]>>4])
		}
		sum += float32(si) * float32(f16(x, 0)*f16(y, 0))
	}
	return sum
}
