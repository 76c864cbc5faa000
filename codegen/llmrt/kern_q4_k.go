package llmrt

func init() {
	kernels[typeQ4_K] = &kernel{name: "Q4_K", act: actQ8_K, blockLen: 256, blockBytes: 144, dot: dot8Q4_K, dequant: dequantQ4_K}
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

// q4KBlock returns one block's exact integer sums against a Q8_K block:
// Σ scale·code·q8 and Σ min·(group sums). Each code byte serves two
// sub-blocks, low nibble and high.
func q4KBlock(x, y []byte) (isum, summ int32) {
	sc := x[4:16]
	for c := 0; c < 4; c++ {
		q := (*[32]byte)(x[16+32*c:])
		y0 := (*[32]byte)(y[4+64*c:])
		y1 := (*[32]byte)(y[4+64*c+32:])
		var s0, t0 int32
		for l := 0; l < 32; l += 2 {
			a, b := q[l], q[l+1]
			s0 += int32(a&0xf)*int32(int8(y0[l])) + int32(b&0xf)*int32(int8(y0[l+1]))
			t0 += int32(a>>4)*int32(int8(y1[l])) + int32(b>>4)*int32(int8(y1[l+1]))
		}
		d0, m0 := scaleMinK4(2*c, sc)
		d1, m1 := scaleMinK4(2*c+1, sc)
		isum += d0*s0 + d1*t0
		summ += m0*(q8KSum(y, 4*c)+q8KSum(y, 4*c+1)) + m1*(q8KSum(y, 4*c+2)+q8KSum(y, 4*c+3))
	}
	return isum, summ
}

// dotQ4_K adds d·dy·isum - dmin·dy·summ per block.
func dotQ4_K(w, a []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*144:b*144+144], a[b*292:b*292+292]
		isum, summ := q4KBlock(x, y)
		dy := q8KScale(y)
		sum += float32(float32(f16(x, 0)*dy)*float32(isum)) - float32(float32(f16(x, 2)*dy)*float32(summ))
	}
	return sum
}

// dotLanesQ4_K is dotQ4_K of one row with one activation row given as
// its blocks' scales dys, lane words lw and 32-code sums.
func dotLanesQ4_K(row []byte, dys []float32, lw []uint64, sums []int32, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		x := (*[144]byte)(row[b*144:])
		S := (*[8]int32)(sums[b*8:])
		y := (*[64]uint64)(lw[b*64:])
		// The 6-bit scales and minimums (scaleMinK4), byte j of sc and mn
		// for sub-block j.
		a := le64(x[4:])
		c := uint64(x[12]) | uint64(x[13])<<8 | uint64(x[14])<<16 | uint64(x[15])<<24
		sc := a&0x3F3F3F3F | (c&0x0F0F0F0F|a>>2&0x30303030)<<32
		mn := a>>32&0x3F3F3F3F | (c>>4&0x0F0F0F0F|a>>34&0x30303030)<<32
		isum := q4Lanes((*[32]byte)(x[16:]), (*[16]uint64)(y[0:]), sc) +
			q4Lanes((*[32]byte)(x[48:]), (*[16]uint64)(y[16:]), sc>>16) +
			q4Lanes((*[32]byte)(x[80:]), (*[16]uint64)(y[32:]), sc>>32) +
			q4Lanes((*[32]byte)(x[112:]), (*[16]uint64)(y[48:]), sc>>48)
		summ := int32(mn&0xff)*S[0] + int32(mn>>8&0xff)*S[1] + int32(mn>>16&0xff)*S[2] + int32(mn>>24&0xff)*S[3] +
			int32(mn>>32&0xff)*S[4] + int32(mn>>40&0xff)*S[5] + int32(mn>>48&0xff)*S[6] + int32(mn>>56)*S[7]
		dy := dys[b]
		sum += float32(float32(f16(x[:], 0)*dy)*float32(isum)) - float32(float32(f16(x[:], 2)*dy)*float32(summ))
	}
	return sum
}

// q4Lanes returns Σ scale·code·activation over 64 columns: 32 code bytes
// c with a sub-block's 32 codes in the low nibbles and the next one's in
// the high nibbles, their activation words y (8 each) and their scales in
// the low two bytes of sc. Codes 0..15 times activations in ±127 allow
// four products (16 terms, |Σ| <= 30480) per extraction. It is too large
// to be inlined, and better so: alone, its values fit the registers.
func q4Lanes(c *[32]byte, y *[16]uint64, sc uint64) int32 {
	const m = 0x000F000F000F000F
	v := le64(c[0:])
	lo := (v&m)*y[0] + (v>>8&m)*y[1]
	hi := (v>>4&m)*y[8] + (v>>12&m)*y[9]
	v = le64(c[8:])
	lo += (v&m)*y[2] + (v>>8&m)*y[3]
	hi += (v>>4&m)*y[10] + (v>>12&m)*y[11]
	slo, shi := lane3(lo), lane3(hi)
	v = le64(c[16:])
	lo = (v&m)*y[4] + (v>>8&m)*y[5]
	hi = (v>>4&m)*y[12] + (v>>12&m)*y[13]
	v = le64(c[24:])
	lo += (v&m)*y[6] + (v>>8&m)*y[7]
	hi += (v>>4&m)*y[14] + (v>>12&m)*y[15]
	return int32(sc&0xff)*(slo+lane3(lo)) + int32(sc>>8&0xff)*(shi+lane3(hi))
}

// prefillQ4_K is dotLanesQ4_K of one row with the activation rows
// t0 <= t < t1 of a, adding each block's term to out[t·ldo] in block
// order as dotLanesQ4_K adds it to its sum: each block's codes are
// masked into lane words once for all the rows.
func prefillQ4_K(row []byte, a *lanes, t0, t1 int, out []float32, ldo int) {
	const m = 0x000F000F000F000F
	var W [64]uint64
	for t := t0; t < t1; t++ {
		out[t*ldo] = 0
	}
	for b := 0; b < len(row)/144; b++ {
		x := (*[144]byte)(row[b*144:])
		for k := 0; k < 4; k++ {
			c := (*[32]byte)(x[16+32*k:])
			w := (*[16]uint64)(W[16*k:])
			for i := 0; i < 4; i++ {
				v := le64(c[8*i:])
				w[2*i], w[2*i+1], w[8+2*i], w[9+2*i] = v&m, v>>8&m, v>>4&m, v>>12&m
			}
		}
		s := le64(x[4:])
		c := uint64(x[12]) | uint64(x[13])<<8 | uint64(x[14])<<16 | uint64(x[15])<<24
		sc := s&0x3F3F3F3F | (c&0x0F0F0F0F|s>>2&0x30303030)<<32
		mn := s>>32&0x3F3F3F3F | (c>>4&0x0F0F0F0F|s>>34&0x30303030)<<32
		d, dmin := f16(x[:], 0), f16(x[:], 2)
		term := func(t int, isum int32) {
			S := (*[8]int32)(a.sums[t*a.sRow+b*8:])
			summ := int32(mn&0xff)*S[0] + int32(mn>>8&0xff)*S[1] + int32(mn>>16&0xff)*S[2] + int32(mn>>24&0xff)*S[3] +
				int32(mn>>32&0xff)*S[4] + int32(mn>>40&0xff)*S[5] + int32(mn>>48&0xff)*S[6] + int32(mn>>56)*S[7]
			dy := a.d[t*a.dRow+b]
			out[t*ldo] += float32(float32(d*dy)*float32(isum)) - float32(float32(dmin*dy)*float32(summ))
		}
		t := t0
		for ; t+2 <= t1; t += 2 {
			i0, i1 := q4Block2(&W, (*[64]uint64)(a.w[t*a.wRow+b*64:]), (*[64]uint64)(a.w[(t+1)*a.wRow+b*64:]), sc)
			term(t, i0)
			term(t+1, i1)
		}
		if t < t1 {
			term(t, q4Block(&W, (*[64]uint64)(a.w[t*a.wRow+b*64:]), sc))
		}
	}
}

// q4Block returns Σ scale·code·activation over a block: the code words W
// (as prefillQ4_K masks them, laid out as the activation words y) and the
// scales sc; extractions every four products, as in q4Lanes.
func q4Block(W, y *[64]uint64, sc uint64) int32 {
	var isum int32
	for k := 0; k < 64; k += 16 {
		w, v := (*[16]uint64)(W[k:]), (*[16]uint64)(y[k:])
		lo := lane3(w[0]*v[0]+w[1]*v[1]+w[2]*v[2]+w[3]*v[3]) + lane3(w[4]*v[4]+w[5]*v[5]+w[6]*v[6]+w[7]*v[7])
		hi := lane3(w[8]*v[8]+w[9]*v[9]+w[10]*v[10]+w[11]*v[11]) + lane3(w[12]*v[12]+w[13]*v[13]+w[14]*v[14]+w[15]*v[15])
		isum += int32(sc&0xff)*lo + int32(sc>>8&0xff)*hi
		sc >>= 16
	}
	return isum
}

// q4Block2 is q4Block of two activation rows.
func q4Block2(W, y, z *[64]uint64, sc uint64) (int32, int32) {
	var i0, i1 int32
	for k := 0; k < 64; k += 8 {
		w, v, u := (*[8]uint64)(W[k:]), (*[8]uint64)(y[k:]), (*[8]uint64)(z[k:])
		s := int32(sc & 0xff)
		i0 += s * (lane3(w[0]*v[0]+w[1]*v[1]+w[2]*v[2]+w[3]*v[3]) + lane3(w[4]*v[4]+w[5]*v[5]+w[6]*v[6]+w[7]*v[7]))
		i1 += s * (lane3(w[0]*u[0]+w[1]*u[1]+w[2]*u[2]+w[3]*u[3]) + lane3(w[4]*u[4]+w[5]*u[5]+w[6]*u[6]+w[7]*u[7]))
		sc >>= 8
	}
	return i0, i1
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
