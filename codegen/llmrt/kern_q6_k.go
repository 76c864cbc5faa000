package llmrt

func init() {
	kernels[typeQ6_K] = &kernel{name: "Q6_K", act: actQ8_K, blockLen: 256, blockBytes: 210, dot: dot8Q6_K, dotLanes: dotLanesQ6_K, dequant: dequantQ6_K}
}

// q6Codes unpacks a Q6_K block's 256 signed codes (ql[128], qh[64]): per
// half of 128, elements l, l+32, l+64, l+96 take the low or high nibble
// of ql[l] or ql[l+32] and two bits of qh[l], minus 32.
func q6Codes(x []byte, out *[256]int8) {
	for h := 0; h < 2; h++ {
		l4 := (*[64]byte)(x[h*64:])
		h2 := (*[32]byte)(x[128+h*32:])
		o := (*[128]int8)(out[h*128:])
		for l := 0; l < 32; l++ {
			o[l] = int8(l4[l]&0xf|(h2[l]&3)<<4) - 32
			o[l+32] = int8(l4[l+32]&0xf|(h2[l]>>2&3)<<4) - 32
			o[l+64] = int8(l4[l]>>4|(h2[l]>>4&3)<<4) - 32
			o[l+96] = int8(l4[l+32]>>4|(h2[l]>>6&3)<<4) - 32
		}
	}
}

// Q6_K block: ql[128] | qh[64] | scales[16] int8 | d f16; group g of 16
// elements uses scales[g].
func dequantQ6_K(src []byte, dst []float32) {
	var c [256]int8
	for b := 0; b < len(dst)/256; b++ {
		blk, y := src[b*210:b*210+210], dst[b*256:b*256+256]
		q6Codes(blk, &c)
		d := f16(blk, 208)
		for i := range y {
			y[i] = float32(d*float32(int8(blk[192+i/16]))) * float32(c[i])
		}
	}
}

// dot8Q6_K is the dot product of nb Q6_K weight blocks with Q8_K
// activation blocks in ggml's AVX2 order: lane k takes, per block, the
// exact sum of scale·(code-32)·q8 over the elements e with e mod 32 in
// 4k..4k+3, times dy·d with a fused multiply-add.
func dot8Q6_K(w, a []byte, nb int) float32 {
	var acc [8]float32
	var c [256]int8
	for b := 0; b < nb; b++ {
		x, y := w[b*210:b*210+210], a[b*292:b*292+292]
		q6Codes(x, &c)
		d := q8KScale(y) * f16(x, 208)
		q8 := y[4:260]
		var sumi [8]int32
		for e := 0; e < 256; e += 4 {
			s := int32(c[e])*int32(int8(q8[e])) + int32(c[e+1])*int32(int8(q8[e+1])) +
				int32(c[e+2])*int32(int8(q8[e+2])) + int32(c[e+3])*int32(int8(q8[e+3]))
			sumi[e%32/4] += int32(int8(x[192+e/16])) * s
		}
		for k := 0; k < 8; k++ {
			acc[k] = fma32(d, float32(sumi[k]), acc[k])
		}
	}
	return hsum8(&acc)
}

// dotLanesQ6_K is dot8Q6_K of one row with one activation row given as
// its blocks' scales dys and lane words lw (lanes.go): the codes less 32
// (nibble and two high bits) of 8 columns of a quarter as even and odd
// weight words with signed lanes, at most 4·32·127 per extraction.
func dotLanesQ6_K(row []byte, dys []float32, lw []uint64, _ []int32, nb int) float32 {
	const (
		m4  = 0x000F000F000F000F
		m2  = 0x0003000300030003
		off = 0x0020002000200020
	)
	var acc [8]float32
	for b := 0; b < nb; b++ {
		x := (*[210]byte)(row[b*210:])
		y := (*[128]uint64)(lw[b*128:])
		var sumi [8]int32
		for h := 0; h < 2; h++ {
			for g := 0; g < 4; g++ {
				v0, v1, hv := le64(x[64*h+8*g:]), le64(x[64*h+32+8*g:]), le64(x[128+32*h+8*g:])
				// The codes less 32, as words whose lanes may be negative.
				even := [4]uint64{v0&m4 | (hv&m2)<<4 - off, v1&m4 | (hv>>2&m2)<<4 - off, v0>>4&m4 | (hv>>4&m2)<<4 - off, v1>>4&m4 | (hv>>6&m2)<<4 - off}
				odd := [4]uint64{v0>>8&m4 | (hv>>8&m2)<<4 - off, v1>>8&m4 | (hv>>10&m2)<<4 - off, v0>>12&m4 | (hv>>12&m2)<<4 - off, v1>>12&m4 | (hv>>14&m2)<<4 - off}
				for j := 0; j < 4; j++ {
					grp := 16*h + 4*j + g // columns 8·grp.. of the block
					lo, hi := quads(even[j], odd[j], (*[4]uint64)(y[4*grp:]))
					sc := int32(int8(x[192+grp/2]))
					sumi[2*g] += sc * lo
					sumi[2*g+1] += sc * hi
				}
			}
		}
		d := dys[b] * f16(x[:], 208)
		for k := range acc {
			acc[k] = fma32(d, float32(sumi[k]), acc[k])
		}
	}
	return hsum8(&acc)
}
