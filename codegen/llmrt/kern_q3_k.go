package llmrt

func init() {
	kernels[typeQ3_K] = &kernel{name: "Q3_K", act: actQ8_K, blockLen: 256, blockBytes: 110, dot: dotQ3_K, dequant: dequantQ3_K}
}

// q3Scales unpacks Q3_K's sixteen 6-bit scales (stored plus 32) from 12
// bytes: low four bits in a nibble of byte j%8, high two in byte 8+j%4.
func q3Scales(b []byte, out *[16]int32) {
	for j := 0; j < 16; j++ {
		lo := b[j%8] & 0xf
		if j >= 8 {
			lo = b[j%8] >> 4
		}
		hi := b[8+j%4] >> (2 * (j / 4)) & 3
		out[j] = int32(lo|hi<<4) - 32
	}
}

// q3Codes unpacks a Q3_K block's 256 signed codes: element 128h+32p+l
// takes two bits of qs[32h+l] at 2p and, when bit 4h+p of hmask[l] is
// clear, minus 4.
func q3Codes(x []byte, out *[256]int8) {
	hm, qs := x[0:32], x[32:96]
	for h := 0; h < 2; h++ {
		for p := uint(0); p < 4; p++ {
			mask := byte(1) << (4*uint(h) + p)
			o := out[h*128+int(p)*32:][:32]
			q := qs[h*32 : h*32+32]
			for l := 0; l < 32; l++ {
				v := int8(q[l] >> (2 * p) & 3)
				if hm[l]&mask == 0 {
					v -= 4
				}
				o[l] = v
			}
		}
	}
}

// Q3_K block: hmask[32] | qs[64] | scales[12] | d f16.
func dequantQ3_K(src []byte, dst []float32) {
	var sc [16]int32
	var c [256]int8
	for b := 0; b < len(dst)/256; b++ {
		blk, y := src[b*110:b*110+110], dst[b*256:b*256+256]
		q3Scales(blk[96:108], &sc)
		q3Codes(blk, &c)
		d := f16(blk, 108)
		for i := range y {
			y[i] = float32(d*float32(sc[i/16])) * float32(c[i])
		}
	}
}

// dotQ3_K sums scale·code·q8 exactly per block, then adds d·dy·isum.
func dotQ3_K(w, a []byte, nb int) float32 {
	var sc [16]int32
	var c [256]int8
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*110:b*110+110], a[b*292:b*292+292]
		q3Scales(x[96:108], &sc)
		q3Codes(x, &c)
		q8 := y[4:260]
		var isum int32
		for g := 0; g < 16; g++ {
			var s int32
			cc, yy := c[g*16:g*16+16], q8[g*16:g*16+16]
			for l := 0; l < 16; l++ {
				s += int32(cc[l]) * int32(int8(yy[l]))
			}
			isum += sc[g] * s
		}
		sum += float32(float32(f16(x, 108)*q8KScale(y)) * float32(isum))
	}
	return sum
}
