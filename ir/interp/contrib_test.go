package interp

import (
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// TestMatMulNBitsPacking pins the block layout of com.microsoft.MatMulNBits
// on values worked out by hand: codes packed low bits first, the default
// zero point 2^(bits-1), packed zero points, and a last block padded past K
// (K = 20 in blocks of 16) whose padding codes must not count.
func TestMatMulNBitsPacking(t *testing.T) {
	ones := make([]float32, 20)
	for i := range ones {
		ones[i] = 1
	}
	a := FromSlice([]int{1, 20}, ones)
	blob4 := []uint8{
		0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, // block 0: sixteen 9s
		0x21, 0x43, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // block 1: 1 2 3 4, then padding
	}
	blob8 := make([]uint8, 32)
	for i := 0; i < 16; i++ {
		blob8[i] = 130
		blob8[16+i] = 255 // padding
	}
	copy(blob8[16:], []uint8{120, 128, 136, 0})
	for _, c := range []struct {
		name   string
		bits   int64
		blob   []uint8
		scales []float32
		zp     []uint8
		want   float32
		fzp    []float32
	}{
		// 16*(9-8)*0.5 + ((1-8)+(2-8)+(3-8)+(4-8))*2
		{"4-bit default zero point", 4, blob4, []float32{0.5, 2}, nil, -36, nil},
		// zero points 0x3A: block 0 -> 10, block 1 -> 3.
		// 16*(9-10)*0.5 + ((1-3)+(2-3)+(3-3)+(4-3))*2
		{"4-bit packed zero points", 4, blob4, []float32{0.5, 2}, []uint8{0x3a}, -12, nil},
		// 16*(130-128)*0.25 + ((120-128)+0+(136-128)+(0-128))*1
		{"8-bit default zero point", 8, blob8, []float32{0.25, 1}, nil, -120, nil},
		// zero points 129 and 0: 16*1*0.25 + (120+128+136+0)*1
		{"8-bit zero points", 8, blob8, []float32{0.25, 1}, []uint8{129, 0}, 388, nil},
		// float zero points 129.5 and 0.5: 16*0.5*0.25 + (119.5+127.5+135.5-0.5)*1
		{"8-bit float zero points", 8, blob8, []float32{0.25, 1}, nil, 384, []float32{129.5, 0.5}},
		// 2 bits, four codes a byte: block 0 all 3 (0xff), block 1 codes
		// 0 1 2 3 (0xe4) then padding; default zero point 2.
		// 16*(3-2)*0.5 + ((0-2)+(1-2)+(2-2)+(3-2))*2
		{"2-bit default zero point", 2, []uint8{0xff, 0xff, 0xff, 0xff, 0xe4, 0xff, 0xff, 0xff}, []float32{0.5, 2}, nil, 4, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			attrs := []ir.Attr{{Name: "K", Value: ir.IntAttr(20)}, {Name: "N", Value: ir.IntAttr(1)},
				{Name: "bits", Value: ir.IntAttr(c.bits)}, {Name: "block_size", Value: ir.IntAttr(16)}}
			blob := int(16 * c.bits / 8)
			args := []*Tensor{a, FromSlice([]int{1, 2, blob}, c.blob), FromSlice([]int{2}, c.scales)}
			if c.zp != nil {
				args = append(args, FromSlice([]int{len(c.zp)}, c.zp))
			}
			if c.fzp != nil {
				args = append(args, FromSlice([]int{len(c.fzp)}, c.fzp))
			}
			out := runOneOpModule(t, "com.microsoft.MatMulNBits", attrs, 1, args...)
			got := Data[float32](out[0].(*Tensor))
			if len(got) != 1 || got[0] != c.want {
				t.Errorf("got %v, want [%v]", got, c.want)
			}
		})
	}
}
