package ir

import "fmt"

// Ops of ONNX Runtime's com.microsoft domain that kiln keeps under their
// own name (docs/ir.md, "Ops that ONNX lacks"): the importer lowers every
// other com.microsoft op it reads onto default-domain ops.
//
// com.microsoft.MatMulNBits keeps its weights block-quantized: B holds
// N rows of ceil(K/block_size) blocks, each block_size codes of bits bits
// packed low bits first into block_size*bits/8 bytes; a code q of row n in
// block b stands for (q - zero_point[n,b]) * scales[n,b]. The zero points
// are packed the same way, ceil(blocks*bits/8) bytes per row, or are
// float values of A's type, one per block, and default to 2^(bits-1) when
// absent. The optional g_idx input of the contrib spec
// (a permutation of K for act-order quantization) has no place here: the
// importer refuses it by name.
//
// accuracy_level only permits lower precision in the contrib spec; kiln
// computes as ONNX Runtime 1.30's CPU kernel does on x86-64, since that is
// what int4 LLM exports (level 4) are calibrated against. Levels 0 to 3
// are full precision. Level 4 quantizes A to int8 per row and block
// (symmetric, scale amax/127, round half to even) and takes integer dot
// products when B is a constant, the zero points are integers and bits is
// 4 or 8 (any block size) or 2 (blocks of 32, 64 and 128); elsewhere level
// 4 is full precision too, as in ONNX Runtime (interp.MatMulNBitsInt8).
func init() {
	Register(&OpDef{
		Name:    "com.microsoft.MatMulNBits",
		Doc:     "Y = A times the transpose of B [N,K] (+ bias), B as packed bits-wide codes in blocks along K, each block dequantized as (code - zero_point) * scale",
		Kind:    Opaque,
		Inputs:  []Operand{Req("A:T1"), Req("B:T2"), Req("scales:T1"), Opt("zero_points:T3"), Opt("bias:T1")},
		Outputs: In("Y:T1"),
		Types:   []TypeConstraint{TC("T1", Types(F32, F16)), TC("T2", Types(U8)), TC("T3", Types(U8, F32, F16))},
		Attrs: []AttrDef{ARequired("K", AttrInt).AtLeast(1), ARequired("N", AttrInt).AtLeast(1),
			AInt("bits", 4).Range(2, 8), ARequired("block_size", AttrInt).Range(16, 1<<20),
			AInt("accuracy_level", 0).Range(0, 4)},
		Infer: inferMatMulNBits,
	})
}

// NBitsLayout is the storage layout of a com.microsoft.MatMulNBits op's
// operands, from its attributes: the block count per row of B, the bytes
// of one block, and the bytes of one row of packed zero points.
type NBitsLayout struct {
	K, N, Bits, BlockSize int64
	Blocks                int64 // ceil(K / block_size)
	BlobBytes             int64 // block_size * bits / 8
	ZeroPointRowBytes     int64 // ceil(Blocks * bits / 8)
}

// MatMulNBitsLayout checks op's attributes (block_size a power of two, at
// least 16) and returns the layout they give.
func MatMulNBitsLayout(op *Op) (NBitsLayout, error) {
	l := NBitsLayout{K: op.Int("K"), N: op.Int("N"), Bits: op.Int("bits"), BlockSize: op.Int("block_size")}
	if l.BlockSize < 16 || l.BlockSize&(l.BlockSize-1) != 0 {
		return l, fmt.Errorf("block_size %d is not a power of two of at least 16", l.BlockSize)
	}
	if l.K < 1 || l.N < 1 {
		return l, fmt.Errorf("K %d and N %d must be positive", l.K, l.N)
	}
	if l.Bits != 2 && l.Bits != 4 && l.Bits != 8 {
		return l, fmt.Errorf("bits %d: kiln supports 2, 4 and 8", l.Bits)
	}
	l.Blocks = (l.K + l.BlockSize - 1) / l.BlockSize
	l.BlobBytes = l.BlockSize * l.Bits / 8
	l.ZeroPointRowBytes = (l.Blocks*l.Bits + 7) / 8
	if _, err := ElemCount([]int64{l.N, l.Blocks, l.BlobBytes}); err != nil {
		return l, fmt.Errorf("B of N=%d rows of %d blocks: %w", l.N, l.Blocks, err)
	}
	return l, nil
}

// dimsAre reports an error unless the static dims of t equal want (t's
// unknown dims and an unranked t pass).
func dimsAre(t Type, what string, want ...int64) error {
	if !t.Shape.Ranked {
		return nil
	}
	if len(t.Shape.Dims) != len(want) {
		return fmt.Errorf("%s is %v, want shape %v", what, t, want)
	}
	for i, d := range t.Shape.Dims {
		if d.IsStatic() && d.Size != want[i] {
			return fmt.Errorf("%s is %v, want shape %v", what, t, want)
		}
	}
	return nil
}

// elemsAre reports an error unless t holds n elements, as a 1-D tensor of
// n or a 2-D tensor [rows, n/rows] (the two spellings the contrib spec
// allows for scales and zero points).
func elemsAre(t Type, what string, rows, perRow int64) error {
	if !t.Shape.Ranked {
		return nil
	}
	switch len(t.Shape.Dims) {
	case 1:
		return dimsAre(t, what, rows*perRow)
	case 2:
		return dimsAre(t, what, rows, perRow)
	}
	return fmt.Errorf("%s is %v, want [%d] or [%d,%d]", what, t, rows*perRow, rows, perRow)
}

func inferMatMulNBits(op *Op) ([]Type, error) {
	a, err := nnTensorArg(op, 0)
	if err != nil {
		return nil, err
	}
	l, err := MatMulNBitsLayout(op)
	if err != nil {
		return nil, err
	}
	if r := a.Shape.Rank(); r == 0 {
		return nil, fmt.Errorf("A is a scalar, want rank 1 or more with K=%d last", l.K)
	}
	if a.Shape.Ranked {
		if d := a.Shape.Dims[len(a.Shape.Dims)-1]; d.IsStatic() && d.Size != l.K {
			return nil, fmt.Errorf("A is %v; its last dim must be K=%d", a, l.K)
		}
	}
	b, err := nnTensorArg(op, 1)
	if err != nil {
		return nil, err
	}
	if err := dimsAre(b, "B", l.N, l.Blocks, l.BlobBytes); err != nil {
		return nil, err
	}
	s, err := nnTensorArg(op, 2)
	if err != nil {
		return nil, err
	}
	if err := elemsAre(s, "scales", l.N, l.Blocks); err != nil {
		return nil, err
	}
	if zp := op.Arg(3); zp != nil && zp.Type.IsTensor() {
		per := l.ZeroPointRowBytes
		if zp.Type.DType.IsFloat() {
			if zp.Type.DType != a.DType {
				return nil, fmt.Errorf("zero_points is %v; float zero points must have A's type %v", zp.Type, a.DType)
			}
			per = l.Blocks
		}
		if err := elemsAre(zp.Type, "zero_points", l.N, per); err != nil {
			return nil, err
		}
	}
	if bias := op.Arg(4); bias != nil && bias.Type.IsTensor() {
		if err := dimsAre(bias.Type, "bias", l.N); err != nil {
			return nil, err
		}
	}
	if !a.Shape.Ranked {
		return []Type{TensorType(a.DType, UnrankedShape())}, nil
	}
	s2 := a.Shape.Clone()
	s2.Dims[len(s2.Dims)-1] = DimInt(l.N)
	return []Type{TensorType(a.DType, s2)}, nil
}

// com.microsoft.GroupQueryAttention is ONNX Runtime's decoder attention
// with a KV cache whose fill differs per batch row: seqlens_k[b] + 1 is
// row b's total length, so the new tokens of row b sit at positions
// total_b - S .. total_b - 1 (0 .. S-1 on the first prompt, when S equals
// total_sequence_length), and each query attends causally to the keys up
// to its own position (and within local_window_size when that is
// positive). Those lengths are data, so no Attention-23 node means the
// same, and the op keeps its own name. Inputs follow the contrib spec up to
// attention_bias; position_ids and head_sink, which come after
// sin_cache in the spec, are refused by the importer. Query may pack
// Q, K and V ([B,S,(num_heads+2*kv_num_heads)*H]) with key and value
// absent. present_key/present_value are [B, kv_num_heads,
// max(total_sequence_length, past length), H], positions past a row's
// total zero.
func init() {
	Register(&OpDef{
		Name: "com.microsoft.GroupQueryAttention",
		Doc:  "causal grouped-query attention over a per-row filled KV cache (seqlens_k), with optional rotary embedding of Q and K, softcap and a local window",
		Kind: Opaque,
		Inputs: []Operand{Req("query:T"), Opt("key:T"), Opt("value:T"), Opt("past_key:T"), Opt("past_value:T"),
			Req("seqlens_k:M"), Req("total_sequence_length:M"), Opt("cos_cache:T"), Opt("sin_cache:T"), Opt("attention_bias:T")},
		Outputs: []Operand{Req("output:T"), Opt("present_key:T"), Opt("present_value:T")},
		Types:   []TypeConstraint{TC("T", Types(F32, F16)), TC("M", Types(I32))},
		Attrs: []AttrDef{ARequired("num_heads", AttrInt).AtLeast(1), ARequired("kv_num_heads", AttrInt).AtLeast(1),
			AFloat("scale", 0), AFloat("softcap", 0), AInt("local_window_size", -1), ABool("do_rotary", 0),
			ABool("rotary_interleaved", 0)},
		Infer: inferGroupQueryAttention,
	})
}

func inferGroupQueryAttention(op *Op) ([]Type, error) {
	q, err := nnTensorArg(op, 0)
	if err != nil {
		return nil, err
	}
	nq, nkv := op.Int("num_heads"), op.Int("kv_num_heads")
	if nq%nkv != 0 {
		return nil, fmt.Errorf("num_heads %d is not a multiple of kv_num_heads %d", nq, nkv)
	}
	if (op.Arg(1) == nil) != (op.Arg(2) == nil) {
		return nil, fmt.Errorf("key and value must be given together (or both left out with packed QKV)")
	}
	if (op.Arg(3) == nil) != (op.Arg(4) == nil) {
		return nil, fmt.Errorf("past_key and past_value must be given together")
	}
	if op.Int("do_rotary") != 0 && (op.Arg(7) == nil || op.Arg(8) == nil) {
		return nil, fmt.Errorf("do_rotary needs cos_cache and sin_cache")
	}
	if r := q.Shape.Rank(); r >= 0 && r != 3 {
		return nil, fmt.Errorf("query is %v, want rank 3", q)
	}
	for i, what := range []string{"key", "value"} {
		if a := op.Arg(1 + i); a != nil && a.Type.IsTensor() && a.Type.Shape.Ranked && a.Type.Shape.Rank() != 3 {
			return nil, fmt.Errorf("%s is %v, want rank 3", what, a.Type)
		}
	}
	for i, what := range []string{"past_key", "past_value"} {
		if a := op.Arg(3 + i); a != nil && a.Type.IsTensor() && a.Type.Shape.Ranked && a.Type.Shape.Rank() != 4 {
			return nil, fmt.Errorf("%s is %v, want rank 4 [B, kv_num_heads, past, head_size]", what, a.Type)
		}
	}
	if !q.Shape.Ranked {
		u := TensorType(q.DType, UnrankedShape())
		return []Type{u, TensorType(q.DType, UnknownDims(4)), TensorType(q.DType, UnknownDims(4))}, nil
	}
	b, s, w := q.Shape.Dims[0], q.Shape.Dims[1], q.Shape.Dims[2]
	out, head := Unknown(), Unknown()
	if w.IsStatic() {
		if nq > w.Size || nkv > w.Size {
			return nil, fmt.Errorf("query's last dim %d is smaller than num_heads %d or kv_num_heads %d", w.Size, nq, nkv)
		}
		per := nq
		if op.Arg(1) == nil {
			per = nq + 2*nkv
		}
		if w.Size%per != 0 {
			return nil, fmt.Errorf("query's last dim %d is not a multiple of %d heads", w.Size, per)
		}
		head = DimInt(w.Size / per)
		out = DimInt(nq * head.Size)
	}
	present := TensorType(q.DType, Shape{Ranked: true, Dims: []Dim{b, DimInt(nkv), Unknown(), head}})
	return []Type{TensorType(q.DType, Shape{Ranked: true, Dims: []Dim{b, s, out}}), present, present}, nil
}
