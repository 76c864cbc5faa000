package ir

import (
	"reflect"
	"testing"
)

// The fused ops declare their base op's operands, types and attributes
// by hand (package init order rules out reading the base entries): they
// must match.
func TestFusedMirrorsBase(t *testing.T) {
	for fused, base := range fusedBases {
		f, b := Lookup(fused), Lookup(base)
		if !reflect.DeepEqual(f.Inputs[:len(b.Inputs)], b.Inputs) {
			t.Errorf("%s operands %v, %s has %v", fused, f.Inputs, base, b.Inputs)
		}
		if len(f.Inputs) != len(b.Inputs)+1 || !f.Inputs[len(b.Inputs)].Variadic {
			t.Errorf("%s: want %s's operands and then variadic extras", fused, base)
		}
		if !reflect.DeepEqual(f.Types, b.Types) {
			t.Errorf("%s types %+v, %s has %+v", fused, f.Types, base, b.Types)
		}
		if !reflect.DeepEqual(f.Attrs, b.Attrs) {
			t.Errorf("%s attributes %+v, %s has %+v", fused, f.Attrs, base, b.Attrs)
		}
	}
}

// kiln.FusedLayerNorm declares LayerNormalization's attributes with the
// same kinds and defaults, and its leading operands.
func TestFusedLayerNormMirrorsLN(t *testing.T) {
	f, ln := Lookup("kiln.FusedLayerNorm"), Lookup("LayerNormalization")
	if !reflect.DeepEqual(f.Attrs, ln.Attrs) {
		t.Errorf("attributes %v, LayerNormalization has %v", f.Attrs, ln.Attrs)
	}
	if !reflect.DeepEqual(f.Inputs[:prologueArgs], ln.Inputs) {
		t.Errorf("operands %v, LayerNormalization has %v", f.Inputs[:prologueArgs], ln.Inputs)
	}
}
