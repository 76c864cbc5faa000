package llmrt

func init() {
	kernels[typeQ4_K] = &kernel{name: "Q4_K", act: actQ8_K, blockLen: 256, blockBytes: 144, dot: dotQ4_K, dot4: dot4Q4_K, dotN: dotNQ4_K, dequant: dequantQ4_K}
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

// dot4Q4_K is dotQ4_K of four rows stride bytes apart.
func dot4Q4_K(w []byte, stride int, a []byte, nb int, out *[4]float32) {
	var s [4]float32
	for b := 0; b < nb; b++ {
		y := a[b*292 : b*292+292]
		dy := q8KScale(y)
		for r := 0; r < 4; r++ {
			x := w[r*stride+b*144 : r*stride+b*144+144]
			isum, summ := q4KBlock(x, y)
			s[r] += float32(float32(f16(x, 0)*dy)*float32(isum)) - float32(float32(f16(x, 2)*dy)*float32(summ))
		}
	}
	*out = s
}

// dotNQ4_K is dotQ4_K of one row with n activation rows, the codes and
// scales unpacked once per block.
func dotNQ4_K(w, a []byte, actRow, n, nb int, out []float32, stride int) {
	var c [256]int8
	var sc, mn [8]int32
	for t := 0; t < n; t++ {
		out[t*stride] = 0
	}
	for b := 0; b < nb; b++ {
		x := w[b*144 : b*144+144]
		for k := 0; k < 4; k++ {
			q := (*[32]byte)(x[16+32*k:])
			lo, hi := (*[32]int8)(c[64*k:]), (*[32]int8)(c[64*k+32:])
			for l := 0; l < 32; l++ {
				lo[l], hi[l] = int8(q[l]&0xf), int8(q[l]>>4)
			}
		}
		for j := 0; j < 8; j++ {
			sc[j], mn[j] = scaleMinK4(j, x[4:16])
		}
		d, dmin := f16(x, 0), f16(x, 2)
		for t := 0; t < n; t++ {
			y := a[t*actRow+b*292 : t*actRow+b*292+292]
			var isum, summ int32
			for j := 0; j < 8; j++ {
				isum += sc[j] * dot32i8((*[32]int8)(c[32*j:]), (*[32]byte)(y[4+32*j:]))
				summ += mn[j] * (q8KSum(y, 2*j) + q8KSum(y, 2*j+1))
			}
			dy := q8KScale(y)
			out[t*stride] += float32(float32(d*dy)*float32(isum)) - float32(float32(dmin*dy)*float32(summ))
		}
	}
}
