package quant

import (
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// TestIRTypes checks the mapping both ways and that each IR block type
// describes the same block as ggml's table.
func TestIRTypes(t *testing.T) {
	for g, d := range irTypes {
		back, ok := FromIRType(d)
		if !ok || back != g {
			t.Errorf("%s -> %v -> %v", g, d, back)
		}
		gi, di := types[g], d.Info()
		if gi.BlockLen != di.BlockLen || gi.BlockBytes != di.BlockBytes {
			t.Errorf("%s: ggml %d/%d, ir %v %d/%d", g, gi.BlockLen, gi.BlockBytes, d, di.BlockLen, di.BlockBytes)
		}
		if d.IsBlock() && !CanDequantize(g) {
			t.Errorf("%v: an IR block type kiln cannot decode", d)
		}
	}
	for _, d := range ir.DTypes() {
		if d.IsBlock() {
			if _, ok := FromIRType(d); !ok {
				t.Errorf("IR block type %v has no ggml type", d)
			}
		}
	}
	for _, g := range []GGMLType{Q8_1, Q8_K, IQ2_XXS, GGMLType(4)} {
		if d, ok := IRType(g); ok {
			t.Errorf("%s maps to %v", g, d)
		}
	}
}
