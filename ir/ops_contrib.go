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
// are packed the same way, ceil(blocks*bits/8) bytes per row, and default
// to 2^(bits-1) when absent. The optional g_idx input of the contrib spec
// (a permutation of K for act-order quantization) has no place here: the
// importer refuses it by name.
func init() {
	Register(&OpDef{
		Name:    "com.microsoft.MatMulNBits",
		Doc:     "Y = A times the transpose of B [N,K] (+ bias), B as packed bits-wide codes in blocks along K, each block dequantized as (code - zero_point) * scale",
		Kind:    Opaque,
		Inputs:  []Operand{Req("A:T1"), Req("B:T2"), Req("scales:T1"), Opt("zero_points:T3"), Opt("bias:T1")},
		Outputs: In("Y:T1"),
		Types:   []TypeConstraint{TC("T1", Types(F32, F16)), TC("T2", Types(U8)), TC("T3", Types(U8))},
		Attrs: []AttrDef{ARequired("K", AttrInt).AtLeast(1), ARequired("N", AttrInt).AtLeast(1),
			AInt("bits", 4).Range(4, 8), ARequired("block_size", AttrInt).Range(16, 1<<20),
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
	if l.Bits != 4 && l.Bits != 8 {
		return l, fmt.Errorf("bits %d: kiln supports 4 and 8", l.Bits)
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
		if err := elemsAre(zp.Type, "zero_points", l.N, l.ZeroPointRowBytes); err != nil {
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
