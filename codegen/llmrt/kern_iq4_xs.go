package llmrt

import "encoding/binary"

func init() {
	kernels[typeIQ4_XS] = &kernel{name: "IQ4_XS", act: actQ8_K, blockLen: 256, blockBytes: 136, dot: dotIQ4_XS, dequant: dequantIQ4_XS}
}

// iq4xsGrid holds IQ4_XS's 16 levels (IQ4_NL's grid; kept apart so that
// each type's file stands alone).
var iq4xsGrid = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

// iq4xsScale returns sub-block ib's 6-bit scale minus 32: low four bits
// from a nibble of scales_l, high two from scales_h.
func iq4xsScale(x []byte, ib int) int32 {
	sh := binary.LittleEndian.Uint16(x[2:])
	return (int32(x[4+ib/2]>>(4*(ib%2))&0xf) | int32(sh>>(2*ib)&3)<<4) - 32
}

// IQ4_XS block: d f16 | scales_h u16 | scales_l[4] | qs[128]; sub-block
// ib of 32 reads 16 code bytes, nibbles as IQ4_NL's.
func dequantIQ4_XS(src []byte, dst []float32) {
	for b := 0; b < len(dst)/256; b++ {
		blk, y := src[b*136:b*136+136], dst[b*256:b*256+256]
		d := f16(blk, 0)
		for ib := 0; ib < 8; ib++ {
			dl := d * float32(iq4xsScale(blk, ib))
			q, o := blk[8+ib*16:8+ib*16+16], y[ib*32:ib*32+32]
			for j := 0; j < 16; j++ {
				o[j] = dl * float32(iq4xsGrid[q[j]&0xf])
				o[j+16] = dl * float32(iq4xsGrid[q[j]>>4])
			}
		}
	}
}

// dotIQ4_XS sums (ls-32)·grid·q8 exactly per block, then adds d·dy·isum.
func dotIQ4_XS(w, a []byte, nb int) float32 {
	var sum float32
	for b := 0; b < nb; b++ {
		x, y := w[b*136:b*136+136], a[b*292:b*292+292]
		q8 := y[4:260]
		var isum int32
		for ib := 0; ib < 8; ib++ {
			q, yy := x[8+ib*16:8+ib*16+16], q8[ib*32:ib*32+32]
			var s int32
			for j := 0; j < 16; j++ {
				s += int32(int8(yy[j]))*int32(iq4xsGrid[q[j]&0xf]) + int32(int8(yy[j+16]))*int32(iq4xsGrid[q[j]>>4])
			}
			isum += iq4xsScale(x, ib) * s
		}
		sum += float32(float32(f16(x, 0)*q8KScale(y)) * float32(isum))
	}
	return sum
}
