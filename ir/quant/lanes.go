package quant

import (
	"fmt"
	"math"
)

// The dot products of ggml's CPU backend built for x86-64 with AVX2 and
// FMA (the build llama.cpp's reference logits come from) add in eight
// float32 lanes of a 256-bit register. For Q8_0, Q5_0, Q4_1, Q5_1, Q4_K
// and Q6_K, lane k takes, per block, the exact integer sum over the
// elements whose index modulo 32 lies in 4k..4k+3 (times the sub-block
// scales for the K-quants) and adds it times the block's float32 scale
// product with a fused multiply-add; Q4_K's minimum terms go to four more
// lanes the same way, lane n for sub-blocks 2n and 2n+1, and Q4_1's and
// Q5_1's minimum terms m·s are summed in float32 block after block. The
// lanes are reduced last as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)), the
// four minimum lanes as (m0+m2)+(m1+m3), and the minimum sum is added to
// that. Its activations are quantized to Q8_0 and Q8_1 by its AVX2
// quantizers, which multiply by 127/max|x| and round ties to even
// (QuantizeActivations).

// VecDotAVX2 is VecDot in the order and roundings of ggml's AVX2/FMA
// build, bit for bit, for Q8_0, Q5_0, Q4_1, Q5_1, IQ4_NL, Q4_K and Q6_K;
// other types are computed as VecDot computes them. rows is the number
// of activation rows of the matrix product the dot product belongs to:
// for IQ4_NL ggml adds as above in its tiled kernel, which it uses for
// two rows or more, and for one row in two lane accumulators, even and
// odd blocks, added lane by lane before the reduction (an odd last block
// adds (dy·dx)·sumi to the result with a fused multiply-add).
func VecDotAVX2(t GGMLType, w, q []byte, rows int) (float32, error) {
	switch t {
	case Q8_0, Q5_0, Q4_1, Q5_1, IQ4_NL, Q4_K, Q6_K:
	default:
		return VecDot(t, w, q)
	}
	at := vecDotTypes[t]
	ti, ai := types[t], types[at]
	if len(w)%ti.BlockBytes != 0 {
		return 0, fmt.Errorf("vecdot: %d bytes of %s are not whole %d-byte blocks", len(w), t, ti.BlockBytes)
	}
	n := len(w) / ti.BlockBytes * ti.BlockLen
	if err := checkRow(at, len(q), n); err != nil {
		return 0, fmt.Errorf("vecdot: %s activations: %w", at, err)
	}
	nb := n / ti.BlockLen
	wb, qb := ti.BlockBytes, ai.BlockBytes
	var acc [8]float32
	var accM [4]float32
	var summs float32
	if t == IQ4_NL && rows == 1 {
		return dotIQ4NLSingle(w, q, nb), nil
	}
	switch t {
	case Q8_0, Q5_0, Q4_1, Q5_1, IQ4_NL:
		var c [32]int
		codes := 2 // where an activation block's codes begin
		if at == Q8_1 {
			codes = 4
		}
		for b := 0; b < nb; b++ {
			x, y := w[b*wb:(b+1)*wb], q[b*qb:(b+1)*qb]
			codes32(t, x, &c)
			if at == Q8_1 {
				summs += f16At(x, 2) * f16At(y, 2)
			}
			d := f16At(x, 0) * f16At(y, 0)
			for e := 0; e < 32; e += 4 {
				s := 0
				for i := e; i < e+4; i++ {
					s += c[i] * int(int8(y[codes+i]))
				}
				acc[e/4] = FMA32(d, float32(s), acc[e/4])
			}
		}
	default: // Q4_K, Q6_K
		var a [QK]int
		var sc [16]int
		var mins [8]int
		for b := 0; b < nb; b++ {
			x, y := w[b*wb:(b+1)*wb], q[b*qb:(b+1)*qb]
			d, dmin := kCodes(t, x, &a, &sc, &mins)
			dy, q8, bsum := q8K(y)
			var lane [8]int
			for p := 0; p < QK; p++ {
				lane[p%32/4] += sc[p/16] * int(int8(q8[p])) * a[p]
			}
			dd := dy * d
			for k := range acc {
				acc[k] = FMA32(dd, float32(lane[k]), acc[k])
			}
			if t == Q4_K {
				dm := -dy * dmin
				for m := 0; m < 4; m++ {
					s := mins[2*m]*(bsum(4*m)+bsum(4*m+1)) + mins[2*m+1]*(bsum(4*m+2)+bsum(4*m+3))
					accM[m] = FMA32(dm, float32(s), accM[m])
				}
			}
		}
	}
	sum := ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
	switch t {
	case Q4_K:
		sum += (accM[0] + accM[2]) + (accM[1] + accM[3])
	case Q4_1, Q5_1:
		sum += summs
	}
	return sum, nil
}

// dotIQ4NLSingle is VecDotAVX2 of IQ4_NL for one activation row.
func dotIQ4NLSingle(w, q []byte, nb int) float32 {
	var acc [2][8]float32
	var c [32]int
	lanes := func(b int) (l [8]int) {
		x, y := w[b*18:(b+1)*18], q[b*34:(b+1)*34]
		codes32(IQ4_NL, x, &c)
		for i := range c {
			l[i/4] += c[i] * int(int8(y[2+i]))
		}
		return l
	}
	b := 0
	for ; b+1 < nb; b += 2 {
		for i := 0; i < 2; i++ {
			l := lanes(b + i)
			d := f16At(q[(b+i)*34:], 0) * f16At(w[(b+i)*18:], 0)
			for k := range l {
				acc[i][k] = FMA32(d, float32(l[k]), acc[i][k])
			}
		}
	}
	var s [8]float32
	for k := range s {
		s[k] = acc[0][k] + acc[1][k]
	}
	sum := ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]))
	if b < nb {
		si := 0
		for _, v := range lanes(b) {
			si += v
		}
		sum = FMA32(f16At(q[b*34:], 0)*f16At(w[b*18:], 0), float32(si), sum)
	}
	return sum
}

// QuantizeActivations quantizes one row of activations to the format
// a dot product takes (VecDotType) as ggml's AVX2 build does before
// VecDotAVX2: Q8_0 and Q8_1 codes are x·(127/max|x|) rounded to nearest,
// ties to even, with d = max|x|/127 stored as f16, and Q8_1's s is
// d·Σcodes (QuantizeRow rounds x/d half away from zero, ggml's
// reference); the other formats as QuantizeRow.
func QuantizeActivations(t GGMLType, src []float32, dst []byte) error {
	if err := QuantizeRow(t, src, dst); err != nil || (t != Q8_0 && t != Q8_1) {
		return err
	}
	bb, off := 34, 2
	if t == Q8_1 {
		bb, off = 36, 4
	}
	for b := 0; b < len(src)/32; b++ {
		v, blk := src[b*32:b*32+32], dst[b*bb:(b+1)*bb]
		var amax float32
		for _, f := range v {
			amax = max(amax, float32(math.Abs(float64(f))))
		}
		var id float32
		if amax != 0 {
			id = 127 / amax
		}
		sum := 0
		for j, f := range v {
			c := int8(math.RoundToEven(float64(f * id)))
			blk[off+j] = byte(c)
			sum += int(c)
		}
		if t == Q8_1 {
			putF16(blk[2:], amax/127*float32(sum))
		}
	}
	return nil
}

// FMA32 returns a·b+c rounded once to float32, as a fused multiply-add
// instruction computes it. The product of two float32 values is exact in
// float64; the sum is rounded to float64 and then to float32, and when
// that lands exactly halfway between two float32 values (the only case
// where the double rounding can differ) the exact remainder of the
// float64 sum picks the side. Subnormal float32 results are not
// corrected.
func FMA32(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	cc := float64(c)
	s := p + cc
	r := float32(s)
	if float64(r) == s || math.Float64bits(s)&(1<<29-1) != 1<<28 {
		return r
	}
	bb := s - p
	e := (p - (s - bb)) + (cc - bb)
	switch {
	case e > 0 && float64(r) < s:
		r = math.Nextafter32(r, float32(math.Inf(1)))
	case e < 0 && float64(r) > s:
		r = math.Nextafter32(r, float32(math.Inf(-1)))
	}
	return r
}
