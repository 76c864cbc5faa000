package onnx

import (
	"testing"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// EncodeValue and DecodeValue are inverses for tensors, sequences (also
// empty and nested) and optionals (also empty).
func TestEncodeValueRoundTrip(t *testing.T) {
	ten := tensor.FromSlice([]int{2}, []float32{1.5, -2})
	tt := ten.Type()
	seqT := ir.SequenceOf(tt)
	cases := []struct {
		name string
		v    tensor.Value
		t    ir.Type
	}{
		{"tensor", ten, tt},
		{"sequence", &tensor.Sequence{Elem: tt, Items: []tensor.Value{ten, ten}}, seqT},
		{"empty sequence", &tensor.Sequence{Elem: tt}, seqT},
		{"nested sequence", &tensor.Sequence{Elem: seqT, Items: []tensor.Value{&tensor.Sequence{Elem: tt, Items: []tensor.Value{ten}}}}, ir.SequenceOf(seqT)},
		{"optional tensor", &tensor.Optional{Elem: tt, Value: ten}, ir.OptionalOf(tt)},
		{"empty optional", &tensor.Optional{Elem: tt}, ir.OptionalOf(tt)},
		{"optional sequence", &tensor.Optional{Elem: seqT, Value: &tensor.Sequence{Elem: tt, Items: []tensor.Value{ten}}}, ir.OptionalOf(seqT)},
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
		if !tensor.Identical(got, tc.v) {
			t.Errorf("%s: decoded %#v, want %#v", tc.name, got, tc.v)
		}
	}
}
