package ir

import "fmt"

// Normalization ops and Dropout, at their opset-17 ONNX forms
// (BatchNormalization-15, InstanceNormalization-6, LayerNormalization-17,
// LRN-13, MeanVarianceNormalization-13, LpNormalization-1, Dropout-13).

func init() {
	Register(&OpDef{
		Name:    "BatchNormalization",
		Doc:     "per-channel (axis 1) normalization with running statistics, or batch statistics when training_mode=1",
		Kind:    Opaque,
		Inputs:  In("X:T", "scale:T1", "B:T1", "input_mean:T2", "input_var:T2"),
		Outputs: []Operand{Req("Y:T"), Opt("running_mean:T2"), Opt("running_var:T2")},
		Types:   []TypeConstraint{TC("T", FloatTypes), TC("T1", FloatTypes), TC("T2", FloatTypes)},
		Attrs:   []AttrDef{AFloat("epsilon", 1e-5), AFloat("momentum", 0.9), ABool("training_mode", 0)},
		Infer: func(op *Op) ([]Type, error) {
			x, err := nnTensorArg(op, 0)
			if err != nil {
				return nil, err
			}
			m, err := nnTensorArg(op, 3)
			if err != nil {
				return nil, err
			}
			return []Type{x, m, m}, nil
		},
	})
	Register(&OpDef{
		Name:    "InstanceNormalization",
		Doc:     "normalizes each (n, c) slice over its spatial dims, then scale and bias per channel",
		Kind:    Opaque,
		Inputs:  In("input:T", "scale:T", "B:T"),
		Outputs: In("output:T"),
		Types:   []TypeConstraint{TC("T", FloatNoBF16)},
		Attrs:   []AttrDef{AFloat("epsilon", 1e-5)},
		Infer:   InferSameAsInput,
	})
	Register(&OpDef{
		Name:    "LayerNormalization",
		Doc:     "normalizes over dims axis.. (statistics in stash_type), then Scale and optional B",
		Kind:    Opaque,
		Inputs:  []Operand{Req("X:T"), Req("Scale:T"), Opt("B:T")},
		Outputs: []Operand{Req("Y:T"), Opt("Mean:U"), Opt("InvStdDev:U")},
		// ONNX lists float32 and bfloat16 for U; kiln's stash_type may name
		// any float type.
		Types: []TypeConstraint{TC("T", FloatTypes), TC("U", FloatTypes)},
		Attrs: []AttrDef{AInt("axis", -1), AFloat("epsilon", 1e-5), AInt("stash_type", 1)},
		Infer: inferLayerNorm,
	})
	// GroupNormalization has GroupNormalization-21's form: scale and bias
	// per channel (GroupNormalization-18 had them per group; the importer
	// repeats them over each group's channels). The statistics are always
	// computed in float64, at least stash_type's precision.
	Register(&OpDef{
		Name:    "GroupNormalization",
		Doc:     "normalizes each group of C/num_groups channels over its channels and spatial dims, then scale and bias per channel",
		Kind:    Opaque,
		Inputs:  In("X:T", "scale:T", "bias:T"),
		Outputs: In("Y:T"),
		Types:   []TypeConstraint{TC("T", FloatTypes)},
		Attrs: []AttrDef{AFloat("epsilon", 1e-5), ARequired("num_groups", AttrInt).AtLeast(1),
			AInt("stash_type", 1)},
		Infer: InferSameAsInput,
	})
	// RMSNormalization-23: X / sqrt(mean(X*X over axis..) + epsilon) * scale.
	Register(&OpDef{
		Name:    "RMSNormalization",
		Doc:     "X divided by its root mean square over dims axis.. (plus epsilon), times scale",
		Kind:    Opaque,
		Inputs:  In("X:T", "scale:V"),
		Outputs: In("Y:V"),
		Types:   []TypeConstraint{TC("T", FloatTypes), TC("V", FloatTypes)},
		Attrs:   []AttrDef{AInt("axis", -1), AFloat("epsilon", 1e-5), AInt("stash_type", 1)},
		Infer: func(op *Op) ([]Type, error) {
			x, err := nnTensorArg(op, 0)
			if err != nil {
				return nil, err
			}
			s, err := nnTensorArg(op, 1)
			if err != nil {
				return nil, err
			}
			if x.Shape.Ranked {
				if _, err := NormAxis(op.Int("axis"), len(x.Shape.Dims)); err != nil {
					return nil, err
				}
			}
			return []Type{TensorType(s.DType, x.Shape)}, nil
		},
	})
	// RotaryEmbedding-23 (RoPE): rotates pairs of each head's first
	// rotary_embedding_dim features by position-dependent angles.
	Register(&OpDef{
		Name:    "RotaryEmbedding",
		Doc:     "rotary position embedding of X [B,H,S,D] or [B,S,H*D]: halves (or interleaved pairs) rotated by cos/sin caches, at position_ids when given",
		Kind:    Opaque,
		Inputs:  []Operand{Req("X:T"), Req("cos_cache:T"), Req("sin_cache:T"), Opt("position_ids:M")},
		Outputs: In("Y:T"),
		Types:   []TypeConstraint{TC("T", FloatTypes), TC("M", I64Type)},
		Attrs:   []AttrDef{ABool("interleaved", 0), AInt("num_heads", 0).AtLeast(0), AInt("rotary_embedding_dim", 0).AtLeast(0)},
		Infer:   InferSameAsInput,
	})
	Register(&OpDef{
		Name:    "LRN",
		Doc:     "local response normalization across size neighbouring channels",
		Kind:    Opaque,
		Inputs:  In("X:T"),
		Outputs: In("Y:T"),
		Types:   []TypeConstraint{TC("T", FloatTypes)},
		Attrs: []AttrDef{AFloat("alpha", 1e-4), AFloat("beta", 0.75), AFloat("bias", 1),
			ARequired("size", AttrInt).AtLeast(1)},
		Infer: InferSameAsInput,
	})
	Register(&OpDef{
		Name:    "MeanVarianceNormalization",
		Doc:     "(X - mean) / sqrt(variance) over axes (default [0,2,3])",
		Kind:    Opaque,
		Inputs:  In("X:T"),
		Outputs: In("Y:T"),
		Types:   []TypeConstraint{TC("T", FloatTypes)},
		Attrs:   []AttrDef{AInts("axes")},
		Infer:   InferSameAsInput,
	})
	Register(&OpDef{
		Name:    "LpNormalization",
		Doc:     "divides by the p-norm (p 1 or 2) along axis",
		Kind:    Opaque,
		Inputs:  In("input:T"),
		Outputs: In("output:T"),
		Types:   []TypeConstraint{TC("T", FloatNoBF16)},
		Attrs:   []AttrDef{AInt("axis", -1), AIntRange("p", 2, 1, 2)},
		Infer:   InferSameAsInput,
	})
	Register(&OpDef{
		Name: "Dropout",
		Doc:  "identity with an all-true mask at inference; zeroes with probability ratio and rescales when training_mode",
		Kind: Opaque,
		// Random: with training_mode true it drops elements at random.
		Traits:  Random,
		Inputs:  []Operand{Req("data:T"), Opt("ratio:T1"), Opt("training_mode:T2")},
		Outputs: []Operand{Req("output:T"), Opt("mask:T2")},
		Types:   []TypeConstraint{TC("T", FloatTypes), TC("T1", FloatTypes), TC("T2", BoolType)},
		Attrs:   []AttrDef{AOptional("seed", AttrInt)},
		Infer: func(op *Op) ([]Type, error) {
			x, err := nnTensorArg(op, 0)
			if err != nil {
				return nil, err
			}
			return []Type{x, TensorType(Bool, x.Shape)}, nil
		},
	})
}

func inferLayerNorm(op *Op) ([]Type, error) {
	x, err := nnTensorArg(op, 0)
	if err != nil {
		return nil, err
	}
	st := F32
	switch op.Int("stash_type") {
	case 1:
	case 11:
		st = F64
	case 10:
		st = F16
	case 16:
		st = BF16
	default:
		return nil, fmt.Errorf("stash_type %d is not a float type", op.Int("stash_type"))
	}
	if !x.Shape.Ranked {
		return []Type{x, TensorType(st, UnrankedShape()), TensorType(st, UnrankedShape())}, nil
	}
	axis, err := NormAxis(op.Int("axis"), len(x.Shape.Dims))
	if err != nil {
		return nil, err
	}
	s := x.Shape.Clone()
	for i := axis; i < len(s.Dims); i++ {
		s.Dims[i] = Static(1)
	}
	return []Type{x, TensorType(st, s), TensorType(st, s)}, nil
}
