package llmrt

func init() {
	kernels[typeQ8_0] = &kernel{name: "Q8_0", act: actQ8_0, blockLen: 32, blockBytes: 34, dot: dot8Q8_0, dequant: dequantQ8_0}
}

// Q8_0 block: d f16 | qs[32] int8.
func dequantQ8_0(src []byte, dst []float32) {
	for b := 0; b < len(dst)/32; b++ {
		blk, y := src[b*34:b*34+34], dst[b*32:b*32+32]
		d := f16(blk, 0)
		for j, q := range blk[2:34] {
			y[j] = float32(int8(q)) * d
		}
	}
}

// isumQ8 is the exact dot product of two blocks of 32 int8 codes.
func isumQ8(x, y []byte) int32 {
	x, y = x[:32], y[:32]
	var s0, s1 int32
	for j := 0; j < 32; j += 2 {
		s0 += int32(int8(x[j])) * int32(int8(y[j]))
		s1 += int32(int8(x[j+1])) * int32(int8(y[j+1]))
	}
	return s0 + s1
}

// dotQ8_0 adds sumi·(dx·dy) per block, as ggml associates it for Q8_0.
func dotQ8_0(w, a []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*34:b*34+34], a[b*34:b*34+34]
		sum += float32(isumQ8(x[2:], y[2:])) * float32(f16(x, 0)*f16(y, 0))
	}
	return sum
}

// dotLanesQ8_0 is dotQ8_0 with the lane products of lanes.go. A code w
// is taken as w+128 = lo + 16·hi, two nibbles, so that
// Σw·a = Σlo·a + 16·Σhi·a - 128·Σa with Σa the activation block's sum:
// nibbles 0..15 times activations in ±127 allow four products (16 terms,
// |Σ| <= 30480) between extractions.
func dotLanesQ8_0(row []byte, dy []float32, lw []uint64, sums []int32, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		x := (*[34]byte)(row[b*34:])
		isum := q8Lanes((*[32]byte)(x[2:]), (*[8]uint64)(lw[b*8:])) - 128*sums[b]
		sum += float32(isum) * float32(f16(x[:], 0)*dy[b])
	}
	return sum
}

// q8Lanes returns Σ(w+128)·a over one block's 32 codes c and their
// activation words y.
func q8Lanes(c *[32]byte, y *[8]uint64) int32 {
	const (
		m    = 0x000F000F000F000F
		bias = 0x8080808080808080
	)
	v := le64(c[0:]) ^ bias
	lo := (v&m)*y[0] + (v>>8&m)*y[1]
	hi := (v>>4&m)*y[0] + (v>>12&m)*y[1]
	v = le64(c[8:]) ^ bias
	lo += (v&m)*y[2] + (v>>8&m)*y[3]
	hi += (v>>4&m)*y[2] + (v>>12&m)*y[3]
	s := lane3(lo) + 16*lane3(hi)
	v = le64(c[16:]) ^ bias
	lo = (v&m)*y[4] + (v>>8&m)*y[5]
	hi = (v>>4&m)*y[4] + (v>>12&m)*y[5]
	v = le64(c[24:]) ^ bias
	lo += (v&m)*y[6] + (v>>8&m)*y[7]
	hi += (v>>4&m)*y[6] + (v>>12&m)*y[7]
	return s + lane3(lo) + 16*lane3(hi)
}

// prefillQ8_0 is dotLanesQ8_0 of one row with the activation rows
// t0 <= t < t1 of a, adding each block's term to out[t·ldo] in block
// order: each block's nibble words are made once for all the rows.
func prefillQ8_0(row []byte, a *lanes, t0, t1 int, out []float32, ldo int) {
	const (
		m    = 0x000F000F000F000F
		bias = 0x8080808080808080
	)
	var W [16]uint64 // the low nibbles' words, then the high ones'
	for t := t0; t < t1; t++ {
		out[t*ldo] = 0
	}
	for b := 0; b < len(row)/34; b++ {
		x := (*[34]byte)(row[b*34:])
		for i := 0; i < 4; i++ {
			v := le64(x[2+8*i:]) ^ bias
			W[2*i], W[2*i+1], W[8+2*i], W[9+2*i] = v&m, v>>8&m, v>>4&m, v>>12&m
		}
		d := f16(x[:], 0)
		t := t0
		for ; t+2 <= t1; t += 2 {
			i0, i1 := q8Block2(&W, (*[8]uint64)(a.w[t*a.wRow+b*8:]), (*[8]uint64)(a.w[(t+1)*a.wRow+b*8:]))
			out[t*ldo] += float32(i0-128*a.sums[t*a.sRow+b]) * float32(d*a.d[t*a.dRow+b])
			out[(t+1)*ldo] += float32(i1-128*a.sums[(t+1)*a.sRow+b]) * float32(d*a.d[(t+1)*a.dRow+b])
		}
		if t < t1 {
			var z [8]uint64
			i0, _ := q8Block2(&W, (*[8]uint64)(a.w[t*a.wRow+b*8:]), &z)
			out[t*ldo] += float32(i0-128*a.sums[t*a.sRow+b]) * float32(d*a.d[t*a.dRow+b])
		}
	}
}

// q8Block2 returns Σ(w+128)·a over one block for two activation rows y
// and z, from its nibble words W.
func q8Block2(W *[16]uint64, y, z *[8]uint64) (int32, int32) {
	i0 := lane3(W[0]*y[0]+W[1]*y[1]+W[2]*y[2]+W[3]*y[3]) + lane3(W[4]*y[4]+W[5]*y[5]+W[6]*y[6]+W[7]*y[7]) +
		16*(lane3(W[8]*y[0]+W[9]*y[1]+W[10]*y[2]+W[11]*y[3])+lane3(W[12]*y[4]+W[13]*y[5]+W[14]*y[6]+W[15]*y[7]))
	i1 := lane3(W[0]*z[0]+W[1]*z[1]+W[2]*z[2]+W[3]*z[3]) + lane3(W[4]*z[4]+W[5]*z[5]+W[6]*z[6]+W[7]*z[7]) +
		16*(lane3(W[8]*z[0]+W[9]*z[1]+W[10]*z[2]+W[11]*z[3])+lane3(W[12]*z[4]+W[13]*z[5]+W[14]*z[6]+W[15]*z[7]))
	return i0, i1
}

// dot8Q8_0 is the dot product of nb Q8_0 weight blocks w with Q8_0
// activation blocks a in ggml's AVX2 order: lane k takes the exact sum of
// codes 4k..4k+3 of each block times dx·dy with a fused multiply-add.
func dot8Q8_0(w, a []byte, nb int) float32 {
	var acc [8]float32
	for b := 0; b < nb; b++ {
		x, y := w[b*34:b*34+34], a[b*34:b*34+34]
		d := f16(x, 0) * f16(y, 0)
		qx, qy := x[2:34], y[2:34]
		for k := 0; k < 8; k++ {
			s := int32(int8(qx[4*k]))*int32(int8(qy[4*k])) + int32(int8(qx[4*k+1]))*int32(int8(qy[4*k+1])) +
				int32(int8(qx[4*k+2]))*int32(int8(qy[4*k+2])) + int32(int8(qx[4*k+3]))*int32(int8(qy[4*k+3]))
			acc[k] = fma32(d, float32(s), acc[k])
		}
	}
	return hsum8(&acc)
}
