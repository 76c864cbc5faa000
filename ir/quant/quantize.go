package quant

import (
	"encoding/binary"
	"fmt"
	"math"
)

// A quantizer encodes whole blocks: src holds exactly len(dst)/BlockBytes
// blocks of values, all finite.
type quantizer func(src []float32, dst []byte)

var quantizers = map[GGMLType]quantizer{
	F32:  quantF32,
	F16:  quantF16,
	BF16: quantBF16,
	Q4_0: quantQ4_0,
	Q4_1: quantQ4_1,
	Q5_0: quantQ5_0,
	Q5_1: quantQ5_1,
	Q8_0: quantQ8_0,
	Q8_1: quantQ8_1,
	Q8_K: quantQ8_K,
	Q2_K: quantQ2_K,
	Q3_K: quantQ3_K,
	Q4_K: quantQ4_K,
	Q5_K: quantQ5_K,
	Q6_K: quantQ6_K,

	IQ4_NL: quantIQ4_NL,
	IQ4_XS: quantIQ4_XS,
}

// CanQuantize reports whether QuantizeRow writes t.
func CanQuantize(t GGMLType) bool { return quantizers[t] != nil }

// QuantizeRow encodes src as blocks of type t into dst, which must be
// exactly the row's bytes. It computes what ggml's reference
// quantize_row_*_ref functions compute, byte for byte: the same
// float32 operations in the same order, the scales rounded to f16 ties to
// even. A value that is not finite is refused (ggml's result for it is
// undefined). It writes F32, F16, BF16, the legacy formats (Q4_0, Q4_1,
// Q5_0, Q5_1, Q8_0), the K-quants Q2_K to Q6_K (the reference forms that
// llama-quantize uses without an importance matrix: a weighted search for
// each group's scale and minimum, see kquantize.go), IQ4_NL and IQ4_XS
// as llama-quantize writes them (see iq4quantize.go) and the activation
// formats the dot products take, Q8_0, Q8_1 and Q8_K (see VecDot).
//
// One difference from ggml is deliberate: Q8_K's group sums of an
// all-zero block are written as zeros, where ggml leaves whatever the
// buffer held.
func QuantizeRow(t GGMLType, src []float32, dst []byte) error {
	f := quantizers[t]
	if f == nil {
		return fmt.Errorf("quantize: %s is not supported", t)
	}
	if err := checkRow(t, len(dst), len(src)); err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	if t != F32 && t != F16 && t != BF16 {
		for i, v := range src {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("quantize: %s: element %d is %v", t, i, v)
			}
		}
	}
	f(src, dst)
	return nil
}

// nearestInt is ggml's nearest_int: it adds 1.5·2^23 in float32 and reads
// the low 23 mantissa bits, which rounds to the nearest integer, ties to
// even, for |f| < 2^22. Larger values (ggml asserts they do not occur)
// give what ggml's release builds give.
func nearestInt(f float32) int {
	v := f + 12582912
	return int(math.Float32bits(v)&0x7fffff) - 0x400000
}

// roundAway rounds half away from zero, as C's roundf.
func roundAway(f float32) float32 { return float32(math.Round(float64(f))) }

func putF16(b []byte, f float32) { binary.LittleEndian.PutUint16(b, F32ToF16(f)) }

func quantF32(src []float32, dst []byte) {
	for i, v := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

func quantF16(src []float32, dst []byte) {
	for i, v := range src {
		putF16(dst[2*i:], v)
	}
}

func quantBF16(src []float32, dst []byte) {
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], F32ToBF16(v))
	}
}

// absMaxSigned returns the value of largest magnitude in x, the first one
// on ties, as the symmetric formats pick their scale from it.
func absMaxSigned(x []float32) float32 {
	var amax, m float32
	for _, v := range x {
		if a := float32(math.Abs(float64(v))); amax < a {
			amax, m = a, v
		}
	}
	return m
}

func absMax(x []float32) float32 {
	var amax float32
	for _, v := range x {
		amax = max(amax, float32(math.Abs(float64(v))))
	}
	return amax
}

// minMax compares as ggml does (not with min/max, which order -0 below
// +0 and would change the sign of a stored zero minimum).
func minMax(x []float32) (lo, hi float32) {
	lo, hi = math.MaxFloat32, -math.MaxFloat32
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return lo, hi
}

func inverse(d float32) float32 {
	if d == 0 {
		return 0
	}
	return 1 / d
}

// Q4_0: d = m/-8 for the signed value m of largest magnitude, so that m
// itself codes as 0 and the other end of the range saturates at 15.
func quantQ4_0(src []float32, dst []byte) {
	for b := 0; b < len(src)/32; b++ {
		x, blk := src[b*32:b*32+32], dst[b*18:b*18+18]
		d := absMaxSigned(x) / -8
		id := inverse(d)
		putF16(blk, d)
		for j := 0; j < 16; j++ {
			// C truncates x·id + 8.5 toward zero: rounding to nearest.
			q0 := min(15, int8(float32(x[j]*id)+8.5))
			q1 := min(15, int8(float32(x[j+16]*id)+8.5))
			blk[2+j] = byte(q0) | byte(q1)<<4
		}
	}
}

// Q4_1: d = (max-min)/15 and the minimum as offset.
func quantQ4_1(src []float32, dst []byte) {
	for b := 0; b < len(src)/32; b++ {
		x, blk := src[b*32:b*32+32], dst[b*20:b*20+20]
		lo, hi := minMax(x)
		d := (hi - lo) / 15
		id := inverse(d)
		putF16(blk, d)
		putF16(blk[2:], lo)
		for j := 0; j < 16; j++ {
			q0 := min(15, int8(float32(float32(x[j]-lo)*id)+0.5))
			q1 := min(15, int8(float32(float32(x[j+16]-lo)*id)+0.5))
			blk[4+j] = byte(q0) | byte(q1)<<4
		}
	}
}

// Q5_0: as Q4_0 with d = m/-16 and codes up to 31.
func quantQ5_0(src []float32, dst []byte) {
	for b := 0; b < len(src)/32; b++ {
		x, blk := src[b*32:b*32+32], dst[b*22:b*22+22]
		d := absMaxSigned(x) / -16
		id := inverse(d)
		putF16(blk, d)
		var qh uint32
		for j := 0; j < 16; j++ {
			q0 := byte(min(31, int8(float32(x[j]*id)+16.5)))
			q1 := byte(min(31, int8(float32(x[j+16]*id)+16.5)))
			blk[6+j] = q0&0xf | (q1&0xf)<<4
			qh |= uint32(q0>>4) << j
			qh |= uint32(q1>>4) << (j + 16)
		}
		binary.LittleEndian.PutUint32(blk[2:], qh)
	}
}

// Q5_1: as Q4_1 with d = (max-min)/31.
func quantQ5_1(src []float32, dst []byte) {
	for b := 0; b < len(src)/32; b++ {
		x, blk := src[b*32:b*32+32], dst[b*24:b*24+24]
		lo, hi := minMax(x)
		d := (hi - lo) / 31
		id := inverse(d)
		putF16(blk, d)
		putF16(blk[2:], lo)
		var qh uint32
		for j := 0; j < 16; j++ {
			q0 := uint8(float32(float32(x[j]-lo)*id) + 0.5)
			q1 := uint8(float32(float32(x[j+16]-lo)*id) + 0.5)
			blk[8+j] = q0&0xf | (q1&0xf)<<4
			qh |= uint32(q0>>4&1) << j
			qh |= uint32(q1>>4&1) << (j + 16)
		}
		binary.LittleEndian.PutUint32(blk[4:], qh)
	}
}

// Q8_0: d = max|x|/127, codes round half away from zero.
func quantQ8_0(src []float32, dst []byte) {
	for b := 0; b < len(src)/32; b++ {
		x, blk := src[b*32:b*32+32], dst[b*34:b*34+34]
		d := absMax(x) / 127
		id := inverse(d)
		putF16(blk, d)
		for j, v := range x {
			blk[2+j] = byte(int8(roundAway(v * id)))
		}
	}
}

// Q8_1: Q8_0's codes, plus s = d·Σq rounded to f16 for the minimum term
// of the Q4_1 and Q5_1 dot products.
func quantQ8_1(src []float32, dst []byte) {
	for b := 0; b < len(src)/32; b++ {
		x, blk := src[b*32:b*32+32], dst[b*36:b*36+36]
		d := absMax(x) / 127
		id := inverse(d)
		putF16(blk, d)
		sum := 0
		for j, v := range x {
			q := int8(roundAway(v * id))
			blk[4+j] = byte(q)
			sum += int(q)
		}
		putF16(blk[2:], float32(sum)*d)
	}
}

// Q8_K: d = m/-127 for the signed value m of largest magnitude, kept as
// float32, codes rounded ties to even, and the sums of each 16 codes.
func quantQ8_K(src []float32, dst []byte) {
	for b := 0; b < len(src)/QK; b++ {
		x, blk := src[b*QK:b*QK+QK], dst[b*292:b*292+292]
		clear(blk)
		m := absMaxSigned(x)
		if m == 0 {
			continue
		}
		iscale := -127 / m
		for j, v := range x {
			blk[4+j] = byte(int8(min(127, nearestInt(iscale*v))))
		}
		for g := 0; g < 16; g++ {
			sum := 0
			for _, q := range blk[4+16*g : 4+16*g+16] {
				sum += int(int8(q))
			}
			binary.LittleEndian.PutUint16(blk[4+QK+2*g:], uint16(int16(sum)))
		}
		binary.LittleEndian.PutUint32(blk, math.Float32bits(1/iscale))
	}
}
