package llmrt

func init() {
	kernels[typeQ6_K] = &kernel{name: "Q6_K", act: actQ8_K, blockLen: 256, blockBytes: 210, dot: dot8Q6_K, dequant: dequantQ6_K}
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

// q6KBlock returns Σ scale·code·q8 of one block, exactly. The codes are
// unpacked as they are multiplied, four quarters of 32 at a time, and
// their offset of 32 is taken out through Q8_K's group sums.
func q6KBlock(x, y []byte) int32 {
	q8 := (*[256]byte)(y[4:260])
	var isum, off int32
	for h := 0; h < 2; h++ {
		for half := 0; half < 2; half++ {
			o := h*64 + half*16
			a := (*[16]byte)(x[o:])
			b := (*[16]byte)(x[o+32:])
			hh := (*[16]byte)(x[128+h*32+half*16:])
			yb := h*128 + half*16
			y0 := (*[16]byte)(q8[yb:])
			y1 := (*[16]byte)(q8[yb+32:])
			y2 := (*[16]byte)(q8[yb+64:])
			y3 := (*[16]byte)(q8[yb+96:])
			var s0, s1, s2, s3 int32
			for l := 0; l < 16; l++ {
				av, bv, hv := a[l], b[l], hh[l]
				s0 += int32(av&0xf|(hv&3)<<4) * int32(int8(y0[l]))
				s1 += int32(bv&0xf|(hv>>2&3)<<4) * int32(int8(y1[l]))
				s2 += int32(av>>4|(hv>>4&3)<<4) * int32(int8(y2[l]))
				s3 += int32(bv>>4|(hv>>6&3)<<4) * int32(int8(y3[l]))
			}
			g := h*8 + half
			c0, c1, c2, c3 := int32(int8(x[192+g])), int32(int8(x[194+g])), int32(int8(x[196+g])), int32(int8(x[198+g]))
			isum += c0*s0 + c1*s1 + c2*s2 + c3*s3
			off += c0*q8KSum(y, g) + c1*q8KSum(y, g+2) + c2*q8KSum(y, g+4) + c3*q8KSum(y, g+6)
		}
	}
	return isum - 32*off
}

// dotQ6_K adds d·dy·isum per block.
func dotQ6_K(w, a []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*210:b*210+210], a[b*292:b*292+292]
		sum += float32(f16(x, 208)*q8KScale(y)) * float32(q6KBlock(x, y))
	}
	return sum
}

// dotLanesQ6_K is dotQ6_K of one row with one activation row given as
// its blocks' scales dy and lane words lw, 32 columns per q6Lanes call.
func dotLanesQ6_K(row []byte, dy []float32, lw []uint64, _ []int32, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		blk := (*[210]byte)(row[b*210:])
		var isum int32
		for h := 0; h < 2; h++ {
			// Half h: ql[64], qh[32] and 8 scales, columns 128h...
			x := (*[64]byte)(blk[64*h:])
			hb := (*[32]byte)(blk[128+32*h:])
			sc := (*[8]byte)(blk[192+8*h:])
			y := (*[32]uint64)(lw[b*64+32*h:])
			isum += q6Lanes(le64(x[0:]), le64(x[32:]), le64(hb[0:]), (*[26]uint64)(y[0:]), (*[7]byte)(sc[0:]))
			isum += q6Lanes(le64(x[8:]), le64(x[40:]), le64(hb[8:]), (*[26]uint64)(y[2:]), (*[7]byte)(sc[0:]))
			isum += q6Lanes(le64(x[16:]), le64(x[48:]), le64(hb[16:]), (*[26]uint64)(y[4:]), (*[7]byte)(sc[1:]))
			isum += q6Lanes(le64(x[24:]), le64(x[56:]), le64(hb[24:]), (*[26]uint64)(y[6:]), (*[7]byte)(sc[1:]))
		}
		sum += float32(f16(blk[:], 208)*dy[b]) * float32(isum)
	}
	return sum
}

// q6Lanes returns Σ scale·(code-32)·activation over 32 columns of a half
// block: ql bytes a (8 at l) and b (8 at l+32) and qh bytes h (8 at l)
// hold the codes of columns l.., l+32.., l+64.. and l+96.. (8 each), one
// per byte as a nibble with two bits of qh above it; the even and the
// odd bytes go to 16-bit lanes, minus 32, to multiply the activation
// words y[0:2], y[8:10], y[16:18] and y[24:26]. The columns' scales are
// sc[0], sc[2], sc[4] and sc[6]. Signed codes -32..31 times activations
// in ±127 allow two products (8 terms, |Σ| <= 32512) per extraction.
// It is too large to be inlined, and better so: alone, its values fit the
// registers.
func q6Lanes(a, b, h uint64, y *[26]uint64, sc *[7]byte) int32 {
	const (
		nib  = 0x0F0F0F0F0F0F0F0F
		two  = 0x3030303030303030
		even = 0x00FF00FF00FF00FF
		off  = 0x0020002000200020
	)
	c0, c1, c2, c3 := a&nib|h<<4&two, b&nib|h<<2&two, a>>4&nib|h&two, b>>4&nib|h>>2&two
	return int32(int8(sc[0]))*lane3(((c0&even)-off)*y[0]+((c0>>8&even)-off)*y[1]) +
		int32(int8(sc[2]))*lane3(((c1&even)-off)*y[8]+((c1>>8&even)-off)*y[9]) +
		int32(int8(sc[4]))*lane3(((c2&even)-off)*y[16]+((c2>>8&even)-off)*y[17]) +
		int32(int8(sc[6]))*lane3(((c3&even)-off)*y[24]+((c3>>8&even)-off)*y[25])
}

// prefillQ6_K is dotLanesQ6_K of one row with the activation rows
// t0 <= t < t1 of a, adding each block's term to out[t·ldo] in block
// order as dotLanesQ6_K adds it to its sum: each block's signed codes are
// put into lane words once for all the rows.
func prefillQ6_K(row []byte, a *lanes, t0, t1 int, out []float32, ldo int) {
	const (
		nib  = 0x0F0F0F0F0F0F0F0F
		two  = 0x3030303030303030
		even = 0x00FF00FF00FF00FF
		off  = 0x0020002000200020
	)
	var W [64]uint64
	var sc [16]int32
	for t := t0; t < t1; t++ {
		out[t*ldo] = 0
	}
	for b := 0; b < len(row)/210; b++ {
		x := (*[210]byte)(row[b*210:])
		for h := 0; h < 2; h++ {
			for l := 0; l < 32; l += 8 {
				A, B, H := le64(x[64*h+l:]), le64(x[64*h+32+l:]), le64(x[128+32*h+l:])
				w := (*[26]uint64)(W[32*h+l/4:])
				for q, c := range [4]uint64{A&nib | H<<4&two, B&nib | H<<2&two, A>>4&nib | H&two, B>>4&nib | H>>2&two} {
					w[8*q], w[8*q+1] = (c&even)-off, (c>>8&even)-off
				}
			}
		}
		for g := range sc {
			sc[g] = int32(int8(x[192+g]))
		}
		d := f16(x[:], 208)
		t := t0
		for ; t+2 <= t1; t += 2 {
			i0, i1 := q6Block2(&W, (*[64]uint64)(a.w[t*a.wRow+b*64:]), (*[64]uint64)(a.w[(t+1)*a.wRow+b*64:]), &sc)
			out[t*ldo] += float32(d*a.d[t*a.dRow+b]) * float32(i0)
			out[(t+1)*ldo] += float32(d*a.d[(t+1)*a.dRow+b]) * float32(i1)
		}
		if t < t1 {
			var z [64]uint64
			i0, _ := q6Block2(&W, (*[64]uint64)(a.w[t*a.wRow+b*64:]), &z, &sc)
			out[t*ldo] += float32(d*a.d[t*a.dRow+b]) * float32(i0)
		}
	}
}

// q6Block2 returns Σ scale·(code-32)·activation over a block for two
// activation rows y and z: the code words W (as prefillQ6_K makes them,
// laid out as the activation words) and the 16 group scales sc; an
// extraction every two products (8 columns), as in q6Lanes.
func q6Block2(W, y, z *[64]uint64, sc *[16]int32) (int32, int32) {
	var i0, i1 int32
	for g := 0; g < 16; g++ {
		w, v, u := (*[4]uint64)(W[4*g:]), (*[4]uint64)(y[4*g:]), (*[4]uint64)(z[4*g:])
		i0 += sc[g] * (lane3(w[0]*v[0]+w[1]*v[1]) + lane3(w[2]*v[2]+w[3]*v[3]))
		i1 += sc[g] * (lane3(w[0]*u[0]+w[1]*u[1]) + lane3(w[2]*u[2]+w[3]*u[3]))
	}
	return i0, i1
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
