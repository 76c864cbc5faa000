package interp

import (
	"fmt"
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

// TestMatMulNBitsInt8 pins accuracy_level 4 (A quantized to int8 per
// block, as ONNX Runtime computes it) on values worked out by hand. A's
// first block has amax 127, so its scale is 1 and its codes are A rounded
// half to even: 127 0.5 1.5 2.5 -0.5 -1.5 then zeros give 127 0 2 2 0 -2
// (sum 129). Its second block (K = 20: four values) has amax 63.5, scale
// 0.5, and 0.25 0.75 -63.5 1.25 times 2 round to 0 2 -127 2 (sum -123).
// Each block contributes sa*sb*sum(qa*(code - zp)).
func TestMatMulNBitsInt8(t *testing.T) {
	a := make([]float32, 20)
	copy(a, []float32{127, 0.5, 1.5, 2.5, -0.5, -1.5})
	copy(a[16:], []float32{0.25, 0.75, -63.5, 1.25})
	zeroSecond := append([]float32(nil), a...)
	clear(zeroSecond[16:])
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
		a      []float32
		bits   int64
		blob   []uint8
		scales []float32
		zp     []uint8
		level  int64
		bInput bool // B a function input rather than a constant
		want   float32
	}{
		// 1*0.5*129*(9-8) + 0.5*2*(0*-7 + 2*-6 + -127*-5 + 2*-4)
		{"4-bit", a, 4, blob4, []float32{0.5, 2}, nil, 4, false, 679.5},
		// zero points 10 and 3: 0.5*129*(9-10) + 1*(0*-2 + 2*-1 + 0 + 2*1)
		{"4-bit zero points", a, 4, blob4, []float32{0.5, 2}, []uint8{0x3a}, 4, false, -64.5},
		// an all-zero block has scale 0 and contributes nothing
		{"4-bit zero block", zeroSecond, 4, blob4, []float32{0.5, 2}, nil, 4, false, 64.5},
		// 1*0.25*129*(130-128) + 0.5*1*(0*-8 + 2*0 + -127*8 + 2*-128)
		{"8-bit", a, 8, blob8, []float32{0.25, 1}, nil, 4, false, -571.5},
		// full precision: 0.5*129.5 + 2*(0.25*-7 + 0.75*-6 + -63.5*-5 + 1.25*-4)
		{"level 0", a, 4, blob4, []float32{0.5, 2}, nil, 0, false, 677.25},
		{"level 3", a, 4, blob4, []float32{0.5, 2}, nil, 3, false, 677.25},
		// ONNX Runtime packs B for its int8 kernels only when it is constant
		{"level 4 B an input", a, 4, blob4, []float32{0.5, 2}, nil, 4, true, 677.25},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := ir.NewModule()
			f := m.NewFunc("main")
			av := FromSlice([]int{1, 20}, c.a)
			bt := FromSlice([]int{1, 2, int(16 * c.bits / 8)}, c.blob)
			args := []*ir.Value{f.AddInput("a", av.Type())}
			inputs := []Value{av}
			if c.bInput {
				args = append(args, f.AddInput("b", bt.Type()))
				inputs = append(inputs, bt)
			} else {
				args = append(args, ctlConst(t, m, "b", bt))
			}
			args = append(args, ctlConst(t, m, "scales", FromSlice([]int{2}, c.scales)))
			if c.zp != nil {
				args = append(args, ctlConst(t, m, "zp", FromSlice([]int{len(c.zp)}, c.zp)))
			}
			attrs := []ir.Attr{{Name: "K", Value: ir.IntAttr(20)}, {Name: "N", Value: ir.IntAttr(1)},
				{Name: "bits", Value: ir.IntAttr(c.bits)}, {Name: "block_size", Value: ir.IntAttr(16)},
				{Name: "accuracy_level", Value: ir.IntAttr(c.level)}}
			op, err := f.Body.Build("com.microsoft.MatMulNBits", args, attrs, 1)
			if err != nil {
				t.Fatal(err)
			}
			f.AddOutput("y", op.Results[0])
			out := ctlRunMain(t, m, inputs...)
			got := Data[float32](out[0].(*Tensor))
			if len(got) != 1 || got[0] != c.want {
				t.Errorf("got %v, want [%v]", got, c.want)
			}
		})
	}
}

// TestQuantizeInt8Block pins the rounding of A's int8 codes: the product
// a * (127/amax) in float32, then half to even.
func TestQuantizeInt8Block(t *testing.T) {
	for _, c := range []struct {
		name       string
		a          []float32
		q          []int8
		scale, sum float32
	}{
		{"ties to even", []float32{127, 0.5, 1.5, 2.5, -2.5, -3.5}, []int8{127, 0, 2, 2, -2, -4}, 1, 125},
		{"negative amax", []float32{-12.7, 6.35, 0}, []int8{-127, 64, 0}, 0.1, float32(float32(12.7)/127) * -63},
		{"zeros", []float32{0, 0}, []int8{0, 0}, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := make([]int8, len(c.a))
			scale, sum := quantizeInt8Block(c.a, q)
			if fmt.Sprint(q) != fmt.Sprint(c.q) || scale != float32(float32(c.scale)) || sum != c.sum {
				t.Errorf("got %v scale %v sum %v, want %v scale %v sum %v", q, scale, sum, c.q, c.scale, c.sum)
			}
		})
	}
}
