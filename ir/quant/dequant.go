package quant

import (
	"encoding/binary"
	"fmt"
	"math"
)

// QK is the length of ggml's super-blocks: every K-quant and IQ4_XS block
// holds 256 elements.
const QK = 256

// kvaluesIQ4NL are the 16 levels of IQ4_NL and IQ4_XS: a non-uniform 4-bit
// grid, denser near zero, that a block scale multiplies.
var kvaluesIQ4NL = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

// A dequantizer turns whole blocks of one type into float32 values; src
// holds exactly len(dst)/BlockLen blocks.
type dequantizer func(src []byte, dst []float32)

var dequantizers = map[GGMLType]dequantizer{
	F32:    dequantF32,
	F16:    dequantF16,
	BF16:   dequantBF16,
	Q4_0:   dequantQ4_0,
	Q4_1:   dequantQ4_1,
	Q5_0:   dequantQ5_0,
	Q5_1:   dequantQ5_1,
	Q8_0:   dequantQ8_0,
	Q8_1:   dequantQ8_1,
	Q2_K:   dequantQ2_K,
	Q3_K:   dequantQ3_K,
	Q4_K:   dequantQ4_K,
	Q5_K:   dequantQ5_K,
	Q6_K:   dequantQ6_K,
	Q8_K:   dequantQ8_K,
	IQ4_NL: dequantIQ4_NL,
	IQ4_XS: dequantIQ4_XS,
}

// CanDequantize reports whether DequantizeRow handles t.
func CanDequantize(t GGMLType) bool { return dequantizers[t] != nil }

// DequantizeRow decodes the blocks of type t in src into dst, whose length
// gives the element count: it must be a whole number of t's blocks and src
// must hold exactly their bytes. The values are those ggml's reference
// dequantize_row_* functions give, bit for bit: every float operation is
// the same float32 operation in the same order, each rounded (never fused
// into a multiply-add), so the result does not depend on the machine.
func DequantizeRow(t GGMLType, src []byte, dst []float32) error {
	f := dequantizers[t]
	if f == nil {
		return fmt.Errorf("dequantize: %s is not supported", t)
	}
	if err := checkRow(t, len(src), len(dst)); err != nil {
		return fmt.Errorf("dequantize: %w", err)
	}
	f(src, dst)
	return nil
}

// checkRow checks that n elements of t are whole blocks that take exactly
// nbytes bytes.
func checkRow(t GGMLType, nbytes, n int) error {
	want, err := RowBytes(t, int64(n))
	if err != nil {
		return err
	}
	if int64(nbytes) != want {
		return fmt.Errorf("%d elements of %s take %d bytes, have %d", n, t, want, nbytes)
	}
	return nil
}

// The per-type entry points below check their sizes as DequantizeRow does.

// DequantizeF32 copies little-endian float32 values.
func DequantizeF32(src []byte, dst []float32) error { return DequantizeRow(F32, src, dst) }

// DequantizeF16 widens binary16 values exactly.
func DequantizeF16(src []byte, dst []float32) error { return DequantizeRow(F16, src, dst) }

// DequantizeBF16 widens bfloat16 values exactly.
func DequantizeBF16(src []byte, dst []float32) error { return DequantizeRow(BF16, src, dst) }

// DequantizeQ4_0 decodes Q4_0: blocks of 32 with one f16 scale d and
// 4-bit codes q, x = (q-8)·d.
func DequantizeQ4_0(src []byte, dst []float32) error { return DequantizeRow(Q4_0, src, dst) }

// DequantizeQ4_1 decodes Q4_1: blocks of 32 with f16 scale d and minimum
// m and 4-bit codes q, x = q·d + m.
func DequantizeQ4_1(src []byte, dst []float32) error { return DequantizeRow(Q4_1, src, dst) }

// DequantizeQ5_0 decodes Q5_0: blocks of 32, 5-bit codes (the fifth bits
// packed in one 32-bit word), x = (q-16)·d.
func DequantizeQ5_0(src []byte, dst []float32) error { return DequantizeRow(Q5_0, src, dst) }

// DequantizeQ5_1 decodes Q5_1: as Q5_0 with a minimum, x = q·d + m.
func DequantizeQ5_1(src []byte, dst []float32) error { return DequantizeRow(Q5_1, src, dst) }

// DequantizeQ8_0 decodes Q8_0: blocks of 32 int8 codes and an f16 scale.
func DequantizeQ8_0(src []byte, dst []float32) error { return DequantizeRow(Q8_0, src, dst) }

// DequantizeQ2_K decodes Q2_K: super-blocks of 256 in 16 groups of 16,
// each with a 4-bit scale and a 4-bit min times the f16 d and dmin, and
// 2-bit codes: x = d·sc·q - dmin·m.
func DequantizeQ2_K(src []byte, dst []float32) error { return DequantizeRow(Q2_K, src, dst) }

// DequantizeQ3_K decodes Q3_K: 16 groups of 16 with 6-bit signed scales
// (offset 32) times an f16 d, and 3-bit codes (2 low bits, a high bit
// mask whose clear bit subtracts 4): x = d·(sc-32)·q.
func DequantizeQ3_K(src []byte, dst []float32) error { return DequantizeRow(Q3_K, src, dst) }

// DequantizeQ4_K decodes Q4_K: 8 sub-blocks of 32 with 6-bit scales and
// mins times the f16 d and dmin, and 4-bit codes: x = d·sc·q - dmin·m.
func DequantizeQ4_K(src []byte, dst []float32) error { return DequantizeRow(Q4_K, src, dst) }

// DequantizeQ5_K decodes Q5_K: Q4_K's layout plus a fifth code bit.
func DequantizeQ5_K(src []byte, dst []float32) error { return DequantizeRow(Q5_K, src, dst) }

// DequantizeQ6_K decodes Q6_K: 16 groups of 16 with int8 scales times an
// f16 d, and 6-bit codes offset by 32: x = d·sc·(q-32).
func DequantizeQ6_K(src []byte, dst []float32) error { return DequantizeRow(Q6_K, src, dst) }

// DequantizeIQ4_NL decodes IQ4_NL: blocks of 32 whose 4-bit codes index
// the non-uniform grid kvalues, x = d·kvalues[q].
func DequantizeIQ4_NL(src []byte, dst []float32) error { return DequantizeRow(IQ4_NL, src, dst) }

// DequantizeIQ4_XS decodes IQ4_XS: super-blocks of 256 in 8 sub-blocks
// of 32, each with a 6-bit scale (offset 32) times an f16 d, and IQ4_NL's
// grid: x = d·(ls-32)·kvalues[q].
func DequantizeIQ4_XS(src []byte, dst []float32) error { return DequantizeRow(IQ4_XS, src, dst) }

func f16At(b []byte, off int) float32 { return F16ToF32(binary.LittleEndian.Uint16(b[off:])) }

func dequantF32(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func dequantF16(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = f16At(src, 2*i)
	}
}

func dequantBF16(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = BF16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

// Q4_0 block: d f16 | qs[16]. Byte j holds element j (low nibble) and
// element j+16 (high nibble).
func dequantQ4_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*18:b*18+18], dst[b*32:b*32+32]
		d := f16At(blk, 0)
		for j, q := range blk[2:18] {
			y[j] = float32(int(q&0xf)-8) * d
			y[j+16] = float32(int(q>>4)-8) * d
		}
	}
}

// Q4_1 block: d f16 | m f16 | qs[16].
func dequantQ4_1(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*20:b*20+20], dst[b*32:b*32+32]
		d, m := f16At(blk, 0), f16At(blk, 2)
		for j, q := range blk[4:20] {
			y[j] = float32(float32(q&0xf)*d) + m
			y[j+16] = float32(float32(q>>4)*d) + m
		}
	}
}

// q5Codes unpacks the 32 five-bit codes of a Q5_0/Q5_1 block: qh's bit j
// is the fifth bit of element j.
func q5Codes(qh uint32, qs []byte, out *[32]int) {
	for j := 0; j < 16; j++ {
		out[j] = int(qs[j]&0xf) | int(qh>>j&1)<<4
		out[j+16] = int(qs[j]>>4) | int(qh>>(j+16)&1)<<4
	}
}

// Q5_0 block: d f16 | qh u32 | qs[16].
func dequantQ5_0(src []byte, dst []float32) {
	var q [32]int
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*22:b*22+22], dst[b*32:b*32+32]
		d := f16At(blk, 0)
		q5Codes(binary.LittleEndian.Uint32(blk[2:]), blk[6:22], &q)
		for j := range y {
			y[j] = float32(q[j]-16) * d
		}
	}
}

// Q5_1 block: d f16 | m f16 | qh u32 | qs[16].
func dequantQ5_1(src []byte, dst []float32) {
	var q [32]int
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*24:b*24+24], dst[b*32:b*32+32]
		d, m := f16At(blk, 0), f16At(blk, 2)
		q5Codes(binary.LittleEndian.Uint32(blk[4:]), blk[8:24], &q)
		for j := range y {
			y[j] = float32(float32(q[j])*d) + m
		}
	}
}

// Q8_0 block: d f16 | qs[32] int8.
func dequantQ8_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*34:b*34+34], dst[b*32:b*32+32]
		d := f16At(blk, 0)
		for j, q := range blk[2:34] {
			y[j] = float32(int8(q)) * d
		}
	}
}

// Q8_1 block: d f16 | s f16 (d times the sum of the codes) | qs[32] int8.
func dequantQ8_1(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*36:b*36+36], dst[b*32:b*32+32]
		d := f16At(blk, 0)
		for j, q := range blk[4:36] {
			y[j] = float32(int8(q)) * d
		}
	}
}

// Q2_K block: scales[16] (low nibble scale, high nibble min) | qs[64] |
// d f16 | dmin f16. Each half of 128 elements reads 32 code bytes four
// times, two bits deeper each time; a pass covers two groups of 16.
func dequantQ2_K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK; b++ {
		blk, y := src[b*84:b*84+84], dst[b*QK:b*QK+QK]
		sc, qs := blk[0:16], blk[16:80]
		d, dmin := f16At(blk, 80), f16At(blk, 82)
		g := 0 // group of 16
		for half := 0; half < 2; half++ {
			q := qs[half*32 : half*32+32]
			for shift := uint(0); shift < 8; shift += 2 {
				for part := 0; part < 2; part++ {
					dl := d * float32(sc[g]&0xf)
					ml := dmin * float32(sc[g]>>4)
					for l := 0; l < 16; l++ {
						y[g*16+l] = float32(dl*float32(q[part*16+l]>>shift&3)) - ml
					}
					g++
				}
			}
		}
	}
}

// q3Scales unpacks Q3_K's sixteen 6-bit scales from 12 bytes: the low four
// bits of scale j are the low (j<8) or high nibble of byte j%8, the high
// two bits are bits 2·(j/4) of byte 8+j%4.
func q3Scales(b []byte, out *[16]int) {
	for j := 0; j < 16; j++ {
		lo := b[j%8] & 0xf
		if j >= 8 {
			lo = b[j%8] >> 4
		}
		hi := b[8+j%4] >> (2 * (j / 4)) & 3
		out[j] = int(lo|hi<<4) - 32
	}
}

// Q3_K block: hmask[32] | qs[64] | scales[12] | d f16. Element e of half
// h (128 each) at pass p (0..3) and offset l (0..31) takes its low bits
// from qs[32h+l] >> 2p and its high bit from hmask[l] bit 4h+p.
func dequantQ3_K(src []byte, dst []float32) {
	var sc [16]int
	for b := 0; b < len(dst)/QK; b++ {
		blk, y := src[b*110:b*110+110], dst[b*QK:b*QK+QK]
		hm, qs := blk[0:32], blk[32:96]
		q3Scales(blk[96:108], &sc)
		d := f16At(blk, 108)
		g := 0
		for half := 0; half < 2; half++ {
			q := qs[half*32 : half*32+32]
			for p := uint(0); p < 4; p++ {
				mask := byte(1) << (4*uint(half) + p)
				for part := 0; part < 2; part++ {
					dl := d * float32(sc[g])
					for l := part * 16; l < part*16+16; l++ {
						v := int(q[l] >> (2 * p) & 3)
						if hm[l]&mask == 0 {
							v -= 4
						}
						y[g*16+l-part*16] = dl * float32(v)
					}
					g++
				}
			}
		}
	}
}

// scaleMinK4 reads the j-th 6-bit scale and min of a Q4_K or Q5_K block:
// for j<4 the low six bits of bytes j and j+4; for j>=4 a nibble of byte
// j+4 below the top two bits of bytes j-4 (scale) and j (min).
func scaleMinK4(j int, q []byte) (sc, m byte) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// Q4_K block: d f16 | dmin f16 | scales[12] | qs[128]. Each 32 code bytes
// hold two sub-blocks: low nibbles then high nibbles.
func dequantQ4_K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK; b++ {
		blk, y := src[b*144:b*144+144], dst[b*QK:b*QK+QK]
		d, dmin := f16At(blk, 0), f16At(blk, 2)
		scales, qs := blk[4:16], blk[16:144]
		for c := 0; c < 4; c++ {
			q := qs[c*32 : c*32+32]
			s1, m1 := scaleMinK4(2*c, scales)
			s2, m2 := scaleMinK4(2*c+1, scales)
			d1, dm1 := d*float32(s1), dmin*float32(m1)
			d2, dm2 := d*float32(s2), dmin*float32(m2)
			for l := 0; l < 32; l++ {
				y[c*64+l] = float32(d1*float32(q[l]&0xf)) - dm1
				y[c*64+32+l] = float32(d2*float32(q[l]>>4)) - dm2
			}
		}
	}
}

// Q5_K block: d f16 | dmin f16 | scales[12] | qh[32] | qs[128]. Sub-block
// s takes its fifth bit from bit s of qh[l].
func dequantQ5_K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK; b++ {
		blk, y := src[b*176:b*176+176], dst[b*QK:b*QK+QK]
		d, dmin := f16At(blk, 0), f16At(blk, 2)
		scales, qh, qs := blk[4:16], blk[16:48], blk[48:176]
		for c := 0; c < 4; c++ {
			q := qs[c*32 : c*32+32]
			s1, m1 := scaleMinK4(2*c, scales)
			s2, m2 := scaleMinK4(2*c+1, scales)
			d1, dm1 := d*float32(s1), dmin*float32(m1)
			d2, dm2 := d*float32(s2), dmin*float32(m2)
			for l := 0; l < 32; l++ {
				lo := int(q[l]&0xf) | int(qh[l]>>(2*c)&1)<<4
				hi := int(q[l]>>4) | int(qh[l]>>(2*c+1)&1)<<4
				y[c*64+l] = float32(d1*float32(lo)) - dm1
				y[c*64+32+l] = float32(d2*float32(hi)) - dm2
			}
		}
	}
}

// q6Codes unpacks the 256 signed six-bit codes of a Q6_K block (ql[128],
// qh[64]): per half of 128, element l, l+32, l+64, l+96 take the low or
// high nibble of ql[l] or ql[l+32] and two bits of qh[l].
func q6Codes(ql, qh []byte, out *[QK]int) {
	for h := 0; h < 2; h++ {
		l4, h2, o := ql[h*64:h*64+64], qh[h*32:h*32+32], out[h*128:h*128+128]
		for l := 0; l < 32; l++ {
			o[l] = int(l4[l]&0xf|(h2[l]>>0&3)<<4) - 32
			o[l+32] = int(l4[l+32]&0xf|(h2[l]>>2&3)<<4) - 32
			o[l+64] = int(l4[l]>>4|(h2[l]>>4&3)<<4) - 32
			o[l+96] = int(l4[l+32]>>4|(h2[l]>>6&3)<<4) - 32
		}
	}
}

// Q6_K block: ql[128] | qh[64] | scales[16] int8 | d f16. Group g of 16
// elements uses scales[g].
func dequantQ6_K(src []byte, dst []float32) {
	var q [QK]int
	for b := 0; b < len(dst)/QK; b++ {
		blk, y := src[b*210:b*210+210], dst[b*QK:b*QK+QK]
		q6Codes(blk[0:128], blk[128:192], &q)
		sc := blk[192:208]
		d := f16At(blk, 208)
		for i := range y {
			y[i] = float32(d*float32(int8(sc[i/16]))) * float32(q[i])
		}
	}
}

// Q8_K block: d f32 | qs[256] int8 | bsums[16] int16.
func dequantQ8_K(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK; b++ {
		blk, y := src[b*292:b*292+292], dst[b*QK:b*QK+QK]
		d := math.Float32frombits(binary.LittleEndian.Uint32(blk))
		for j, q := range blk[4 : 4+QK] {
			y[j] = d * float32(int8(q))
		}
	}
}

// IQ4_NL block: d f16 | qs[16], nibbles as in Q4_0.
func dequantIQ4_NL(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*18:b*18+18], dst[b*32:b*32+32]
		d := f16At(blk, 0)
		for j, q := range blk[2:18] {
			y[j] = d * float32(kvaluesIQ4NL[q&0xf])
			y[j+16] = d * float32(kvaluesIQ4NL[q>>4])
		}
	}
}

// iq4xsScale returns the 6-bit scale of sub-block ib of an IQ4_XS block:
// low four bits from a nibble of scales_l, high two from scales_h.
func iq4xsScale(sh uint16, sl []byte, ib int) int {
	return int(sl[ib/2]>>(4*(ib%2))&0xf) | int(sh>>(2*ib)&3)<<4
}

// IQ4_XS block: d f16 | scales_h u16 | scales_l[4] | qs[128]. Each
// sub-block of 32 reads 16 code bytes, nibbles as in IQ4_NL.
func dequantIQ4_XS(src []byte, dst []float32) {
	for b := 0; b < len(dst)/QK; b++ {
		blk, y := src[b*136:b*136+136], dst[b*QK:b*QK+QK]
		d := f16At(blk, 0)
		sh := binary.LittleEndian.Uint16(blk[2:])
		sl, qs := blk[4:8], blk[8:136]
		for ib := 0; ib < 8; ib++ {
			dl := d * float32(iq4xsScale(sh, sl, ib)-32)
			q, o := qs[ib*16:ib*16+16], y[ib*32:ib*32+32]
			for j := 0; j < 16; j++ {
				o[j] = dl * float32(kvaluesIQ4NL[q[j]&0xf])
				o[j+16] = dl * float32(kvaluesIQ4NL[q[j]>>4])
			}
		}
	}
}
