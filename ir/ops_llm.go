package ir

import "fmt"

// Attention-23, the op language models are built around, mirroring ONNX
// opset 23; RMSNormalization-23 and RotaryEmbedding-23 are declared with
// the normalizations in ops_norm.go. The GGUF lifter emits them and an
// ONNX model that already has them imports them unchanged (docs/ir.md,
// "Ops that ONNX lacks: the namespace policy").

func init() {
	// Attention-23: softmax(Q K^T * scale + mask) V per head, query heads
	// sharing key/value heads in groups (q_num_heads/kv_num_heads), keys
	// and values appended to past_key/past_value (present_key/value).
	// is_causal lets query row i see keys j <= past_sequence_length + i,
	// the alignment ONNX's errata to Attention (onnx/onnx#8068) states
	// for a cache. qk_matmul_output (the fourth ONNX result) is not
	// declared yet, and the kernel refuses a non-zero softcap.
	Register(&OpDef{
		Name: "Attention",
		Doc:  "scaled dot-product attention over 4-D [batch, heads, seq, head] or 3-D [batch, seq, heads*head] Q, K, V, with grouped-query heads, causal masking and a key/value cache",
		Kind: Opaque,
		Inputs: []Operand{Req("Q:T1"), Req("K:T1"), Req("V:T2"), Opt("attn_mask:U"),
			Opt("past_key:T1"), Opt("past_value:T2")},
		Outputs: []Operand{Req("Y:T1"), Opt("present_key:T1"), Opt("present_value:T2")},
		Types: []TypeConstraint{TC("T1", FloatTypes), TC("T2", FloatTypes),
			TC("U", FloatTypes|BoolType)},
		Attrs: []AttrDef{ABool("is_causal", 0), AOptional("kv_num_heads", AttrInt), AOptional("q_num_heads", AttrInt),
			AInt("qk_matmul_output_mode", 0).Range(0, 3), AOptional("scale", AttrFloat),
			AFloat("softcap", 0), AOptional("softmax_precision", AttrInt)},
		Infer: inferAttention,
	})
}

// attnLayout gives the batch, heads, seq and head-size dims of an
// Attention operand: 4-D as it is, 3-D split by heads (0 when unknown).
func attnLayout(t Type, heads int64, what string) (b, h, s, d Dim, err error) {
	switch t.Shape.Rank() {
	case -1:
		return Unknown(), Unknown(), Unknown(), Unknown(), nil
	case 4:
		ds := t.Shape.Dims
		return ds[0], ds[1], ds[2], ds[3], nil
	case 3:
		ds := t.Shape.Dims
		if heads <= 0 {
			return b, h, s, d, fmt.Errorf("3-D %s needs q_num_heads and kv_num_heads", what)
		}
		d = Unknown()
		if n, ok := ds[2].Int(); ok {
			if n%heads != 0 {
				return b, h, s, d, fmt.Errorf("%s hidden size %d is not a multiple of %d heads", what, n, heads)
			}
			d = Static(n / heads)
		}
		return ds[0], Static(heads), ds[1], d, nil
	}
	return b, h, s, d, fmt.Errorf("%s is %v, want 3-D or 4-D", what, t)
}

func attrIntOr(op *Op, name string, def int64) int64 {
	if v, ok := op.Attr(name); ok {
		return v.Int
	}
	return def
}

func inferAttention(op *Op) ([]Type, error) {
	var ts [3]Type
	for i := range ts {
		t, err := nnTensorArg(op, i)
		if err != nil {
			return nil, err
		}
		ts[i] = t
	}
	q, k, v := ts[0], ts[1], ts[2]
	if q.Shape.Rank() >= 0 && k.Shape.Rank() >= 0 && v.Shape.Rank() >= 0 &&
		(q.Shape.Rank() != k.Shape.Rank() || k.Shape.Rank() != v.Shape.Rank()) {
		return nil, fmt.Errorf("Q, K and V have ranks %d, %d, %d; want all 3 or all 4", q.Shape.Rank(), k.Shape.Rank(), v.Shape.Rank())
	}
	qh, kvh := attrIntOr(op, "q_num_heads", 0), attrIntOr(op, "kv_num_heads", 0)
	qb, qH, qs, _, err := attnLayout(q, qh, "Q")
	if err != nil {
		return nil, err
	}
	_, kH, ks, kd, err := attnLayout(k, kvh, "K")
	if err != nil {
		return nil, err
	}
	_, _, _, vd, err := attnLayout(v, kvh, "V")
	if err != nil {
		return nil, err
	}
	if a, ok := qH.Int(); ok {
		if b, ok := kH.Int(); ok && (b == 0 || a%b != 0) {
			return nil, fmt.Errorf("%d query heads are not a multiple of %d key/value heads", a, b)
		}
	}
	total := ks
	if p := op.Arg(4); p != nil && p.Type.Shape.Rank() == 4 {
		total = p.Type.Shape.Dims[2].Add(ks)
	} else if p != nil && p.Type.Shape.Rank() >= 0 {
		return nil, fmt.Errorf("past_key is %v, want 4-D [batch, kv_heads, past_seq, head_size]", p.Type)
	}
	var y Shape
	if q.Shape.Rank() == 3 {
		hidden := Unknown()
		if n, ok := vd.Int(); ok && qh > 0 {
			hidden = Static(n * qh)
		}
		y = Shape{Ranked: true, Dims: []Dim{qb, qs, hidden}}
	} else if q.Shape.Rank() == 4 {
		y = Shape{Ranked: true, Dims: []Dim{qb, qH, qs, vd}}
	}
	pk := Shape{Ranked: true, Dims: []Dim{qb, kH, total, kd}}
	pv := Shape{Ranked: true, Dims: []Dim{qb, kH, total, vd}}
	if q.Shape.Rank() < 0 {
		pk, pv = UnrankedShape(), UnrankedShape()
	}
	return []Type{TensorType(q.DType, y), TensorType(k.DType, pk), TensorType(v.DType, pv)}, nil
}
