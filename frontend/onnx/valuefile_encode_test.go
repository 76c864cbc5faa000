package onnx

import (
	"testing"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// EncodeValue and DecodeValue are inverses for tensors, sequences (also
// empty and nested) and optionals (also empty).
func TestEncodeValueRoundTrip(t *testing.T) {
	ten := interp.FromSlice([]int{2}, []float32{1.5, -2})
	tt := ten.Type()
	seqT := ir.SequenceOf(tt)
	cases := []struct {
		name string
		v    interp.Value
		t    ir.Type
	}{
		{"tensor", ten, tt},
		{"sequence", &interp.Sequence{Elem: tt, Items: []interp.Value{ten, ten}}, seqT},
		{"empty sequence", &interp.Sequence{Elem: tt}, seqT},
		{"nested sequence", &interp.Sequence{Elem: seqT, Items: []interp.Value{&interp.Sequence{Elem: tt, Items: []interp.Value{ten}}}}, ir.SequenceOf(seqT)},
		{"optional tensor", &interp.Optional{Elem: tt, Value: ten}, ir.OptionalOf(tt)},
		{"empty optional", &interp.Optional{Elem: tt}, ir.OptionalOf(tt)},
		{"optional sequence", &interp.Optional{Elem: seqT, Value: &interp.Sequence{Elem: tt, Items: []interp.Value{ten}}}, ir.OptionalOf(seqT)},
	}
	for _, tc := range cases {
		b, err := EncodeValue("v", tc.v)
		if err != nil {
			t.Fatalf("%s: encode: %v", tc.name, err)
		}
		got, err := DecodeValue(b, tc.t)
		if err != nil {
			t.Fatalf("%s: decode: %v", tc.name, err)
		}
		if !sameValueTree(got, tc.v) {
			t.Errorf("%s: decoded %#v, want %#v", tc.name, got, tc.v)
		}
	}
}

func sameValueTree(a, b interp.Value) bool {
	switch x := a.(type) {
	case *interp.Tensor:
		y, ok := b.(*interp.Tensor)
		if !ok || x.DType != y.DType || x.Type().String() != y.Type().String() {
			return false
		}
		xs, ys := interp.Data[float32](x), interp.Data[float32](y)
		for i := range xs {
			if xs[i] != ys[i] {
				return false
			}
		}
		return true
	case *interp.Sequence:
		y, ok := b.(*interp.Sequence)
		if !ok || len(x.Items) != len(y.Items) {
			return false
		}
		for i := range x.Items {
			if !sameValueTree(x.Items[i], y.Items[i]) {
				return false
			}
		}
		return true
	case *interp.Optional:
		y, ok := b.(*interp.Optional)
		if !ok || (x.Value == nil) != (y.Value == nil) {
			return false
		}
		return x.Value == nil || sameValueTree(x.Value, y.Value)
	}
	return false
}
