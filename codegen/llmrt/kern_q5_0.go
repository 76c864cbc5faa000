package llmrt

import "encoding/binary"

func init() {
	kernels[typeQ5_0] = &kernel{name: "Q5_0", act: actQ8_0, blockLen: 32, blockBytes: 22, dot: dot8Q5_0, dequant: dequantQ5_0}
}

// q5Codes unpacks a Q5_0/Q5_1 block's 32 codes: nibbles as Q4_0's, the
// fifth bit of element j in bit j of qh; off is subtracted from each.
func q5Codes(qh uint32, qs []byte, off int32, out *[32]int32) {
	for j := 0; j < 16; j++ {
		out[j] = (int32(qs[j]&0xf) | int32(qh>>j&1)<<4) - off
		out[j+16] = (int32(qs[j]>>4) | int32(qh>>(j+16)&1)<<4) - off
	}
}

// Q5_0 block: d f16 | qh u32 | qs[16], x = d·(q-16).
func dequantQ5_0(src []byte, dst []float32) {
	var q [32]int32
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*22:b*22+22], dst[b*32:b*32+32]
		d := f16(blk, 0)
		q5Codes(binary.LittleEndian.Uint32(blk[2:]), blk[6:22], 16, &q)
		for j := range y {
			y[j] = float32(q[j]) * d
		}
	}
}

// dotQ5_0 adds (dx·dy)·sumi per block, as ggml associates it for Q5_0.
func dotQ5_0(w, a []byte, nb int) float32 {
	var q [32]int32
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*22:b*22+22], a[b*34:b*34+34]
		q5Codes(binary.LittleEndian.Uint32(x[2:]), x[6:22], 16, &q)
		q8 := y[2:34]
		var si int32
		for j, c := range q {
			si += c * int32(int8(q8[j]))
		}
		sum += float32(f16(x, 0)*f16(y, 0)) * float32(si)
	}
	return sum
}

// dotLanesQ5_0 is dotQ5_0 with the lane products of lanes.go: a nibble
// per 16-bit lane with its fifth bit put above it (spread5), minus 16.
// Signed codes -16..15 times activations in ±127 allow four products (16
// terms, |Σ| <= 32512) between extractions.
func dotLanesQ5_0(row []byte, dy []float32, lw []uint64, _ []int32, nb int) float32 {
	const (
		m   = 0x000F000F000F000F
		off = 0x0010001000100010
	)
	var sum float32
	for b := 0; b < nb; b++ {
		x := (*[22]byte)(row[b*22:])
		l := (*[8]uint64)(lw[b*8:])
		// Byte j of qs holds element j (low nibble) and j+16 (high);
		// bit e of qh is element e's fifth.
		h0, h1, h2, h3 := uint64(x[2]), uint64(x[3]), uint64(x[4]), uint64(x[5])
		v0, v1 := le64(x[6:]), le64(x[14:])
		s0 := ((v0&m|spread5(h0))-off)*l[0] + ((v0>>8&m|spread5(h0>>1))-off)*l[1] +
			((v1&m|spread5(h1))-off)*l[2] + ((v1>>8&m|spread5(h1>>1))-off)*l[3]
		s1 := ((v0>>4&m|spread5(h2))-off)*l[4] + ((v0>>12&m|spread5(h2>>1))-off)*l[5] +
			((v1>>4&m|spread5(h3))-off)*l[6] + ((v1>>12&m|spread5(h3>>1))-off)*l[7]
		sum += float32(f16(x[:], 0)*dy[b]) * float32(lane3(s0)+lane3(s1))
	}
	return sum
}

// spread5 moves bits 0, 2, 4 and 6 of h to bit 4 of 16-bit lanes 0 to 3:
// one multiply shifts each by 4, 18, 32 and 46, and no two of the
// sixteen shifted copies share a bit, so nothing carries into the mask.
func spread5(h uint64) uint64 {
	return (h & 0x55) * (1<<4 | 1<<18 | 1<<32 | 1<<46) & 0x0010001000100010
}

// prefillQ5_0 is dotLanesQ5_0 of one row with the activation rows
// t0 <= t < t1 of a, adding each block's term to out[t·ldo] in block
// order: each block's signed code words are made once for all the rows.
func prefillQ5_0(row []byte, a *lanes, t0, t1 int, out []float32, ldo int) {
	const (
		m   = 0x000F000F000F000F
		off = 0x0010001000100010
	)
	var W [8]uint64
	for t := t0; t < t1; t++ {
		out[t*ldo] = 0
	}
	for b := 0; b < len(row)/22; b++ {
		x := (*[22]byte)(row[b*22:])
		h0, h1, h2, h3 := uint64(x[2]), uint64(x[3]), uint64(x[4]), uint64(x[5])
		v0, v1 := le64(x[6:]), le64(x[14:])
		W = [8]uint64{
			(v0&m | spread5(h0)) - off, (v0>>8&m | spread5(h0>>1)) - off,
			(v1&m | spread5(h1)) - off, (v1>>8&m | spread5(h1>>1)) - off,
			(v0>>4&m | spread5(h2)) - off, (v0>>12&m | spread5(h2>>1)) - off,
			(v1>>4&m | spread5(h3)) - off, (v1>>12&m | spread5(h3>>1)) - off,
		}
		d := f16(x[:], 0)
		for t := t0; t < t1; t++ {
			y := (*[8]uint64)(a.w[t*a.wRow+b*8:])
			s := lane3(W[0]*y[0]+W[1]*y[1]+W[2]*y[2]+W[3]*y[3]) + lane3(W[4]*y[4]+W[5]*y[5]+W[6]*y[6]+W[7]*y[7])
			out[t*ldo] += float32(d*a.d[t*a.dRow+b]) * float32(s)
		}
	}
}

// dot8Q5_0 is the dot product of nb Q5_0 weight blocks with Q8_0
// activation blocks in ggml's AVX2 order, as dot8Q8_0 (codes 4k..4k+3 of
// each block in lane k).
func dot8Q5_0(w, a []byte, nb int) float32 {
	var acc [8]float32
	var q [32]int32
	for b := 0; b < nb; b++ {
		x, y := w[b*22:b*22+22], a[b*34:b*34+34]
		q5Codes(binary.LittleEndian.Uint32(x[2:]), x[6:22], 16, &q)
		d := f16(x, 0) * f16(y, 0)
		qy := y[2:34]
		for k := 0; k < 8; k++ {
			s := q[4*k]*int32(int8(qy[4*k])) + q[4*k+1]*int32(int8(qy[4*k+1])) +
				q[4*k+2]*int32(int8(qy[4*k+2])) + q[4*k+3]*int32(int8(qy[4*k+3]))
			acc[k] = fma32(d, float32(s), acc[k])
		}
	}
	return hsum8(&acc)
}
