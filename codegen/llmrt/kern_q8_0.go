package llmrt

func init() {
	kernels[typeQ8_0] = &kernel{name: "Q8_0", act: actQ8_0, blockLen: 32, blockBytes: 34, dot: dot8Q8_0, dotLanes: dotLanesQ8_0, dequant: dequantQ8_0}
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

// dot8Q8_0 is the dot product of nb Q8_0 weight blocks w with Q8_0
// activation blocks a in ggml's AVX2 order: lane k takes the exact sum of
// codes 4k..4k+3 of each block times dx·dy with a fused multiply-add.
func dot8Q8_0(w, a []byte, nb int) float32 {
	var acc [8]float32
	for b := 0; b < nb; b++ {
		x, y := w[b*34:b*34+34], a[b*34:b*34+34]
		d := f16(x, 0) * f16(y, 0)
		qx, qy := x[2:34], y[2:34]
		for k := 0; k < 8; k++ {
			s := int32(int8(qx[4*k]))*int32(int8(qy[4*k])) + int32(int8(qx[4*k+1]))*int32(int8(qy[4*k+1])) +
				int32(int8(qx[4*k+2]))*int32(int8(qy[4*k+2])) + int32(int8(qx[4*k+3]))*int32(int8(qy[4*k+3]))
			acc[k] = fma32(d, float32(s), acc[k])
		}
	}
	return hsum8(&acc)
}

// dotLanesQ8_0 is dot8Q8_0 of one row with one activation row given as
// its blocks' scales dy, lane words lw and four-code sums (lanes.go). A
// code w is taken as w+128 = lo + 16·hi, two nibbles, so that Σw·a =
// Σlo·a + 16·Σhi·a - 128·Σa, at most 4·15·127 per extraction.
func dotLanesQ8_0(row []byte, dy []float32, lw []uint64, sums []int32, nb int) float32 {
	const m = 0x000F000F000F000F
	var acc [8]float32
	for b := 0; b < nb; b++ {
		x := (*[34]byte)(row[b*34:])
		y := (*[16]uint64)(lw[b*16:])
		S := (*[8]int32)(sums[b*8:])
		d := f16(x[:], 0) * dy[b]
		for g := 0; g < 4; g++ {
			u := le64(x[2+8*g:]) ^ 0x8080808080808080
			yg := (*[4]uint64)(y[4*g:])
			l0, l1 := quads(u&m, u>>8&m, yg)
			h0, h1 := quads(u>>4&m, u>>12&m, yg)
			acc[2*g] = fma32(d, float32(l0+16*h0-128*S[2*g]), acc[2*g])
			acc[2*g+1] = fma32(d, float32(l1+16*h1-128*S[2*g+1]), acc[2*g+1])
		}
	}
	return hsum8(&acc)
}
