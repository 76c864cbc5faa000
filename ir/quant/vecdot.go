package quant

import (
	"encoding/binary"
	"fmt"
	"math"
)

// vecDotTypes gives, for each weight type with a dot product, the format
// its activations are quantized to: ggml pairs Q4_1 and Q5_1 with Q8_1
// (whose stored sum folds in the weights' minimum), the K-quants and
// IQ4_XS with Q8_K, and the other 32-element formats with Q8_0.
var vecDotTypes = map[GGMLType]GGMLType{
	Q4_0:   Q8_0,
	Q4_1:   Q8_1,
	Q5_0:   Q8_0,
	Q5_1:   Q8_1,
	Q8_0:   Q8_0,
	Q2_K:   Q8_K,
	Q3_K:   Q8_K,
	Q4_K:   Q8_K,
	Q5_K:   Q8_K,
	Q6_K:   Q8_K,
	IQ4_NL: Q8_0,
	IQ4_XS: Q8_K,
}

// VecDotType returns the block format activations must be quantized to
// (with QuantizeRow) before VecDot multiplies them with weights of type
// t, and false when t has no block dot product.
func VecDotType(t GGMLType) (GGMLType, bool) {
	a, ok := vecDotTypes[t]
	return a, ok
}

// VecDot returns the dot product of a row of weight blocks w of type t
// and the same number of elements of activations q quantized to
// VecDotType(t). One block each is the smallest row.
//
// It computes what ggml's scalar reference ggml_vec_dot_*_q8_* computes:
// integer products summed exactly per block (per 16 or 32 elements for the
// K-quants), each block's integer sum scaled by the product of the f16
// and f32 scales, and the float32 partial sums added in ggml's order, each
// operation rounded on its own. The K-quants keep eight lane sums across
// the whole row and add them at the end, as ggml's reference does, so a
// row's result is not the sum of its blocks' results. ggml's SIMD kernels
// add in other orders: llama.cpp on a given machine agrees with this to
// float32 rounding, not bit for bit.
func VecDot(t GGMLType, w, q []byte) (float32, error) {
	at, ok := vecDotTypes[t]
	if !ok {
		return 0, fmt.Errorf("vecdot: %s has no block dot product", t)
	}
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
	switch t {
	case Q4_0, Q5_0, Q8_0, IQ4_NL:
		return dot32(t, w, q, nb, wb, qb), nil
	case Q4_1, Q5_1:
		return dot32Min(t, w, q, nb, wb, qb), nil
	case Q2_K:
		return dotQ2_K(w, q, nb), nil
	case IQ4_XS:
		return dotIQ4_XS(w, q, nb), nil
	}
	return dotK(t, w, q, nb), nil
}

// codes32 unpacks the 32 integer codes of one block of a 32-element
// weight format as its dot product uses them (offsets applied, grid
// values looked up).
func codes32(t GGMLType, blk []byte, out *[32]int) {
	switch t {
	case Q4_0, Q4_1, IQ4_NL:
		qs := blk[len(blk)-16:]
		for j, b := range qs {
			lo, hi := int(b&0xf), int(b>>4)
			switch t {
			case Q4_0:
				lo, hi = lo-8, hi-8
			case IQ4_NL:
				lo, hi = int(kvaluesIQ4NL[lo]), int(kvaluesIQ4NL[hi])
			}
			out[j], out[j+16] = lo, hi
		}
	case Q5_0:
		q5Codes(binary.LittleEndian.Uint32(blk[2:]), blk[6:22], out)
		for j := range out {
			out[j] -= 16
		}
	case Q5_1:
		q5Codes(binary.LittleEndian.Uint32(blk[4:]), blk[8:24], out)
	case Q8_0:
		for j, b := range blk[2:34] {
			out[j] = int(int8(b))
		}
	}
}

// isum32 is the exact integer dot product of a block's codes with the
// int8 codes qs.
func isum32(c *[32]int, qs []byte) int {
	s := 0
	for j, v := range c {
		s += v * int(int8(qs[j]))
	}
	return s
}

// dot32 handles the symmetric 32-element formats against Q8_0. ggml
// associates the three factors differently per format; float32
// multiplication is commutative but not associative, so each is kept.
func dot32(t GGMLType, w, q []byte, nb, wb, qb int) float32 {
	var c [32]int
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*wb:(b+1)*wb], q[b*qb:(b+1)*qb]
		codes32(t, x, &c)
		si := float32(isum32(&c, y[2:]))
		dx, dy := f16At(x, 0), f16At(y, 0)
		var term float32
		switch t {
		case Q4_0: // sumi·dx·dy
			term = float32(si*dx) * dy
		case Q5_0: // (dx·dy)·sumi
			term = float32(dx*dy) * si
		default: // Q8_0, IQ4_NL: sumi·(dx·dy)
			term = si * float32(dx*dy)
		}
		sum += float32(term)
	}
	return sum
}

// dot32Min handles Q4_1 and Q5_1 against Q8_1: (dx·dy)·sumi + mx·sy, where
// sy = dy·Σq8 was stored by the activation quantizer.
func dot32Min(t GGMLType, w, q []byte, nb, wb, qb int) float32 {
	var c [32]int
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*wb:(b+1)*wb], q[b*qb:(b+1)*qb]
		codes32(t, x, &c)
		si := float32(isum32(&c, y[4:]))
		dx, mx, dy, sy := f16At(x, 0), f16At(x, 2), f16At(y, 0), f16At(y, 2)
		sum += float32(float32(float32(dx*dy)*si) + float32(mx*sy))
	}
	return sum
}

// q8K splits a Q8_K block into its scale, codes and group sums.
func q8K(y []byte) (d float32, qs []byte, bsum func(g int) int) {
	return math.Float32frombits(binary.LittleEndian.Uint32(y)), y[4 : 4+QK], func(g int) int {
		return int(int16(binary.LittleEndian.Uint16(y[4+QK+2*g:])))
	}
}

// dotQ2_K: the 2-bit codes times the 4-bit scales summed as integers,
// the minimums through Q8_K's group sums: dall·isum - dmin·summs.
func dotQ2_K(w, q []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*84:b*84+84], q[b*292:b*292+292]
		sc, qs := x[0:16], x[16:80]
		dy, q8, bsum := q8K(y)
		summs := 0
		for g := 0; g < 16; g++ {
			summs += bsum(g) * int(sc[g]>>4)
		}
		dall := dy * f16At(x, 80)
		dmin := dy * f16At(x, 82)
		isum, g := 0, 0
		for half := 0; half < 2; half++ {
			q2 := qs[half*32 : half*32+32]
			for shift := uint(0); shift < 8; shift += 2 {
				for part := 0; part < 2; part++ {
					s := 0
					for l := 0; l < 16; l++ {
						s += int(int8(q8[g*16+l])) * int(q2[part*16+l]>>shift&3)
					}
					isum += int(sc[g]&0xf) * s
					g++
				}
			}
		}
		sum += float32(float32(dall*float32(isum)) - float32(dmin*float32(summs)))
	}
	return sum
}

// kCodes unpacks one K-quant block's 256 signed codes and the scale of
// each group of 16 (Q4_K and Q5_K scale groups of 32, so two groups share
// one), and returns the f16 scale d and, for Q4_K and Q5_K, dmin with
// the eight 6-bit minimums.
func kCodes(t GGMLType, x []byte, a *[QK]int, sc *[16]int, mins *[8]int) (d, dmin float32) {
	switch t {
	case Q3_K:
		hm, qs := x[0:32], x[32:96]
		q3Scales(x[96:108], sc)
		for half := 0; half < 2; half++ {
			for p := uint(0); p < 4; p++ {
				mask := byte(1) << (4*uint(half) + p)
				for l := 0; l < 32; l++ {
					v := int(qs[half*32+l] >> (2 * p) & 3)
					if hm[l]&mask == 0 {
						v -= 4
					}
					a[half*128+int(p)*32+l] = v
				}
			}
		}
		return f16At(x, 108), 0
	case Q4_K, Q5_K:
		scales := x[4:16]
		qs, qh := x[16:144], []byte(nil)
		if t == Q5_K {
			qs, qh = x[48:176], x[16:48]
		}
		for j := 0; j < 8; j++ {
			s, m := scaleMinK4(j, scales)
			sc[2*j], sc[2*j+1], mins[j] = int(s), int(s), int(m)
		}
		for c := 0; c < 4; c++ {
			for l := 0; l < 32; l++ {
				lo, hi := int(qs[c*32+l]&0xf), int(qs[c*32+l]>>4)
				if qh != nil {
					lo |= int(qh[l]>>(2*c)&1) << 4
					hi |= int(qh[l]>>(2*c+1)&1) << 4
				}
				a[c*64+l], a[c*64+32+l] = lo, hi
			}
		}
		return f16At(x, 0), f16At(x, 2)
	}
	// Q6_K
	q6Codes(x[0:128], x[128:192], a)
	for g := 0; g < 16; g++ {
		sc[g] = int(int8(x[192+g]))
	}
	return f16At(x, 208), 0
}

// dotK handles Q3_K, Q4_K, Q5_K and Q6_K against Q8_K. ggml's reference
// sums scale·q8·code exactly in eight integer lanes (element p in lane
// p mod 8), scales each lane by d·dy into eight float32 lane sums kept
// over the whole row, subtracts the minimum terms from the running sum
// block by block, and adds the lanes last.
func dotK(t GGMLType, w, q []byte, nb int) float32 {
	bb := types[t].BlockBytes
	var a [QK]int
	var sc [16]int
	var mins [8]int
	var lanes [8]float32
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*bb:(b+1)*bb], q[b*292:b*292+292]
		d, dmin := kCodes(t, x, &a, &sc, &mins)
		dy, q8, bsum := q8K(y)
		var aux [8]int
		for p := 0; p < QK; p++ {
			aux[p%8] += sc[p/16] * int(int8(q8[p])) * a[p]
		}
		dd := d * dy
		for l := range lanes {
			lanes[l] += float32(dd * float32(aux[l]))
		}
		if t == Q4_K || t == Q5_K {
			sumi := 0
			for g := 0; g < 16; g++ {
				sumi += bsum(g) * mins[g/2]
			}
			sum -= float32(float32(dmin*dy) * float32(sumi))
		}
	}
	for _, l := range lanes {
		sum += l
	}
	return sum
}

// dotIQ4_XS: per sub-block of 32, the grid values times the Q8_K codes
// summed as integers and scaled by d·dy·(ls-32), added in order.
func dotIQ4_XS(w, q []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*136:b*136+136], q[b*292:b*292+292]
		dy, q8, _ := q8K(y)
		d4d8 := f16At(x, 0) * dy
		sh := binary.LittleEndian.Uint16(x[2:])
		sl, qs := x[4:8], x[8:136]
		for ib := 0; ib < 8; ib++ {
			dl := d4d8 * float32(iq4xsScale(sh, sl, ib)-32)
			s := 0
			for j := 0; j < 16; j++ {
				c := qs[ib*16+j]
				s += int(int8(q8[ib*32+j])) * int(kvaluesIQ4NL[c&0xf])
				s += int(int8(q8[ib*32+j+16])) * int(kvaluesIQ4NL[c>>4])
			}
			sum += float32(dl * float32(s))
		}
	}
	return sum
}
