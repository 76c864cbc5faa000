package llmrt

func init() {
	kernels[typeQ4_K] = &kernel{name: "Q4_K", act: actQ8_K, blockLen: 256, blockBytes: 144, dot: dot8Q4_K, dotLanes: dotLanesQ4_K, dequant: dequantQ4_K}
}

// scaleMinK4 reads the j-th 6-bit scale and minimum of a Q4_K or Q5_K
// block's 12 scale bytes: for j<4 the low six bits of bytes j and j+4;
// for j>=4 a nibble of byte j+4 under the top two bits of bytes j-4
// (scale) and j (minimum).
func scaleMinK4(j int, q []byte) (sc, m int32) {
	if j < 4 {
		return int32(q[j] & 63), int32(q[j+4] & 63)
	}
	return int32(q[j+4]&0xf | (q[j-4]>>6)<<4), int32(q[j+4]>>4 | (q[j]>>6)<<4)
}

// Q4_K block: d f16 | dmin f16 | scales[12] | qs[128]; sub-block j of 32
// takes the low (j even) or high nibbles of qs[32·(j/2) ..], x = d·sc·q -
// dmin·m.
func dequantQ4_K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/256; b++ {
		blk, y := src[b*144:b*144+144], dst[b*256:b*256+256]
		d, dmin := f16(blk, 0), f16(blk, 2)
		for j := 0; j < 8; j++ {
			s, m := scaleMinK4(j, blk[4:16])
			q := blk[16+32*(j/2):]
			shift := uint(4 * (j % 2))
			d1, m1 := d*float32(s), dmin*float32(m)
			for l := 0; l < 32; l++ {
				y[j*32+l] = float32(d1*float32(q[l]>>shift&0xf)) - m1
			}
		}
	}
}

// dot8Q4_K is the dot product of nb Q4_K weight blocks with Q8_K
// activation blocks in ggml's AVX2 order: lane k takes, per block, the
// exact sum over the eight sub-blocks of scale·Σ code·q8 over elements
// 4k..4k+3 of each sub-block, times dy·d with a fused multiply-add; the
// minimums go to four lanes, lane n taking min·Σq8 of sub-blocks 2n and
// 2n+1 times -dy·dmin; the two reductions are added last.
func dot8Q4_K(w, a []byte, nb int) float32 {
	var acc [8]float32
	var accM [4]float32
	for b := 0; b < nb; b++ {
		x, y := w[b*144:b*144+144], a[b*292:b*292+292]
		dy := q8KScale(y)
		d := dy * f16(x, 0)
		dmin := -dy * f16(x, 2)
		var sumi [8]int32
		var sc, mn [8]int32
		for j := 0; j < 8; j++ {
			sc[j], mn[j] = scaleMinK4(j, x[4:16])
		}
		for c := 0; c < 4; c++ {
			q := x[16+32*c : 16+32*c+32]
			y0 := y[4+64*c : 4+64*c+32]
			y1 := y[4+64*c+32 : 4+64*c+64]
			for k := 0; k < 8; k++ {
				var lo, hi int32
				for e := 4 * k; e < 4*k+4; e++ {
					lo += int32(q[e]&0xf) * int32(int8(y0[e]))
					hi += int32(q[e]>>4) * int32(int8(y1[e]))
				}
				sumi[k] += sc[2*c]*lo + sc[2*c+1]*hi
			}
		}
		for k := 0; k < 8; k++ {
			acc[k] = fma32(d, float32(sumi[k]), acc[k])
		}
		for n := 0; n < 4; n++ {
			s0 := q8KSum(y, 4*n) + q8KSum(y, 4*n+1)
			s1 := q8KSum(y, 4*n+2) + q8KSum(y, 4*n+3)
			accM[n] = fma32(dmin, float32(mn[2*n]*s0+mn[2*n+1]*s1), accM[n])
		}
	}
	return hsum8(&acc) + hsum4(&accM)
}

// dotLanesQ4_K is dot8Q4_K of one row with one activation row given as
// its blocks' scales dys, lane words lw and 32-code sums (lanes.go):
// each 8 code bytes of a sub-block pair give even and odd weight words
// for the low nibbles (the first sub-block) and the high ones, at most
// 4·15·127 per extraction.
func dotLanesQ4_K(row []byte, dys []float32, lw []uint64, sums []int32, nb int) float32 {
	const m = 0x000F000F000F000F
	var acc [8]float32
	var accM [4]float32
	for b := 0; b < nb; b++ {
		x := (*[144]byte)(row[b*144:])
		y := (*[128]uint64)(lw[b*128:])
		S := (*[8]int32)(sums[nb*64+b*8:]) // the 32-code sums
		dy := dys[b]
		d := dy * f16(x[:], 0)
		dmin := -dy * f16(x[:], 2)
		var sumi [8]int32
		for c := 0; c < 4; c++ {
			s0, m0 := scaleMinK4(2*c, x[4:16])
			s1, m1 := scaleMinK4(2*c+1, x[4:16])
			for g := 0; g < 4; g++ {
				v := le64(x[16+32*c+8*g:])
				l0, l1 := quads(v&m, v>>8&m, (*[4]uint64)(y[32*c+4*g:]))
				h0, h1 := quads(v>>4&m, v>>12&m, (*[4]uint64)(y[32*c+16+4*g:]))
				sumi[2*g] += s0*l0 + s1*h0
				sumi[2*g+1] += s0*l1 + s1*h1
			}
			accM[c] = fma32(dmin, float32(m0*S[2*c]+m1*S[2*c+1]), accM[c])
		}
		for k := range acc {
			acc[k] = fma32(d, float32(sumi[k]), acc[k])
		}
	}
	return hsum8(&acc) + hsum4(&accM)
}
