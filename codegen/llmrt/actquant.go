package llmrt

import (
	"encoding/binary"
	"math"
)

// The activation formats: a row of activations is quantized to the format
// its weight type's dot product takes (ggml's vec_dot_type), once per
// linear layer, then multiplied with every weight row.
const (
	actF32  = iota // float32 activations (F32 weights)
	actF16         // activations rounded to binary16 (F16 weights, as ggml converts them)
	actQ8_0        // 32 codes with an f16 scale
	actQ8_1        // Q8_0 plus the f16 of scale·Σcodes (Q4_1, Q5_1)
	actQ8_K        // 256 codes with an f32 scale and the sums of each 16 codes
	numActs
)

// actBlockLen and actBlockBytes give the block geometry of the quantized
// activation formats.
var (
	actBlockLen   = [numActs]int{actQ8_0: 32, actQ8_1: 32, actQ8_K: 256}
	actBlockBytes = [numActs]int{actQ8_0: 34, actQ8_1: 36, actQ8_K: 292}
	// actCodesOff is where a block's int8 codes begin.
	actCodesOff = [numActs]int{actQ8_0: 2, actQ8_1: 4, actQ8_K: 4}
)

// nearestInt rounds to the nearest integer, ties to even, by ggml's trick
// of adding 1.5·2^23 and reading the low mantissa bits. The conversion
// keeps Go from fusing a caller's product f = x·s into the add (an FMA on
// arm64 and with GOAMD64=v3), which would round x·s once, not twice.
func nearestInt(f float32) int32 {
	v := float32(f) + 12582912
	return int32(math.Float32bits(v)&0x7fffff) - 0x400000
}

// quantizeQ8_0 writes x (a multiple of 32 values) as Q8_0 blocks as
// ggml's AVX2 code does: d = max|x|/127 stored as f16, codes x·(127/max|x|)
// rounded to nearest, ties to even.
func quantizeQ8_0(x []float32, dst []byte) {
	for b := 0; b < len(x)/32; b++ {
		v, blk := x[b*32:b*32+32], dst[b*34:b*34+34]
		var amax float32
		for _, f := range v {
			amax = max(amax, float32(math.Abs(float64(f))))
		}
		var id float32
		if amax != 0 {
			id = 127 / amax
		}
		binary.LittleEndian.PutUint16(blk, f16Encode(amax/127))
		for j, f := range v {
			blk[2+j] = byte(int8(math.RoundToEven(float64(f * id))))
		}
	}
}

// quantizeQ8_1 writes Q8_0's codes as ggml's AVX2 code does (see
// quantizeQ8_0) plus s = d·Σcodes as f16, d the float32 max|x|/127.
func quantizeQ8_1(x []float32, dst []byte) {
	for b := 0; b < len(x)/32; b++ {
		v, blk := x[b*32:b*32+32], dst[b*36:b*36+36]
		var amax float32
		for _, f := range v {
			amax = max(amax, float32(math.Abs(float64(f))))
		}
		d := amax / 127
		var id float32
		if amax != 0 {
			id = 127 / amax
		}
		binary.LittleEndian.PutUint16(blk, f16Encode(d))
		sum := 0
		for j, f := range v {
			q := int8(math.RoundToEven(float64(f * id)))
			blk[4+j] = byte(q)
			sum += int(q)
		}
		binary.LittleEndian.PutUint16(blk[2:], f16Encode(d*float32(sum)))
	}
}

// quantizeQ8_K writes Q8_K blocks: d = m/-127 (f32) for the value m of
// largest magnitude, codes rounded ties to even, and each 16 codes' sum.
func quantizeQ8_K(x []float32, dst []byte) {
	for b := 0; b < len(x)/256; b++ {
		v, blk := x[b*256:b*256+256], dst[b*292:b*292+292]
		clear(blk)
		var amax, m float32
		for _, f := range v {
			if a := float32(math.Abs(float64(f))); amax < a {
				amax, m = a, f
			}
		}
		if m == 0 {
			continue
		}
		iscale := -127 / m
		for j, f := range v {
			blk[4+j] = byte(int8(min(127, nearestInt(iscale*f))))
		}
		for g := 0; g < 16; g++ {
			sum := 0
			for _, q := range blk[4+16*g : 4+16*g+16] {
				sum += int(int8(q))
			}
			binary.LittleEndian.PutUint16(blk[260+2*g:], uint16(int16(sum)))
		}
		binary.LittleEndian.PutUint32(blk, math.Float32bits(1/iscale))
	}
}

// quantizeAct writes one row of activations in format act into dst.
func quantizeAct(act int, x []float32, dst []byte) {
	switch act {
	case actQ8_0:
		quantizeQ8_0(x, dst)
	case actQ8_1:
		quantizeQ8_1(x, dst)
	case actQ8_K:
		quantizeQ8_K(x, dst)
	}
}
