package llmrt

import "encoding/binary"

func init() {
	kernels[typeQ5_0] = &kernel{name: "Q5_0", act: actQ8_0, blockLen: 32, blockBytes: 22, dot: dot8Q5_0, dotLanes: dotLanesQ5_0, dequant: dequantQ5_0}
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

// evenBits and oddBits spread bits 0, 2, 4, 6 (or 1, 3, 5, 7) of a byte
// into bit 0 of the four 16-bit lanes of a word.
var evenBits, oddBits = func() (e, o [256]uint64) {
	for i := range e {
		for j := 0; j < 4; j++ {
			e[i] |= uint64(i>>(2*j)&1) << (16 * j)
			o[i] |= uint64(i>>(2*j+1)&1) << (16 * j)
		}
	}
	return e, o
}()

// dotLanesQ5_0 is dot8Q5_0 of one row with one activation row given as
// its blocks' scales dy and lane words lw (lanes.go): the low nibbles of
// the 16 code bytes for columns 0..15, the high ones for 16..31, each 8
// with their 8 fifth bits (q5Words), at most 4·16·127 per extraction.
func dotLanesQ5_0(row []byte, dy []float32, lw []uint64, _ []int32, nb int) float32 {
	// The lanes, float32 values held in float64.
	var a0, a1, a2, a3, a4, a5, a6, a7 float64
	small := false
	row, lw, dy = row[:nb*22], lw[:nb*16], dy[:nb]
	for b := 0; b < nb; b++ {
		x := (*[22]byte)(row[b*22:])
		y := (*[16]uint64)(lw[b*16:])
		qh, v0, v1 := le32(x[2:]), le64(x[6:]), le64(x[14:])
		d := f16(x[:], 0) * dy[b]
		dd := float64(d)
		e, o := q5Words(v0, byte(qh))
		l, h := quads(e, o, (*[4]uint64)(y[0:]))
		a0, a1 = float64(sum32(dd*float64(l), a0)), float64(sum32(dd*float64(h), a1))
		e, o = q5Words(v1, byte(qh>>8))
		l, h = quads(e, o, (*[4]uint64)(y[4:]))
		a2, a3 = float64(sum32(dd*float64(l), a2)), float64(sum32(dd*float64(h), a3))
		e, o = q5Words(v0>>4, byte(qh>>16))
		l, h = quads(e, o, (*[4]uint64)(y[8:]))
		a4, a5 = float64(sum32(dd*float64(l), a4)), float64(sum32(dd*float64(h), a5))
		e, o = q5Words(v1>>4, byte(qh>>24))
		l, h = quads(e, o, (*[4]uint64)(y[12:]))
		a6, a7 = float64(sum32(dd*float64(l), a6)), float64(sum32(dd*float64(h), a7))
		small = small || tiny(d)
	}
	if small {
		return lanesExact(nb, func(b int) (float32, [8]int32) {
			x := (*[22]byte)(row[b*22:])
			l0, h0, l1, h1, l2, h2, l3, h3 := q5Block(x, (*[16]uint64)(lw[b*16:]))
			return f16(x[:], 0) * dy[b], [8]int32{l0, h0, l1, h1, l2, h2, l3, h3}
		})
	}
	return hsum8(&[8]float32{float32(a0), float32(a1), float32(a2), float32(a3), float32(a4), float32(a5), float32(a6), float32(a7)})
}

// q5Block returns the eight lane sums of a Q5_0 block x with the lane
// words y of its activations.
func q5Block(x *[22]byte, y *[16]uint64) (l0, h0, l1, h1, l2, h2, l3, h3 int32) {
	qh, v0, v1 := le32(x[2:]), le64(x[6:]), le64(x[14:])
	e, o := q5Words(v0, byte(qh))
	l0, h0 = quads(e, o, (*[4]uint64)(y[0:]))
	e, o = q5Words(v1, byte(qh>>8))
	l1, h1 = quads(e, o, (*[4]uint64)(y[4:]))
	e, o = q5Words(v0>>4, byte(qh>>16))
	l2, h2 = quads(e, o, (*[4]uint64)(y[8:]))
	e, o = q5Words(v1>>4, byte(qh>>24))
	l3, h3 = quads(e, o, (*[4]uint64)(y[12:]))
	return
}

// q5Words returns the even and odd words of 8 columns of Q5_0 from the
// low nibbles of v's bytes and their fifth bits hb: the 5-bit codes less
// 16, in signed lanes.
func q5Words(v uint64, hb byte) (even, odd uint64) {
	const m, off = 0x000F000F000F000F, 0x0010001000100010
	return v&m | evenBits[hb]<<4 - off, v>>8&m | oddBits[hb]<<4 - off
}
