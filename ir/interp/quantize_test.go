package interp

import (
	"math"
	"reflect"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// TestQuantizeForms checks the opset-21 and -23 forms by hand-computed
// values: blocked scales, 16-bit outputs, output_dtype.
func TestQuantizeForms(t *testing.T) {
	op := func(name string, attrs ...ir.Attr) *ir.Op {
		o := &ir.Op{Name: name, Results: make([]*ir.Value, 1)}
		o.SetAttrs(attrs)
		return o
	}
	x := FromSlice([]int{1, 5}, []float32{1, 2, 3, 4, 5})
	cases := []struct {
		name string
		k    Kernel
		op   *ir.Op
		args []Value
		want any
	}{
		// Blocks of 2 along axis 1: scales 1, 0.5, 2 cover [1 2], [3 4], [5].
		{"quantize blocked", kernelQuantizeLinear, op("QuantizeLinear", ir.Attr{Name: "block_size", Value: ir.IntAttr(2)}),
			[]Value{x, FromSlice([]int{1, 3}, []float32{1, 0.5, 2}), FromSlice([]int{1, 3}, []int8{0, 1, -1})},
			[]int8{1, 2, 7, 9, 1}},
		{"quantize output_dtype i16", kernelQuantizeLinear, op("QuantizeLinear", ir.Attr{Name: "output_dtype", Value: ir.DTypeAttr(ir.I16)}),
			[]Value{x, Scalar(float32(0.0001))}, []int16{10000, 20000, 30000, 32767, 32767}},
		{"dequantize output_dtype f16", kernelDequantizeLinear, op("DequantizeLinear", ir.Attr{Name: "output_dtype", Value: ir.DTypeAttr(ir.F16)}),
			[]Value{FromSlice([]int{2}, []uint8{10, 2}), Scalar(float32(0.5)), Scalar(uint8(2))},
			[]ir.Float16{ir.F16FromFloat32(4), ir.F16FromFloat32(0)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := c.k(nil, c.op, c.args)
			if err != nil {
				t.Fatal(err)
			}
			if got := out[0].(*Tensor).Data; !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	_, err := kernelQuantizeLinear(nil, op("QuantizeLinear", ir.Attr{Name: "block_size", Value: ir.IntAttr(2)}),
		[]Value{x, FromSlice([]int{1, 2}, []float32{1, 1})})
	if err == nil {
		t.Error("blocked scale of the wrong shape: no error")
	}
}

// TestDynamicQuantizeLinearEdges pins the edge cases kiln takes from ONNX
// Runtime (kernelDynamicQuantizeLinear; the live comparison is
// frontend/onnx/modeltest's TestIntegerQuantEdges), on inputs whose range
// makes every step exact.
func TestDynamicQuantizeLinearEdges(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		name  string
		x     []float32
		y     []uint8
		scale float32
		zp    uint8
	}{
		// Range [-64, 191]: scale 1, zero point 64; halves round to even.
		{"halves to even", []float32{-64, 191, 0.5, 1.5, 2.5, -0.5}, []uint8{0, 255, 64, 66, 66, 64}, 1, 64},
		{"all zero", []float32{0, 0, 0}, []uint8{0, 0, 0}, 1, 0},
		{"NaN left out, quantized to 0", []float32{nan, -64, 191, 1}, []uint8{0, 0, 255, 65}, 1, 64},
		{"only NaN", []float32{nan, nan}, []uint8{0, 0}, 1, 0},
		// -min/scale = Inf/Inf is NaN: the zero point saturates to 255.
		{"minus infinity", []float32{-inf, 1}, []uint8{0, 255}, inf, 255},
		{"plus infinity", []float32{inf, -1}, []uint8{0, 0}, inf, 0},
		// Range [0, 510]: scale 2, zero point 0; 1.5 and 2.5 both give 2.
		{"only positive", []float32{510, 3, 5}, []uint8{255, 2, 2}, 2, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := kernelDynamicQuantizeLinear(nil, &ir.Op{Name: "DynamicQuantizeLinear"}, []Value{FromSlice([]int{len(c.x)}, c.x)})
			if err != nil {
				t.Fatal(err)
			}
			y, s, z := Data[uint8](out[0].(*Tensor)), Data[float32](out[1].(*Tensor))[0], Data[uint8](out[2].(*Tensor))[0]
			if !reflect.DeepEqual(y, c.y) || s != c.scale || z != c.zp {
				t.Errorf("got y %v scale %v zero point %v, want %v %v %v", y, s, z, c.y, c.scale, c.zp)
			}
		})
	}
}

// TestMatMulIntegerPerRowZeroPoint checks a 1-D a_zero_point, one per row
// of A, which the spec allows and ONNX Runtime 1.30 refuses (so no live
// row covers it).
func TestMatMulIntegerPerRowZeroPoint(t *testing.T) {
	a := FromSlice([]int{2, 3}, []uint8{1, 2, 3, 10, 20, 30})
	b := FromSlice([]int{3, 2}, []int8{1, -1, 2, 0, -3, 5})
	azp := FromSlice([]int{2}, []uint8{2, 20})
	bzp := FromSlice([]int{2}, []int8{1, -1})
	// (A - [2;20]) = [[-1 0 1] [-10 0 10]]; (B - [1 -1]) = [[0 0] [1 1] [-4 6]].
	want := []int32{-4, 6, -40, 60}
	out, err := kernelMatMulInteger(nil, &ir.Op{Name: "MatMulInteger"}, []Value{a, b, azp, bzp})
	if err != nil {
		t.Fatal(err)
	}
	if got := Data[int32](out[0].(*Tensor)); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
