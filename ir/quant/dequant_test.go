package quant

import (
	"encoding/binary"
	"strings"
	"testing"
)

// The IQ4 grid as ggml defines it, spelled out again here so that a typo
// in the package's table shows.
var wantGrid = [16]float64{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

// Binary16 bit patterns of the scales the blocks below use.
const (
	h0125 = 0x3000 // 0.125
	h025  = 0x3400 // 0.25
	h05   = 0x3800 // 0.5
	h1    = 0x3c00 // 1
	h15   = 0x3e00 // 1.5
	h2    = 0x4000 // 2
	hm3   = 0xc200 // -3
	hm05  = 0xb800 // -0.5
)

// handBlock builds one block of a format from per-element codes and
// per-group scales, following the layout ggml-common.h documents, and
// gives the value each element must decode to, computed in float64 from
// the format's formula. Variant v changes the codes, so that a row of two
// blocks shows each block is read from its own offset.
type handBlock struct {
	t    GGMLType
	make func(v int) (blk []byte, want []float64)
}

func le16(b []byte, off int, h uint16) { binary.LittleEndian.PutUint16(b[off:], h) }

// nib sets the low (hi=false) or high nibble of b[i].
func nib(b []byte, i int, hi bool, v int) {
	if hi {
		b[i] |= byte(v) << 4
	} else {
		b[i] |= byte(v)
	}
}

var handBlocks = []handBlock{
	{Q4_0, func(v int) ([]byte, []float64) {
		b, want := make([]byte, 18), make([]float64, 32)
		le16(b, 0, hm05)
		for e := range want {
			c := (e*7 + v) % 16
			nib(b, 2+e%16, e >= 16, c)
			want[e] = float64(c-8) * -0.5
		}
		return b, want
	}},
	{Q4_1, func(v int) ([]byte, []float64) {
		b, want := make([]byte, 20), make([]float64, 32)
		le16(b, 0, h025)
		le16(b, 2, h15)
		for e := range want {
			c := (e*3 + v) % 16
			nib(b, 4+e%16, e >= 16, c)
			want[e] = float64(c)*0.25 + 1.5
		}
		return b, want
	}},
	{Q5_0, func(v int) ([]byte, []float64) {
		b, want := make([]byte, 22), make([]float64, 32)
		le16(b, 0, h025)
		var qh uint32
		for e := range want {
			c := (e*5 + v) % 32
			nib(b, 6+e%16, e >= 16, c&15)
			qh |= uint32(c>>4) << e
			want[e] = float64(c-16) * 0.25
		}
		binary.LittleEndian.PutUint32(b[2:], qh)
		return b, want
	}},
	{Q5_1, func(v int) ([]byte, []float64) {
		b, want := make([]byte, 24), make([]float64, 32)
		le16(b, 0, h05)
		le16(b, 2, hm3)
		var qh uint32
		for e := range want {
			c := (e*11 + v) % 32
			nib(b, 8+e%16, e >= 16, c&15)
			qh |= uint32(c>>4) << e
			want[e] = float64(c)*0.5 - 3
		}
		binary.LittleEndian.PutUint32(b[4:], qh)
		return b, want
	}},
	{Q8_0, func(v int) ([]byte, []float64) {
		b, want := make([]byte, 34), make([]float64, 32)
		le16(b, 0, h0125)
		for e := range want {
			c := e*8 - 128 + v
			b[2+e] = byte(int8(c))
			want[e] = float64(c) * 0.125
		}
		return b, want
	}},
	{Q2_K, func(v int) ([]byte, []float64) {
		// scales[16] | qs[64] | d | dmin; group g: scale g%4+1, min g%3.
		b, want := make([]byte, 84), make([]float64, 256)
		le16(b, 80, h025)
		le16(b, 82, h1)
		for g := 0; g < 16; g++ {
			b[g] = byte(g%4+1) | byte(g%3)<<4
		}
		for e := range want {
			h, p, l := e/128, (e%128)/32, e%32
			c := (e/32 + e + v) % 4
			b[16+h*32+l] |= byte(c) << (2 * p)
			g := e / 16
			want[e] = 0.25*float64(g%4+1)*float64(c) - float64(g%3)
		}
		return b, want
	}},
	{Q3_K, func(v int) ([]byte, []float64) {
		// hmask[32] | qs[64] | scales[12] | d; group j: scale j-8 (stored
		// j+24, so the high bits are used), codes -4..3.
		b, want := make([]byte, 110), make([]float64, 256)
		le16(b, 108, h05)
		for j := 0; j < 16; j++ {
			s := j + 24
			if j < 8 {
				b[96+j] |= byte(s & 15)
			} else {
				b[96+j-8] |= byte(s&15) << 4
			}
			b[96+8+j%4] |= byte(s>>4) << (2 * (j / 4))
		}
		for e := range want {
			h, p, l := e/128, (e%128)/32, e%32
			c := (e*3+v)%8 - 4
			low, high := c, 1
			if c < 0 {
				low, high = c+4, 0
			}
			b[32+h*32+l] |= byte(low) << (2 * p)
			b[l] |= byte(high) << (4*h + p)
			want[e] = 0.5 * float64(e/16-8) * float64(c)
		}
		return b, want
	}},
	{Q4_K, func(v int) ([]byte, []float64) { return kBlock(v, false) }},
	{Q5_K, func(v int) ([]byte, []float64) { return kBlock(v, true) }},
	{Q6_K, func(v int) ([]byte, []float64) {
		// ql[128] | qh[64] | scales[16] int8 | d; group g: scale g-8.
		b, want := make([]byte, 210), make([]float64, 256)
		le16(b, 208, h0125)
		for g := 0; g < 16; g++ {
			b[192+g] = byte(int8(g - 8))
		}
		for e := range want {
			h, k, l := e/128, (e%128)/32, e%32
			c := (e*7 + v) % 64
			nib(b, h*64+l+(k%2)*32, k >= 2, c&15)
			b[128+h*32+l] |= byte(c>>4) << (2 * k)
			want[e] = 0.125 * float64(e/16-8) * float64(c-32)
		}
		return b, want
	}},
	{IQ4_NL, func(v int) ([]byte, []float64) {
		b, want := make([]byte, 18), make([]float64, 32)
		le16(b, 0, h2)
		for e := range want {
			c := (e*5 + v) % 16
			nib(b, 2+e%16, e >= 16, c)
			want[e] = 2 * wantGrid[c]
		}
		return b, want
	}},
	{IQ4_XS, func(v int) ([]byte, []float64) {
		// d | scales_h u16 | scales_l[4] | qs[128]; sub-block ib: scale
		// 3·ib-10 (stored 3·ib+22).
		b, want := make([]byte, 136), make([]float64, 256)
		le16(b, 0, h05)
		var sh uint16
		for ib := 0; ib < 8; ib++ {
			s := 3*ib + 22
			nib(b, 4+ib/2, ib%2 == 1, s&15)
			sh |= uint16(s>>4) << (2 * ib)
		}
		le16(b, 2, sh)
		for e := range want {
			ib, j := e/32, e%32
			c := (e*3 + v) % 16
			nib(b, 8+ib*16+j%16, j >= 16, c)
			want[e] = 0.5 * float64(3*ib-10) * wantGrid[c]
		}
		return b, want
	}},
}

// kBlock builds a Q4_K (or with fifth bits a Q5_K) block: d=1, dmin=0.5;
// sub-block s has scale s+1 and min 2s, except sub-block 5 whose scale 42
// and min 49 need the two high bits kept in bytes 1 and 5.
func kBlock(v int, five bool) ([]byte, []float64) {
	size, qs := 144, 16
	if five {
		size, qs = 176, 48
	}
	b, want := make([]byte, size), make([]float64, 256)
	le16(b, 0, h1)
	le16(b, 2, h05)
	sc := [8]int{1, 2, 3, 4, 5, 42, 7, 8}
	mn := [8]int{0, 2, 4, 6, 8, 49, 12, 14}
	sl := b[4:16]
	for j := 0; j < 8; j++ {
		if j < 4 {
			sl[j] = byte(sc[j])
			sl[j+4] = byte(mn[j])
			continue
		}
		sl[j+4] = byte(sc[j]&15) | byte(mn[j]&15)<<4
		sl[j-4] |= byte(sc[j]>>4) << 6
		sl[j] |= byte(mn[j]>>4) << 6
	}
	levels := 16
	if five {
		levels = 32
	}
	for e := range want {
		s, l := e/32, e%32
		c := (e*3 + v) % levels
		nib(b, qs+(s/2)*32+l, s%2 == 1, c&15)
		if five {
			b[16+l] |= byte(c>>4) << s
		}
		want[e] = float64(sc[s])*float64(c) - 0.5*float64(mn[s])
	}
	return b, want
}

func TestDequantizeHandmade(t *testing.T) {
	for _, hb := range handBlocks {
		t.Run(hb.t.String(), func(t *testing.T) {
			var row []byte
			var want []float64
			for v := 0; v < 2; v++ {
				b, w := hb.make(v)
				if len(b) != types[hb.t].BlockBytes || len(w) != types[hb.t].BlockLen {
					t.Fatalf("handmade block: %d bytes, %d values", len(b), len(w))
				}
				row, want = append(row, b...), append(want, w...)
			}
			got := make([]float32, len(want))
			if err := DequantizeRow(hb.t, row, got); err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if float64(got[i]) != want[i] {
					t.Fatalf("element %d: got %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}

func TestDequantizeScalar(t *testing.T) {
	src := []byte{0, 0, 0x80, 0x3f, 0, 0, 0xc0, 0xbf} // 1.0, -1.5 as f32
	got := make([]float32, 2)
	if err := DequantizeF32(src, got); err != nil || got[0] != 1 || got[1] != -1.5 {
		t.Fatalf("F32: %v %v", got, err)
	}
	if err := DequantizeF16([]byte{0x00, 0x3c, 0x00, 0xc2}, got); err != nil || got[0] != 1 || got[1] != -3 {
		t.Fatalf("F16: %v %v", got, err)
	}
	if err := DequantizeBF16([]byte{0x80, 0x3f, 0xc0, 0xbf}, got); err != nil || got[0] != 1 || got[1] != -1.5 {
		t.Fatalf("BF16: %v %v", got, err)
	}
}

func TestDequantizeErrors(t *testing.T) {
	for _, c := range []struct {
		t    GGMLType
		src  int
		dst  int
		want string
	}{
		{Q4_0, 18, 31, "not a multiple of its block length 32"},
		{Q4_0, 17, 32, "take 18 bytes, have 17"},
		{Q4_K, 144, 512, "take 288 bytes, have 144"},
		{IQ2_XXS, 66, 256, "IQ2_XXS is not supported"},
		{GGMLType(4), 18, 32, "type(4) is not supported"},
	} {
		err := DequantizeRow(c.t, make([]byte, c.src), make([]float32, c.dst))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v, %d bytes, %d values: got %v, want %q", c.t, c.src, c.dst, err, c.want)
		}
	}
	// Every per-type entry point checks its sizes.
	for _, f := range []func([]byte, []float32) error{
		DequantizeF32, DequantizeF16, DequantizeBF16, DequantizeQ4_0, DequantizeQ4_1, DequantizeQ5_0,
		DequantizeQ5_1, DequantizeQ8_0, DequantizeQ2_K, DequantizeQ3_K, DequantizeQ4_K, DequantizeQ5_K,
		DequantizeQ6_K, DequantizeIQ4_NL, DequantizeIQ4_XS,
	} {
		if err := f(make([]byte, 7), make([]float32, 256)); err == nil {
			t.Errorf("7 bytes for 256 values accepted")
		}
	}
}
