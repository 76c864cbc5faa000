package ir

import (
	"strings"
	"testing"
)

// TestLLMInfer checks the inferred types of RotaryEmbedding and Attention
// as the GGUF lifter uses them, with the symbolic dims a KV cache has, and
// Attention's refusals.
func TestLLMInfer(t *testing.T) {
	f32 := func(dims ...Dim) Type { return TensorType(F32, Shape{Ranked: true, Dims: dims}) }
	i64 := func(dims ...Dim) Type { return TensorType(I64, Shape{Ranked: true, Dims: dims}) }
	s, seq, past := Static, Symbolic("seq"), Symbolic("past_seq")
	heads := func(q, kv int64) []Attr {
		return []Attr{{"kv_num_heads", IntAttr(kv)}, {"q_num_heads", IntAttr(q)}}
	}
	tests := []struct {
		name  string
		op    string
		args  []Type // a zero Type is an absent operand
		attrs []Attr
		nres  int
		want  []string
		err   string
	}{
		{name: "rope 3-D with positions", op: "RotaryEmbedding",
			args:  []Type{f32(s(1), seq, s(64)), f32(s(128), s(4)), f32(s(128), s(4)), i64(s(1), seq)},
			attrs: []Attr{{"interleaved", IntAttr(1)}, {"num_heads", IntAttr(8)}}, nres: 1, want: []string{"f32[1,seq,64]"}},
		{name: "rope 4-D without positions", op: "RotaryEmbedding",
			args: []Type{f32(s(2), s(4), seq, s(8)), f32(s(2), seq, s(4)), f32(s(2), seq, s(4))}, nres: 1, want: []string{"f32[2,4,seq,8]"}},
		{name: "attention 3-D grouped with cache", op: "Attention",
			args:  []Type{f32(s(1), seq, s(64)), f32(s(1), seq, s(32)), f32(s(1), seq, s(32)), {}, f32(s(1), s(4), past, s(8)), f32(s(1), s(4), past, s(8))},
			attrs: append(heads(8, 4), Attr{"is_causal", IntAttr(1)}), nres: 3,
			want: []string{"f32[1,seq,64]", "f32[1,4,past_seq+seq,8]", "f32[1,4,past_seq+seq,8]"}},
		{name: "attention 4-D value head size", op: "Attention",
			args: []Type{f32(s(2), s(6), s(3), s(16)), f32(s(2), s(2), s(5), s(16)), f32(s(2), s(2), s(5), s(4))}, nres: 3,
			want: []string{"f32[2,6,3,4]", "f32[2,2,5,16]", "f32[2,2,5,4]"}},
		{name: "attention 3-D needs heads", op: "Attention",
			args: []Type{f32(s(1), seq, s(64)), f32(s(1), seq, s(32)), f32(s(1), seq, s(32))}, nres: 1, err: "needs q_num_heads"},
		{name: "attention groups", op: "Attention",
			args: []Type{f32(s(1), s(3), s(2), s(8)), f32(s(1), s(2), s(2), s(8)), f32(s(1), s(2), s(2), s(8))}, nres: 1, err: "not a multiple"},
		{name: "attention hidden", op: "Attention",
			args: []Type{f32(s(1), seq, s(60)), f32(s(1), seq, s(32)), f32(s(1), seq, s(32))}, attrs: heads(8, 4), nres: 1, err: "not a multiple of 8 heads"},
		{name: "attention ranks", op: "Attention",
			args: []Type{f32(s(1), seq, s(64)), f32(s(1), s(4), seq, s(8)), f32(s(1), s(4), seq, s(8))}, attrs: heads(8, 4), nres: 1, err: "want all 3 or all 4"},
		{name: "attention mask type", op: "Attention",
			args: []Type{f32(s(1), s(2), s(2), s(8)), f32(s(1), s(2), s(2), s(8)), f32(s(1), s(2), s(2), s(8)), i64(s(2), s(2))}, nres: 1, err: "attn_mask"},
	}
	for _, tc := range tests {
		m := NewModule()
		f := m.NewFunc("main")
		var args []*Value
		for _, a := range tc.args {
			if a.Kind == 0 && a.DType == 0 {
				args = append(args, nil)
				continue
			}
			args = append(args, f.Body.AddParam(a))
		}
		op, err := f.Body.Build(tc.op, args, tc.attrs, tc.nres)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
			}
			continue
		}
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
