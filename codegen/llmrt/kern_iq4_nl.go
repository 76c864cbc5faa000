package llmrt

func init() {
	kernels[typeIQ4_NL] = &kernel{name: "IQ4_NL", act: actQ8_0, blockLen: 32, blockBytes: 18, dot: dotIQ4_NL, dot1: dot1IQ4_NL, dequant: dequantIQ4_NL}
}

// iq4Grid holds the 16 levels of IQ4_NL and IQ4_XS: a non-uniform 4-bit
// grid, denser near zero, that a block scale multiplies.
var iq4Grid = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

// IQ4_NL block: d f16 | qs[16], nibbles as Q4_0's, indexes into iq4Grid.
func dequantIQ4_NL(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*18:b*18+18], dst[b*32:b*32+32]
		d := f16(blk, 0)
		for j, q := range blk[2:18] {
			y[j] = d * float32(iq4Grid[q&0xf])
			y[j+16] = d * float32(iq4Grid[q>>4])
		}
	}
}

// iq4Lanes returns the eight four-code sums of an IQ4_NL block with a
// Q8_0 block: lane k for elements 4k..4k+3.
func iq4Lanes(x, y []byte) (l [8]int32) {
	qs, q8 := x[2:18], y[2:34]
	for j := 0; j < 16; j++ {
		l[j/4] += int32(int8(q8[j])) * int32(iq4Grid[qs[j]&0xf])
		l[4+j/4] += int32(int8(q8[j+16])) * int32(iq4Grid[qs[j]>>4])
	}
	return l
}

// dotIQ4_NL is the dot product of nb IQ4_NL weight blocks with Q8_0
// activation blocks as ggml's AVX2 tiled kernel adds it for several
// activation rows: lane k takes each block's sum of elements 4k..4k+3
// times dx·dy with a fused multiply-add.
func dotIQ4_NL(w, a []byte, nb int) float32 {
	var acc [8]float32
	for b := 0; b < nb; b++ {
		x, y := w[b*18:b*18+18], a[b*34:b*34+34]
		l := iq4Lanes(x, y)
		d := f16(x, 0) * f16(y, 0)
		fmaLanes(&acc, d, &l)
	}
	return hsum8(&acc)
}

// dot1IQ4_NL is the dot product as ggml's AVX2 vector dot product adds it
// for one activation row: two lane accumulators, for even and odd
// blocks, added lane by lane and reduced; an odd last block adds
// (dy·dx)·sumi to the result (fused, as the compiler contracts ggml's
// scalar line).
func dot1IQ4_NL(w, a []byte, nb int) float32 {
	var acc [2][8]float32
	b := 0
	for ; b+1 < nb; b += 2 {
		for i := 0; i < 2; i++ {
			x, y := w[(b+i)*18:(b+i)*18+18], a[(b+i)*34:(b+i)*34+34]
			l := iq4Lanes(x, y)
			d := f16(y, 0) * f16(x, 0)
			for k := range l {
				acc[i][k] = fma32(d, float32(l[k]), acc[i][k])
			}
		}
	}
	var s [8]float32
	for k := range s {
		s[k] = acc[0][k] + acc[1][k]
	}
	sum := hsum8(&s)
	if b < nb {
		x, y := w[b*18:b*18+18], a[b*34:b*34+34]
		l := iq4Lanes(x, y)
		var si int32
		for _, v := range l {
			si += v
		}
		sum = fma32(f16(y, 0)*f16(x, 0), float32(si), sum)
	}
	return sum
}
