package ir

import "fmt"

// kiln.MatMulBlocks is a linear layer on weights kept in a ggml block type,
// computed as ggml computes it: Y = A · Bᵀ, where B holds N rows of K
// elements in a block type and each row of A is first quantized, block by
// block, to the 8-bit format ggml pairs with B's type (Q8_0, Q8_1 or
// Q8_K), then multiplied with integer dot products scaled per block.
// Rounding the activations to 8 bits is part of the definition: it is what
// llama.cpp does on the CPU, so a GGUF model lifted with this op gives
// llama.cpp's logits, not those of a float32 product with dequantized
// weights (which differ by more than the quantization of the weights
// alone).
func init() {
	Register(&OpDef{
		Name:    "kiln.MatMulBlocks",
		Doc:     "A · Bᵀ for B in a ggml block type: A's rows quantized per block to 8 bits and multiplied with integer dot products, as ggml does",
		Kind:    Opaque,
		Inputs:  In("A:T1", "B:T2"),
		Outputs: In("Y:T1"),
		Types:   []TypeConstraint{TC("T1", Types(F32)), TC("T2", BlockTypes)},
		Infer:   inferMatMulBlocks,
	})
}

// inferMatMulBlocks types Y as A's leading dims then N: A is [..., K] and
// B is [N, K], K a multiple of B's block length.
func inferMatMulBlocks(op *Op) ([]Type, error) {
	a, err := nnTensorArg(op, 0)
	if err != nil {
		return nil, err
	}
	b, err := nnTensorArg(op, 1)
	if err != nil {
		return nil, err
	}
	if !b.Shape.Ranked || len(b.Shape.Dims) != 2 {
		return nil, fmt.Errorf("B must have rank 2 ([N, K])")
	}
	n, k := b.Shape.Dims[0], b.Shape.Dims[1]
	if bl := int64(b.DType.Info().BlockLen); k.IsStatic() && k.Size%bl != 0 {
		return nil, fmt.Errorf("B's row length %d is not a multiple of %s's block length %d", k.Size, b.DType, bl)
	}
	if !a.Shape.Ranked {
		return []Type{TensorType(a.DType, Shape{})}, nil
	}
	if len(a.Shape.Dims) == 0 {
		return nil, fmt.Errorf("A must have rank 1 or more")
	}
	ka := a.Shape.Dims[len(a.Shape.Dims)-1]
	if ka.IsStatic() && k.IsStatic() && ka.Size != k.Size {
		return nil, fmt.Errorf("inner dims differ: A has %d, B has %d", ka.Size, k.Size)
	}
	dims := append(append([]Dim{}, a.Shape.Dims[:len(a.Shape.Dims)-1]...), n)
	return []Type{TensorType(a.DType, Shape{Ranked: true, Dims: dims})}, nil
}
