package interp

import (
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// TestAttentionMaskForms pins what kiln does, as ONNX's reference does,
// where ONNX Runtime 1.30 refuses or has no row: a mask shorter than the kv
// length is padded with masked positions, and a fully masked row gives 0.
// Q·K is 0 for both keys, so unmasked keys weigh the same.
func TestAttentionMaskForms(t *testing.T) {
	q := FromSlice([]int{1, 1, 1, 1}, []float32{1})
	k := FromSlice([]int{1, 1, 2, 1}, []float32{0, 0})
	v := FromSlice([]int{1, 1, 2, 1}, []float32{2, 4})
	cases := []struct {
		name string
		mask Value
		want float32
	}{
		{"no mask", nil, 3},
		{"short float mask", FromSlice([]int{1, 1}, []float32{0}), 2},
		{"fully masked", FromSlice([]int{1, 2}, []bool{false, false}), 0},
		{"bool mask", FromSlice([]int{1, 2}, []bool{false, true}), 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op := &ir.Op{Name: "Attention", Results: make([]*ir.Value, 1)}
			out, err := kernelAttention(nil, op, []Value{q, k, v, c.mask, nil, nil, nil})
			if err != nil {
				t.Fatal(err)
			}
			if got := Data[float32](out[0].(*Tensor))[0]; got != c.want {
				t.Errorf("Y = %v, want %v", got, c.want)
			}
		})
	}
}
