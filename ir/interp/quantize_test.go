package interp

import (
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
