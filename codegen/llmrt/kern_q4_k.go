package llmrt

func init() {
	kernels[typeQ4_K] = &kernel{name: "Q4_K", act: actQ8_K, blockLen: 256, blockBytes: 144, dot: dot8Q4_K, dotLanes: dotLanesQ4_K, prefill: prefillQ4_K, dequant: dequantQ4_K}
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
			d1, m1 := d*float32(s), float32(dmin*float32(m))
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
// its blocks' scales dys, quad words and 32-code sums (lanes.go). The
// eight 6-bit scales and minimums are unpacked at once as bytes
// (q4Scales); each sub-block pair c adds its scaled four-column sums to
// the block's lane sums (q4Sub), which take their multiply-adds.
func dotLanesQ4_K(row []byte, dys []float32, lw []uint64, sums []int32, nb int) float32 {
	var acc [8]float32
	var accM [4]float32
	row, lw, sums = row[:nb*144], lw[:nb*192], sums[:nb*72]
	for b := 0; b < nb; b++ {
		x := (*[144]byte)(row[b*144:])
		q := (*[64]uint64)(lw[nb*128+b*64:]) // the quad words
		S := (*[8]int32)(sums[nb*64+b*8:])   // the 32-code sums
		dy := dys[b]
		d := dy * f16(x[:], 0)
		dmin := -dy * f16(x[:], 2)
		sc, mn := q4Scales(x)
		var sumi [8]int32
		q4Sub((*[32]byte)(x[16:]), (*[16]uint64)(q[0:]), sc, &sumi)
		q4Sub((*[32]byte)(x[48:]), (*[16]uint64)(q[16:]), sc>>16, &sumi)
		q4Sub((*[32]byte)(x[80:]), (*[16]uint64)(q[32:]), sc>>32, &sumi)
		q4Sub((*[32]byte)(x[112:]), (*[16]uint64)(q[48:]), sc>>48, &sumi)
		fmaLanes(&acc, d, &sumi)
		q4Mins(&accM, dmin, mn, S)
	}
	return hsum8(&acc) + hsum4(&accM)
}

// q4Mins adds a Q4_K block's minimums (bytes of mn) times its
// activations' 32-code sums S to the four minimum lanes accM, lane c
// taking sub-blocks 2c and 2c+1, times dmin with fma32.
func q4Mins(accM *[4]float32, dmin float32, mn uint64, S *[8]int32) {
	// Each sum at most 2·63·32·127, exact in float32.
	s0 := int32(mn&0xff)*S[0] + int32(mn>>8&0xff)*S[1]
	s1 := int32(mn>>16&0xff)*S[2] + int32(mn>>24&0xff)*S[3]
	s2 := int32(mn>>32&0xff)*S[4] + int32(mn>>40&0xff)*S[5]
	s3 := int32(mn>>48&0xff)*S[6] + int32(mn>>56)*S[7]
	if tiny(dmin) {
		for c, s := range [4]int32{s0, s1, s2, s3} {
			accM[c] = fma32(dmin, float32(s), accM[c])
		}
		return
	}
	dd := float64(dmin)
	accM[0], accM[1] = sum32(dd*float64(s0), float64(accM[0])), sum32(dd*float64(s1), float64(accM[1]))
	accM[2], accM[3] = sum32(dd*float64(s2), float64(accM[2])), sum32(dd*float64(s3), float64(accM[3]))
}

// prefillQ4_K is dotLanesQ4_K of one row with the activation rows t0 <=
// t < t1 of a, two at a time: each block's scales and quad words are
// unpacked once for both (q4Sub2), an odd last row by dotLanesQ4_K.
func prefillQ4_K(row []byte, a *lanes, t0, t1 int, out []float32, ldo int) {
	nb := len(row) / 144
	t := t0
	for ; t+1 < t1; t += 2 {
		out[t*ldo], out[(t+1)*ldo] = dot2Q4_K(row, a, t, nb)
	}
	if t < t1 {
		out[t*ldo] = dotLanesQ4_K(row, a.d[t*a.dRow:], a.w[t*a.wRow:], a.sums[t*a.sRow:], nb)
	}
}

// dot2Q4_K is dotLanesQ4_K of one row with activation rows t and t+1.
func dot2Q4_K(row []byte, a *lanes, t, nb int) (float32, float32) {
	var acc, acc2 [8]float32
	var accM, accM2 [4]float32
	row = row[:nb*144]
	lw, lw2 := a.w[t*a.wRow:][:nb*192], a.w[(t+1)*a.wRow:][:nb*192]
	sums, sums2 := a.sums[t*a.sRow:][:nb*72], a.sums[(t+1)*a.sRow:][:nb*72]
	dys, dys2 := a.d[t*a.dRow:][:nb], a.d[(t+1)*a.dRow:][:nb]
	for b := 0; b < nb; b++ {
		x := (*[144]byte)(row[b*144:])
		q, q2 := (*[64]uint64)(lw[nb*128+b*64:]), (*[64]uint64)(lw2[nb*128+b*64:])
		sc, mn := q4Scales(x)
		var sumi, sumi2 [8]int32
		for c := 0; c < 4; c++ {
			q4Sub2((*[32]byte)(x[16+32*c:]), (*[16]uint64)(q[16*c:]), (*[16]uint64)(q2[16*c:]), sc>>(16*c), &sumi, &sumi2)
		}
		fmaLanes(&acc, dys[b]*f16(x[:], 0), &sumi)
		fmaLanes(&acc2, dys2[b]*f16(x[:], 0), &sumi2)
		q4Mins(&accM, -dys[b]*f16(x[:], 2), mn, (*[8]int32)(sums[nb*64+b*8:]))
		q4Mins(&accM2, -dys2[b]*f16(x[:], 2), mn, (*[8]int32)(sums2[nb*64+b*8:]))
	}
	return hsum8(&acc) + hsum4(&accM), hsum8(&acc2) + hsum4(&accM2)
}

// q4Sub2 is q4Sub for two activation rows, quad words y and z, lane sums
// si and sj, the weight words made once.
func q4Sub2(x *[32]byte, y, z *[16]uint64, sc uint64, si, sj *[8]int32) {
	s0, s1 := int32(sc&0xff), int32(sc>>8&0xff)
	a0, b0, a1, b1 := q4Words(le64(x[0:]))
	si[0] += s0*lane3(a0*y[0]) + s1*lane3(a1*y[8])
	si[1] += s0*lane3(b0*y[1]) + s1*lane3(b1*y[9])
	sj[0] += s0*lane3(a0*z[0]) + s1*lane3(a1*z[8])
	sj[1] += s0*lane3(b0*z[1]) + s1*lane3(b1*z[9])
	a0, b0, a1, b1 = q4Words(le64(x[8:]))
	si[2] += s0*lane3(a0*y[2]) + s1*lane3(a1*y[10])
	si[3] += s0*lane3(b0*y[3]) + s1*lane3(b1*y[11])
	sj[2] += s0*lane3(a0*z[2]) + s1*lane3(a1*z[10])
	sj[3] += s0*lane3(b0*z[3]) + s1*lane3(b1*z[11])
	a0, b0, a1, b1 = q4Words(le64(x[16:]))
	si[4] += s0*lane3(a0*y[4]) + s1*lane3(a1*y[12])
	si[5] += s0*lane3(b0*y[5]) + s1*lane3(b1*y[13])
	sj[4] += s0*lane3(a0*z[4]) + s1*lane3(a1*z[12])
	sj[5] += s0*lane3(b0*z[5]) + s1*lane3(b1*z[13])
	a0, b0, a1, b1 = q4Words(le64(x[24:]))
	si[6] += s0*lane3(a0*y[6]) + s1*lane3(a1*y[14])
	si[7] += s0*lane3(b0*y[7]) + s1*lane3(b1*y[15])
	sj[6] += s0*lane3(a0*z[6]) + s1*lane3(a1*z[14])
	sj[7] += s0*lane3(b0*z[7]) + s1*lane3(b1*z[15])
}

// q4Scales returns the eight 6-bit scales and the eight minimums of a
// Q4_K or Q5_K block, byte j of each word for sub-block j (scaleMinK4
// for all j at once).
func q4Scales(x *[144]byte) (sc, mn uint64) {
	const m6, m4, m2 = 0x3f3f3f3f, 0x0f0f0f0f, 0x03030303
	u0, u1, u2 := uint64(le32(x[4:])), uint64(le32(x[8:])), uint64(le32(x[12:]))
	sc = u0&m6 | (u2&m4|(u0>>6&m2)<<4)<<32
	mn = u1&m6 | (u2>>4&m4|(u1>>6&m2)<<4)<<32
	return sc, mn
}

// q4Sub adds to lane sums sumi the sums of a Q4_K sub-block pair's 32
// code bytes x times their sub-blocks' scales (bytes 0 and 1 of sc): the
// 8 bytes at 8g give lanes 2g and 2g+1 quad words (q4Words) for the low
// nibbles (the first sub-block) with activation quad words y[2g..], and
// for the high ones with y[8+2g..], at most 4·15·127 per extraction.
func q4Sub(x *[32]byte, y *[16]uint64, sc uint64, sumi *[8]int32) {
	s0, s1 := int32(sc&0xff), int32(sc>>8&0xff)
	a0, b0, a1, b1 := q4Words(le64(x[0:]))
	sumi[0] += s0*lane3(a0*y[0]) + s1*lane3(a1*y[8])
	sumi[1] += s0*lane3(b0*y[1]) + s1*lane3(b1*y[9])
	a0, b0, a1, b1 = q4Words(le64(x[8:]))
	sumi[2] += s0*lane3(a0*y[2]) + s1*lane3(a1*y[10])
	sumi[3] += s0*lane3(b0*y[3]) + s1*lane3(b1*y[11])
	a0, b0, a1, b1 = q4Words(le64(x[16:]))
	sumi[4] += s0*lane3(a0*y[4]) + s1*lane3(a1*y[12])
	sumi[5] += s0*lane3(b0*y[5]) + s1*lane3(b1*y[13])
	a0, b0, a1, b1 = q4Words(le64(x[24:]))
	sumi[6] += s0*lane3(a0*y[6]) + s1*lane3(a1*y[14])
	sumi[7] += s0*lane3(b0*y[7]) + s1*lane3(b1*y[15])
}

// q4Words returns the quad words of 8 Q4_K code bytes v: columns 0..3
// and 4..7 of the low nibbles, then of the high ones.
func q4Words(v uint64) (lo0, lo1, hi0, hi1 uint64) {
	const m = 0x000F000F000F000F
	a, b := quadWords(v&0x00FF00FF00FF00FF, v>>8&0x00FF00FF00FF00FF)
	return a & m, b & m, a >> 4 & m, b >> 4 & m
}
