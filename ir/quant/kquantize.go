package quant

import "math"

// The K-quant reference quantizers: what llama-quantize writes when no
// importance matrix is given. Each searches per group for the scale (and
// minimum) that minimizes a weighted squared error, quantizes those
// scales to 4, 6 or 8 bits against one f16 super-block scale, and then
// rounds every value to the nearest code under the stored scales. Every
// float32 operation is written as ggml's reference orders it, each
// product rounded before it is added (float32(...)), so the bytes are
// ggml's exactly.

// groupMaxEps is the magnitude below which ggml treats a group as zero.
const groupMaxEps = 1e-15

// f32abs is fabsf.
func f32abs(x float32) float32 { return float32(math.Abs(float64(x))) }

// makeQXQuants fits a symmetric scale to x for signed codes in
// [-nmax, nmax-1] weighted by x² (ggml's make_qx_quants with rmse_type 1
// and no importance weights): the plain scale -nmax/max, then 18 nearby
// scales, keeping the one that maximizes (Σwxl)²/Σwl². L receives the
// codes offset by nmax.
func makeQXQuants(nmax int, x []float32, L []int8) float32 {
	var mx, amax float32
	for _, v := range x {
		if a := f32abs(v); a > amax {
			amax, mx = a, v
		}
	}
	if amax < groupMaxEps {
		for i := range L[:len(x)] {
			L[i] = 0
		}
		return 0
	}
	fn := float32(nmax)
	iscale := -fn / mx
	code := func(v, iscale float32) int { return max(-nmax, min(nmax-1, nearestInt(float32(iscale*v)))) }
	sums := func(iscale float32) (sumlx, suml2 float32) {
		for _, v := range x {
			l := float32(code(v, iscale))
			w := float32(v * v)
			sumlx += float32(float32(w*v) * l)
			suml2 += float32(float32(w*l) * l)
		}
		return sumlx, suml2
	}
	for i, v := range x {
		L[i] = int8(code(v, iscale) + nmax)
	}
	sumlx, suml2 := sums(iscale)
	var scale float32
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := float32(scale * sumlx)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -float32(fn+float32(0.1*float32(is))) / mx
		sumlx, suml2 = sums(iscale)
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			for i, v := range x {
				L[i] = int8(code(v, iscale) + nmax)
			}
			scale = sumlx / suml2
			best = float32(scale * sumlx)
		}
	}
	return scale
}

// makeQ3Quants fits Q3_K's symmetric scale for codes in [-nmax, nmax-1]:
// rounding at -nmax/max, then up to five passes moving single codes
// while that raises (Σwxl)²/Σwl², weights x² (ggml's make_q3_quants with
// do_rmse). L receives the codes offset by nmax.
func makeQ3Quants(nmax int, x []float32, L []int8) float32 {
	var mx, amax float32
	for _, v := range x {
		if a := f32abs(v); a > amax {
			amax, mx = a, v
		}
	}
	if amax < groupMaxEps {
		for i := range L[:len(x)] {
			L[i] = 0
		}
		return 0
	}
	iscale := -float32(nmax) / mx
	var sumlx, suml2 float32
	for i, v := range x {
		l := max(-nmax, min(nmax-1, nearestInt(float32(iscale*v))))
		L[i] = int8(l)
		w := float32(v * v)
		sumlx += float32(float32(w*v) * float32(l))
		suml2 += float32(float32(w*float32(l)) * float32(l))
	}
	for try := 0; try < 5; try++ {
		changed := 0
		for i, v := range x {
			w := float32(v * v)
			li := float32(L[i])
			slx := sumlx - float32(float32(w*v)*li)
			if slx > 0 {
				sl2 := suml2 - float32(float32(w*li)*li)
				nl := max(-nmax, min(nmax-1, nearestInt(float32(v*sl2)/slx)))
				if nl != int(L[i]) {
					fl := float32(nl)
					slx += float32(float32(w*v) * fl)
					sl2 += float32(float32(w*fl) * fl)
					if sl2 > 0 && float32(float32(slx*slx)*suml2) > float32(float32(sumlx*sumlx)*sl2) {
						L[i], sumlx, suml2 = int8(nl), slx, sl2
						changed++
					}
				}
			}
		}
		if changed == 0 {
			break
		}
	}
	for i := range x {
		L[i] += int8(nmax)
	}
	if suml2 > 0 {
		return sumlx / suml2
	}
	return 0
}

// makeQKX2Quants fits a scale and a minimum to x for codes in [0, nmax]
// (ggml's make_qkx2_quants): the range's own grid first, then nstep+1
// grids of slightly different step, each refined by weighted least
// squares, keeping the lowest weighted error (absolute with mad, else
// squared). It returns the scale and the minimum as a positive offset
// (x ≈ scale·L - min); L receives the codes.
func makeQKX2Quants(nmax int, x, weights []float32, L, laux []uint8, rmin, rdelta float32, nstep int, mad bool) (scale, theMin float32) {
	lo, hi := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < len(x); i++ {
		// Comparisons as ggml's, not min/max: those order -0 below +0.
		if x[i] < lo {
			lo = x[i]
		}
		if x[i] > hi {
			hi = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if lo > 0 {
		lo = 0
	}
	if hi == lo {
		for i := range x {
			L[i] = 0
		}
		return 0, -lo
	}
	fn := float32(nmax)
	errOf := func(scale, mn float32, codes []uint8) float32 {
		var e float32
		for i, v := range x {
			diff := float32(float32(scale*float32(codes[i]))+mn) - v
			if mad {
				diff = f32abs(diff)
			} else {
				diff = float32(diff * diff)
			}
			e += float32(weights[i] * diff)
		}
		return e
	}
	// mn is the offset of the best fit so far; as in ggml, the later grids
	// start from it, not from the range's own minimum.
	mn := lo
	round := func(iscale float32, codes []uint8) {
		for i, v := range x {
			codes[i] = uint8(max(0, min(nmax, nearestInt(float32(iscale*float32(v-mn))))))
		}
	}
	iscale := fn / (hi - mn)
	scale = 1 / iscale
	round(iscale, L)
	best := errOf(scale, mn, L)
	for is := 0; is <= nstep; is++ {
		iscale = float32(float32(rmin+float32(rdelta*float32(is)))+fn) / (hi - mn)
		round(iscale, laux)
		var sumL, sumL2, sumXL float32
		for i, v := range x {
			l, w := float32(laux[i]), weights[i]
			sumL += float32(w * l)
			sumL2 += float32(float32(w*l) * l)
			sumXL += float32(float32(w*l) * v)
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			if cur := errOf(thisScale, thisMin, laux); cur < best {
				copy(L, laux[:len(x)])
				best, scale, mn = cur, thisScale, thisMin
			}
		}
	}
	return scale, -mn
}

// quantQ2_K: groups of 16 fitted with absolute-error weights |x|, scales
// and minimums quantized to 4 bits against d = max/15 and dmin.
func quantQ2_K(src []float32, dst []byte) {
	var L, laux [16]uint8
	var codes [QK]uint8
	var weights [16]float32
	var scales, mins [16]float32
	for b := 0; b < len(src)/QK; b++ {
		x, blk := src[b*QK:b*QK+QK], dst[b*84:b*84+84]
		clear(blk)
		var maxScale, maxMin float32
		for j := 0; j < 16; j++ {
			xg := x[16*j : 16*j+16]
			for l, v := range xg {
				weights[l] = f32abs(v)
			}
			scales[j], mins[j] = makeQKX2Quants(3, xg, weights[:], L[:], laux[:], -0.5, 0.1, 15, true)
			copy(codes[16*j:], L[:])
			maxScale, maxMin = max(maxScale, scales[j]), max(maxMin, mins[j])
		}
		sc := blk[0:16]
		if maxScale > 0 {
			iscale := 15 / maxScale
			for j := range sc {
				sc[j] = uint8(nearestInt(float32(iscale * scales[j])))
			}
			putF16(blk[80:], maxScale/15)
		}
		if maxMin > 0 {
			iscale := 15 / maxMin
			for j := range sc {
				sc[j] |= uint8(nearestInt(float32(iscale*mins[j]))) << 4
			}
			putF16(blk[82:], maxMin/15)
		}
		d, dmin := f16At(blk, 80), f16At(blk, 82)
		for j := 0; j < 16; j++ {
			dj := d * float32(sc[j]&0xf)
			if dj == 0 {
				continue
			}
			dm := dmin * float32(sc[j]>>4)
			for i := 16 * j; i < 16*j+16; i++ {
				codes[i] = uint8(max(0, min(3, nearestInt((x[i]+dm)/dj))))
			}
		}
		packCodes2(codes[:], blk[16:80])
	}
}

// packCodes2 stores 2-bit codes as Q2_K and Q3_K do: per half of 128,
// byte l holds elements l, l+32, l+64, l+96 from the low bits up.
func packCodes2(codes []uint8, qs []byte) {
	for h := 0; h < 2; h++ {
		c := codes[h*128:]
		for l := 0; l < 32; l++ {
			qs[h*32+l] = c[l] | c[l+32]<<2 | c[l+64]<<4 | c[l+96]<<6
		}
	}
}

// quantQ3_K: groups of 16 fitted by makeQ3Quants, their signed scales
// quantized to 6 bits against d = max/-32.
func quantQ3_K(src []float32, dst []byte) {
	var L [QK]int8
	var scales [16]float32
	for b := 0; b < len(src)/QK; b++ {
		x, blk := src[b*QK:b*QK+QK], dst[b*110:b*110+110]
		clear(blk)
		var maxScale, amax float32
		for j := 0; j < 16; j++ {
			scales[j] = makeQ3Quants(4, x[16*j:16*j+16], L[16*j:])
			if a := f32abs(scales[j]); a > amax {
				amax, maxScale = a, scales[j]
			}
		}
		sb := blk[96:108]
		if maxScale != 0 {
			iscale := -32 / maxScale
			for j := 0; j < 16; j++ {
				l := int8(nearestInt(float32(iscale * scales[j])))
				l = max(-32, min(31, l)) + 32
				if j < 8 {
					sb[j] = byte(l & 0xf)
				} else {
					sb[j-8] |= byte(l&0xf) << 4
				}
				sb[8+j%4] |= byte(l>>4) << (2 * (j / 4))
			}
			putF16(blk[108:], 1/iscale)
		}
		var sc [16]int
		q3Scales(sb, &sc)
		d := f16At(blk, 108)
		for j := 0; j < 16; j++ {
			dj := d * float32(sc[j])
			if dj == 0 {
				continue
			}
			for i := 16 * j; i < 16*j+16; i++ {
				L[i] = int8(max(-4, min(3, nearestInt(x[i]/dj))) + 4)
			}
		}
		var codes [QK]uint8
		hm := blk[0:32]
		for j := 0; j < QK; j++ {
			c := uint8(L[j])
			if c > 3 {
				hm[j%32] |= 1 << (j / 32)
				c -= 4
			}
			codes[j] = c
		}
		packCodes2(codes[:], blk[32:96])
	}
}

// quantQ45_K is Q4_K (five=false) and Q5_K: sub-blocks of 32 fitted by
// makeQKX2Quants with weights RMS(x)+|x|, scales and minimums quantized
// to 6 bits against d = max/63 and dmin.
func quantQ45_K(src []float32, dst []byte, five bool) {
	bb, nmax, rmin, nstep := 144, 15, float32(-1), 20
	if five {
		bb, nmax, rmin, nstep = 176, 31, -0.5, 15
	}
	var codes [QK]uint8
	var laux [32]uint8
	var weights [32]float32
	var scales, mins [8]float32
	for b := 0; b < len(src)/QK; b++ {
		x, blk := src[b*QK:b*QK+QK], dst[b*bb:b*bb+bb]
		clear(blk)
		var maxScale, maxMin float32
		for j := 0; j < 8; j++ {
			xs := x[32*j : 32*j+32]
			var sumX2 float32
			for _, v := range xs {
				sumX2 += float32(v * v)
			}
			av := float32(math.Sqrt(float64(sumX2 / 32)))
			for l, v := range xs {
				weights[l] = av + f32abs(v)
			}
			scales[j], mins[j] = makeQKX2Quants(nmax, xs, weights[:], codes[32*j:32*j+32], laux[:], rmin, 0.1, nstep, false)
			maxScale, maxMin = max(maxScale, scales[j]), max(maxMin, mins[j])
		}
		var invScale, invMin float32
		if maxScale > 0 {
			invScale = 63 / maxScale
		}
		if maxMin > 0 {
			invMin = 63 / maxMin
		}
		sb := blk[4:16]
		for j := 0; j < 8; j++ {
			ls := min(63, uint8(nearestInt(float32(invScale*scales[j]))))
			lm := min(63, uint8(nearestInt(float32(invMin*mins[j]))))
			if j < 4 {
				sb[j], sb[j+4] = ls, lm
			} else {
				sb[j+4] = ls&0xf | (lm&0xf)<<4
				sb[j-4] |= (ls >> 4) << 6
				sb[j] |= (lm >> 4) << 6
			}
		}
		putF16(blk[0:], maxScale/63)
		putF16(blk[2:], maxMin/63)
		d, dmin := f16At(blk, 0), f16At(blk, 2)
		for j := 0; j < 8; j++ {
			sc, m := scaleMinK4(j, sb)
			dj := d * float32(sc)
			if dj == 0 {
				continue
			}
			dm := dmin * float32(m)
			for i := 32 * j; i < 32*j+32; i++ {
				codes[i] = uint8(max(0, min(nmax, nearestInt((x[i]+dm)/dj))))
			}
		}
		qs := blk[16:144]
		if five {
			qh := blk[16:48]
			qs = blk[48:176]
			for i, c := range codes {
				if c > 15 {
					qh[i%32] |= 1 << (i / 32)
					codes[i] = c - 16
				}
			}
		}
		for c := 0; c < 4; c++ {
			for l := 0; l < 32; l++ {
				qs[c*32+l] = codes[c*64+l] | codes[c*64+32+l]<<4
			}
		}
	}
}

func quantQ4_K(src []float32, dst []byte) { quantQ45_K(src, dst, false) }
func quantQ5_K(src []float32, dst []byte) { quantQ45_K(src, dst, true) }

// quantQ6_K: groups of 16 fitted by makeQXQuants, their signed scales
// quantized to int8 against d = max/-128.
func quantQ6_K(src []float32, dst []byte) {
	var L [QK]int8
	var scales [16]float32
	for b := 0; b < len(src)/QK; b++ {
		x, blk := src[b*QK:b*QK+QK], dst[b*210:b*210+210]
		clear(blk)
		var maxScale, maxAbs float32
		for j := 0; j < 16; j++ {
			scales[j] = makeQXQuants(32, x[16*j:16*j+16], L[16*j:])
			if a := f32abs(scales[j]); a > maxAbs {
				maxAbs, maxScale = a, scales[j]
			}
		}
		if maxAbs < groupMaxEps {
			continue
		}
		iscale := -128 / maxScale
		putF16(blk[208:], 1/iscale)
		sc := blk[192:208]
		for j := range sc {
			sc[j] = byte(int8(min(127, nearestInt(float32(iscale*scales[j])))))
		}
		d := f16At(blk, 208)
		for j := 0; j < 16; j++ {
			dj := d * float32(int8(sc[j]))
			if dj == 0 {
				continue
			}
			for i := 16 * j; i < 16*j+16; i++ {
				L[i] = int8(max(-32, min(31, nearestInt(x[i]/dj))) + 32)
			}
		}
		ql, qh := blk[0:128], blk[128:192]
		for h := 0; h < 2; h++ {
			c := L[h*128:]
			for l := 0; l < 32; l++ {
				ql[h*64+l] = byte(c[l]&0xf) | byte(c[l+64]&0xf)<<4
				ql[h*64+l+32] = byte(c[l+32]&0xf) | byte(c[l+96]&0xf)<<4
				qh[h*32+l] = byte(c[l]>>4) | byte(c[l+32]>>4)<<2 | byte(c[l+64]>>4)<<4 | byte(c[l+96]>>4)<<6
			}
		}
	}
}
