package ir

import "fmt"

// Attention follows ONNX Attention-23/24: scaled dot-product attention of
// Q [B,Hq,S,D] (or [B,S,Hq*D] with q_num_heads and kv_num_heads) over K
// and V with kv heads shared by Hq/Hkv query heads each, an optional mask
// (bool: attend where true; float: added), a causal mask aligned to the
// end of the past, tanh soft-capping, and past/present key-value caches.
// nonpad_kv_seqlen (Attention-24) is declared so that the importer can
// refuse it by name; the kernel does not implement it.
func init() {
	Register(&OpDef{
		Name: "Attention",
		Doc:  "softmax(Q K^T * scale (softcapped) + mask) V with grouped kv heads, causal masking and past/present caches",
		Kind: Opaque,
		Inputs: []Operand{Req("Q:T1"), Req("K:T1"), Req("V:T2"), Opt("attn_mask:U"), Opt("past_key:T1"),
			Opt("past_value:T2"), Opt("nonpad_kv_seqlen:I")},
		Outputs: []Operand{Req("Y:T1"), Opt("present_key:T1"), Opt("present_value:T2"), Opt("qk_matmul_output:T1")},
		Types: []TypeConstraint{TC("T1", FloatTypes), TC("T2", FloatTypes), TC("U", NumericTypes|BoolType),
			TC("I", I64Type)},
		Attrs: []AttrDef{ABool("is_causal", 0), AOptional("kv_num_heads", AttrInt).AtLeast(1),
			AOptional("q_num_heads", AttrInt).AtLeast(1), AInt("qk_matmul_output_mode", 0).Range(0, 3),
			AOptional("scale", AttrFloat), AFloat("softcap", 0), AOptional("softmax_precision", AttrInt)},
		Infer: inferAttention,
	})
}

func inferAttention(op *Op) ([]Type, error) {
	q, err := nnTensorArg(op, 0)
	if err != nil {
		return nil, err
	}
	k, err := nnTensorArg(op, 1)
	if err != nil {
		return nil, err
	}
	v, err := nnTensorArg(op, 2)
	if err != nil {
		return nil, err
	}
	r := q.Shape.Rank()
	if r >= 0 && r != 3 && r != 4 {
		return nil, fmt.Errorf("Q has rank %d, want 3 or 4", r)
	}
	if r == 3 && (!op.Has("q_num_heads") || !op.Has("kv_num_heads")) {
		return nil, fmt.Errorf("3-D Q, K and V need q_num_heads and kv_num_heads")
	}
	unk := func(d DType, n int) Type {
		if n < 0 {
			return TensorType(d, UnrankedShape())
		}
		return TensorType(d, UnknownDims(n))
	}
	y := unk(q.DType, r)
	if r == 4 && v.Shape.Rank() == 4 {
		y = TensorType(q.DType, Shape{Ranked: true, Dims: []Dim{q.Shape.Dims[0], q.Shape.Dims[1], q.Shape.Dims[2], v.Shape.Dims[3]}})
	}
	// 3-D: Y is [batch, q_seq, q_num_heads * v_head_size], with the
	// value head size v_hidden / kv_num_heads.
	if r == 3 && v.Shape.Rank() == 3 && v.Shape.Dims[2].IsStatic() {
		qh, kvh := op.Int("q_num_heads"), op.Int("kv_num_heads")
		if kvh > 0 && v.Shape.Dims[2].Size%kvh == 0 {
			y = TensorType(q.DType, Shape{Ranked: true, Dims: []Dim{q.Shape.Dims[0], q.Shape.Dims[1], DimInt(qh * (v.Shape.Dims[2].Size / kvh))}})
		}
	}
	// present_key/present_value: [batch, kv_heads, past_seq + kv_seq,
	// head size]; qk_matmul_output: [batch, q_heads, q_seq, that total].
	pk, pv, qk := unk(k.DType, 4), unk(v.DType, 4), unk(q.DType, 4)
	if r != 3 && r != 4 || k.Shape.Rank() != r || v.Shape.Rank() != r {
		return []Type{y, pk, pv, qk}, nil
	}
	past := DimInt(0)
	if len(op.Args) > 4 && op.Args[4] != nil {
		past = Unknown()
		if t := op.Args[4].Type; t.Kind == TensorKind && t.Shape.Rank() == 4 {
			past = t.Shape.Dims[2]
		}
	}
	// heads returns a tensor's batch, heads, sequence and head size.
	heads := func(s Shape, n int64) (b, h, seq, size Dim) {
		if r == 4 {
			return s.Dims[0], s.Dims[1], s.Dims[2], s.Dims[3]
		}
		size = Unknown()
		if s.Dims[2].IsStatic() && n > 0 && s.Dims[2].Size%n == 0 {
			size = DimInt(s.Dims[2].Size / n)
		}
		return s.Dims[0], DimInt(n), s.Dims[1], size
	}
	var qhN, kvhN int64
	if r == 3 {
		qhN, kvhN = op.Int("q_num_heads"), op.Int("kv_num_heads")
	}
	total := Unknown()
	kb, kh, ks, kd := heads(k.Shape, kvhN)
	if past.IsKnown() && ks.IsKnown() {
		total = past.Add(ks)
	}
	vb, vh, _, vd := heads(v.Shape, kvhN)
	pk = TensorType(k.DType, Shape{Ranked: true, Dims: []Dim{kb, kh, total, kd}})
	pv = TensorType(v.DType, Shape{Ranked: true, Dims: []Dim{vb, vh, total, vd}})
	qb, qh, qs, _ := heads(q.Shape, qhN)
	qk = TensorType(q.DType, Shape{Ranked: true, Dims: []Dim{qb, qh, qs, total}})
	return []Type{y, pk, pv, qk}, nil
}
