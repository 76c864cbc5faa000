package ir

import "testing"

// TestAttentionInferCaches checks Attention's inferred present_key,
// present_value and qk_matmul_output: [batch, kv_heads, past + kv_seq,
// head size] and [batch, q_heads, q_seq, that total], on 3-D and 4-D
// inputs, with and without a past, symbolic dims as expressions.
func TestAttentionInferCaches(t *testing.T) {
	f32 := func(dims ...Dim) Type { return TensorType(F32, Shape{Ranked: true, Dims: dims}) }
	s := Static
	b, seq, past := Symbolic("batch"), Symbolic("seq"), Symbolic("past_seq")
	heads := []Attr{{"kv_num_heads", IntAttr(4)}, {"q_num_heads", IntAttr(8)}}
	tests := []struct {
		name  string
		args  []Type // Q, K, V, then past_key and past_value when given
		attrs []Attr
		want  []string
	}{
		{"3-D with a past (the decoder)", []Type{f32(b, seq, s(64)), f32(b, seq, s(32)), f32(b, seq, s(32)), f32(b, s(4), past, s(8)), f32(b, s(4), past, s(8))}, heads,
			[]string{"f32[batch,seq,64]", "f32[batch,4,past_seq+seq,8]", "f32[batch,4,past_seq+seq,8]", "f32[batch,8,seq,past_seq+seq]"}},
		{"3-D without a past", []Type{f32(s(2), s(3), s(64)), f32(s(2), s(5), s(32)), f32(s(2), s(5), s(48))}, heads,
			[]string{"f32[2,3,96]", "f32[2,4,5,8]", "f32[2,4,5,12]", "f32[2,8,3,5]"}},
		{"4-D with a past", []Type{f32(s(1), s(4), s(1), s(16)), f32(s(1), s(2), s(1), s(16)), f32(s(1), s(2), s(1), s(8)), f32(s(1), s(2), s(6), s(16)), f32(s(1), s(2), s(6), s(8))}, nil,
			[]string{"f32[1,4,1,8]", "f32[1,2,7,16]", "f32[1,2,7,8]", "f32[1,4,1,7]"}},
		{"3-D head size not dividing", []Type{f32(s(1), s(2), s(64)), f32(s(1), s(2), s(30)), f32(s(1), s(2), s(30))}, heads,
			[]string{"f32[?,?,?]", "f32[1,4,2,?]", "f32[1,4,2,?]", "f32[1,8,2,2]"}},
	}
	for _, tc := range tests {
		f := NewModule().NewFunc("main")
		var args []*Value
		for i, a := range tc.args {
			if i == 3 {
				args = append(args, nil) // no mask
			}
			args = append(args, f.Body.AddParam(a))
		}
		op, err := f.Body.Build("Attention", args, tc.attrs, 4)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		for i, w := range tc.want {
			if got := op.Results[i].Type.String(); got != w {
				t.Errorf("%s: result %d is %s, want %s", tc.name, i, got, w)
			}
		}
	}
}
