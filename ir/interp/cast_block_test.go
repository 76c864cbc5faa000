package interp

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// TestCastBlockTypes decodes a q8_0 constant and a q4_0 input with Cast:
// block 0 of @w has scale 0.5 and codes i-16, block 1 scale -2 and codes
// 3·(i mod 5)-6; the input's one block has scale 1 and codes such that
// element j is j-8 and element j+16 is 7-j.
func TestCastBlockTypes(t *testing.T) {
	w := []string{"0", "56"} // f16 0.5
	for i := 0; i < 32; i++ {
		w = append(w, fmt.Sprint(byte(int8(i-16))))
	}
	w = append(w, "0", "192") // f16 -2
	for i := 0; i < 32; i++ {
		w = append(w, fmt.Sprint(byte(int8(3*(i%5)-6))))
	}
	src := "const @w : q8_0[2,32] = [" + strings.Join(w, ", ") + "]\n\n" +
		`func @main(%x: q4_0[1,32]) -> ("y": f32[2,32], "h": f16[2,32], "i": i32[2,32], "x": f32[1,32]) {
  %y = Cast(@w) {to = f32} : f32[2,32]
  %h = Cast(@w) {to = f16} : f16[2,32]
  %i = Cast(@w) {to = i32} : i32[2,32]
  %xf = Cast(%x) {to = f32} : f32[1,32]
  return %y, %h, %i, %xf
}
`
	m, err := ir.Parse("t.kir", []byte(src), ir.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	xb := []byte{0x00, 0x3c} // f16 1
	for j := 0; j < 16; j++ {
		xb = append(xb, byte(j)|byte(15-j)<<4)
	}
	x, err := tensor.DecodeBytes(ir.Q4_0, []int{1, 32}, xb)
	if err != nil {
		t.Fatal(err)
	}
	out, err := New(m, Options{}).Run("main", []Value{x})
	if err != nil {
		t.Fatal(err)
	}
	y := tensor.Data[float32](out[0].(*Tensor))
	h := tensor.Data[ir.Float16](out[1].(*Tensor))
	i32 := tensor.Data[int32](out[2].(*Tensor))
	for i := 0; i < 64; i++ {
		want := float32(i-16) * 0.5
		if i >= 32 {
			want = float32(3*(i%32%5)-6) * -2
		}
		if y[i] != want || h[i].Float32() != want || i32[i] != int32(want) {
			t.Errorf("element %d: %v %v %v, want %v", i, y[i], h[i].Float32(), i32[i], want)
		}
	}
	xf := tensor.Data[float32](out[3].(*Tensor))
	for j := 0; j < 16; j++ {
		if xf[j] != float32(j-8) || xf[j+16] != float32(7-j) {
			t.Errorf("input element %d, %d: %v %v", j, j+16, xf[j], xf[j+16])
		}
	}
}

// TestBlockTensorChecks: block tensors hold their raw bytes, whole blocks
// of the innermost dim, and nothing else.
func TestBlockTensorChecks(t *testing.T) {
	if _, err := tensor.DecodeBytes(ir.Q4_0, []int{1, 32}, make([]byte, 17)); err == nil {
		t.Error("17 bytes for q4_0[1,32] accepted")
	}
	if _, err := tensor.DecodeBytes(ir.Q4_0, []int{32, 1}, make([]byte, 18)); err == nil || !strings.Contains(err.Error(), "innermost dim 1") {
		t.Errorf("q4_0[32,1]: %v", err)
	}
	bad := &Tensor{DType: ir.Q4_K, Shape: []int{256}, Data: make([]float32, 256)}
	if err := bad.Check(); err == nil {
		t.Error("q4_k tensor holding float32 passed Check")
	}
	if _, err := CastTensor(bad, ir.F32); err == nil {
		t.Error("Cast of a malformed block tensor succeeded")
	}
}
