package ir

import "fmt"

// Matrix products, at their opset-17 ONNX forms (Gemm-13, MatMul-13,
// MatMulInteger-10, QLinearMatMul-10, Det-11).

// matmulTypes are the element types of Gemm-13 and MatMul-13: the floats
// and the 32/64-bit integers.
var matmulTypes = FloatTypes | Types(I32, I64, U32, U64)

func init() {
	Register(&OpDef{
		Name:    "Gemm",
		Doc:     "alpha * op(A) @ op(B) + beta * C for 2-D A, B (op: optional transpose), C broadcast to [M, N]",
		Kind:    Opaque,
		Traits:  EpilogueFusable,
		Inputs:  []Operand{Req("A:T"), Req("B:T"), Opt("C:T")},
		Outputs: In("Y:T"),
		Types:   []TypeConstraint{TC("T", matmulTypes)},
		Attrs:   []AttrDef{AFloat("alpha", 1), AFloat("beta", 1), ABool("transA", 0), ABool("transB", 0)},
		Infer:   inferGemm,
	})
	Register(&OpDef{
		Name:    "MatMul",
		Doc:     "numpy matmul: batched over broadcast leading dims, 1-D operands promoted and the unit dim dropped",
		Kind:    Opaque,
		Traits:  EpilogueFusable,
		Inputs:  In("A:T", "B:T"),
		Outputs: In("Y:T"),
		Types:   []TypeConstraint{TC("T", matmulTypes)},
		Infer:   func(op *Op) ([]Type, error) { return inferMatMul(op, 0, 1, InvalidDType) },
	})
	Register(&OpDef{
		Name:    "MatMulInteger",
		Doc:     "numpy matmul of (A - a_zero_point) and (B - b_zero_point) in int32",
		Kind:    Opaque,
		Inputs:  []Operand{Req("A:T1"), Req("B:T2"), Opt("a_zero_point:T1"), Opt("b_zero_point:T2")},
		Outputs: In("Y:T3"),
		Types:   []TypeConstraint{TC("T1", QuantTypes), TC("T2", QuantTypes), TC("T3", Types(I32))},
		Infer:   func(op *Op) ([]Type, error) { return inferMatMul(op, 0, 1, I32) },
	})
	Register(&OpDef{
		Name:    "QLinearMatMul",
		Doc:     "quantized numpy matmul: dequantize a and b, multiply, requantize to y_scale/y_zero_point",
		Kind:    Opaque,
		Inputs:  In("a:T1", "a_scale:F", "a_zero_point:T1", "b:T2", "b_scale:F", "b_zero_point:T2", "y_scale:F", "y_zero_point:T3"),
		Outputs: In("y:T3"),
		Types: []TypeConstraint{TC("T1", QuantTypes), TC("T2", QuantTypes), TC("T3", QuantTypes),
			TC("F", Types(F32))},
		Infer: func(op *Op) ([]Type, error) {
			zp, err := nnTensorArg(op, 7)
			if err != nil {
				return nil, err
			}
			return inferMatMul(op, 0, 3, zp.DType)
		},
	})
	Register(&OpDef{
		Name:    "Det",
		Doc:     "determinant of each square matrix in the trailing two dims",
		Kind:    Opaque,
		Inputs:  In("X:T"),
		Outputs: In("Y:T"),
		Types:   []TypeConstraint{TC("T", FloatNoBF16)},
		Infer: func(op *Op) ([]Type, error) {
			x, err := nnTensorArg(op, 0)
			if err != nil {
				return nil, err
			}
			if !x.Shape.Ranked {
				return []Type{x}, nil
			}
			n := len(x.Shape.Dims)
			if n < 2 {
				return nil, fmt.Errorf("input has rank %d, want at least 2", n)
			}
			a, b := x.Shape.Dims[n-2], x.Shape.Dims[n-1]
			if a.IsStatic() && b.IsStatic() && a.Size != b.Size {
				return nil, fmt.Errorf("matrices are %dx%d, not square", a.Size, b.Size)
			}
			return []Type{TensorType(x.DType, Shape{Ranked: true, Dims: append([]Dim{}, x.Shape.Dims[:n-2]...)})}, nil
		},
	})
}

func inferGemm(op *Op) ([]Type, error) {
	a, err := nnTensorArg(op, 0)
	if err != nil {
		return nil, err
	}
	b, err := nnTensorArg(op, 1)
	if err != nil {
		return nil, err
	}
	// ONNX transposes for any non-zero transA/transB, as the kernel does.
	ta, tb := 0, 0
	if op.Int("transA") != 0 {
		ta = 1
	}
	if op.Int("transB") != 0 {
		tb = 1
	}
	out := UnknownDims(2)
	if a.Shape.Ranked {
		if len(a.Shape.Dims) != 2 {
			return nil, fmt.Errorf("A has rank %d, want 2", len(a.Shape.Dims))
		}
		out.Dims[0] = a.Shape.Dims[ta]
	}
	if b.Shape.Ranked {
		if len(b.Shape.Dims) != 2 {
			return nil, fmt.Errorf("B has rank %d, want 2", len(b.Shape.Dims))
		}
		out.Dims[1] = b.Shape.Dims[1-tb]
	}
	if a.Shape.Ranked && b.Shape.Ranked {
		ka := a.Shape.Dims[1-ta]
		kb := b.Shape.Dims[tb]
		if ka.IsStatic() && kb.IsStatic() && ka.Size != kb.Size {
			return nil, fmt.Errorf("inner dims differ: %d and %d", ka.Size, kb.Size)
		}
	}
	return []Type{TensorType(a.DType, out)}, nil
}

// inferMatMul infers numpy matmul of operands ai and bi; d is the result
// dtype (Invalid: A's).
func inferMatMul(op *Op, ai, bi int, d DType) ([]Type, error) {
	a, err := nnTensorArg(op, ai)
	if err != nil {
		return nil, err
	}
	b, err := nnTensorArg(op, bi)
	if err != nil {
		return nil, err
	}
	if d == InvalidDType {
		d = a.DType
	}
	if !a.Shape.Ranked || !b.Shape.Ranked {
		return []Type{TensorType(d, UnrankedShape())}, nil
	}
	ad, bd := a.Shape.Dims, b.Shape.Dims
	if len(ad) == 0 || len(bd) == 0 {
		return nil, fmt.Errorf("operands must not be scalars")
	}
	a1, b1 := len(ad) == 1, len(bd) == 1
	if a1 {
		ad = []Dim{Static(1), ad[0]}
	}
	if b1 {
		bd = []Dim{bd[0], Static(1)}
	}
	k1, k2 := ad[len(ad)-1], bd[len(bd)-2]
	if k1.IsStatic() && k2.IsStatic() && k1.Size != k2.Size {
		return nil, fmt.Errorf("inner dims differ: %v and %v", a.Shape, b.Shape)
	}
	batch, err := BroadcastShapes(Shape{Ranked: true, Dims: ad[:len(ad)-2]}, Shape{Ranked: true, Dims: bd[:len(bd)-2]})
	if err != nil {
		return nil, err
	}
	dims := batch.Dims
	if !a1 {
		dims = append(dims, ad[len(ad)-2])
	}
	if !b1 {
		dims = append(dims, bd[len(bd)-1])
	}
	return []Type{TensorType(d, Shape{Ranked: true, Dims: dims})}, nil
}
