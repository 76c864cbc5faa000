package llmrt

func init() {
	kernels[typeQ8_0] = &kernel{name: "Q8_0", act: actQ8_0, blockLen: 32, blockBytes: 34, dot: dotQ8_0, dot4: dot4Q8_0, dotLanes: dotLanesQ8_0, dequant: dequantQ8_0}
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

// dot4Q8_0 is dotQ8_0 of four rows stride bytes apart.
func dot4Q8_0(w []byte, stride int, a []byte, nb int, out *[4]float32) {
	var s [4]float32
	for b := 0; b < nb; b++ {
		y := a[b*34 : b*34+34]
		dy := f16(y, 0)
		for r := 0; r < 4; r++ {
			x := w[r*stride+b*34 : r*stride+b*34+34]
			s[r] += float32(isumQ8(x[2:], y[2:])) * float32(f16(x, 0)*dy)
		}
	}
	*out = s
}

// dotLanesQ8_0 is dotQ8_0 with the lane products of lanes.go. A code w
// is taken as w+128 = lo + 16·hi, two nibbles, so that
// Σw·a = Σlo·a + 16·Σhi·a - 128·Σa with Σa the activation block's sum:
// nibbles 0..15 times activations in ±127 allow four products (16 terms,
// |Σ| <= 30480) between extractions.
func dotLanesQ8_0(row, q []byte, lw []uint64, sums []int32, nb int) float32 {
	const (
		m    = 0x000F000F000F000F
		bias = 0x8080808080808080
	)
	var sum float32
	for b := 0; b < nb; b++ {
		x := (*[34]byte)(row[b*34:])
		l := (*[8]uint64)(lw[b*8:])
		v0, v1, v2, v3 := le64(x[2:])^bias, le64(x[10:])^bias, le64(x[18:])^bias, le64(x[26:])^bias
		lo0 := (v0&m)*l[0] + (v0>>8&m)*l[1] + (v1&m)*l[2] + (v1>>8&m)*l[3]
		lo1 := (v2&m)*l[4] + (v2>>8&m)*l[5] + (v3&m)*l[6] + (v3>>8&m)*l[7]
		hi0 := (v0>>4&m)*l[0] + (v0>>12&m)*l[1] + (v1>>4&m)*l[2] + (v1>>12&m)*l[3]
		hi1 := (v2>>4&m)*l[4] + (v2>>12&m)*l[5] + (v3>>4&m)*l[6] + (v3>>12&m)*l[7]
		isum := lane3(lo0) + lane3(lo1) + 16*(lane3(hi0)+lane3(hi1)) - 128*sums[b]
		sum += float32(isum) * float32(f16(x[:], 0)*f16(q, b*34))
	}
	return sum
}
