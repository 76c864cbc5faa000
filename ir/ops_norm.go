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
		Inputs:  In("X", "scale", "B", "input_mean", "input_var"),
		Outputs: []Operand{{Name: "Y"}, Opt("running_mean"), Opt("running_var")},
		Attrs:   []AttrDef{AFloat("epsilon", 1e-5), AFloat("momentum", 0.9), AInt("training_mode", 0)},
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
		Inputs:  In("input", "scale", "B"),
		Outputs: In("output"),
		Attrs:   []AttrDef{AFloat("epsilon", 1e-5)},
		Infer:   InferSameAsInput,
	})
	Register(&OpDef{
		Name:    "LayerNormalization",
		Doc:     "normalizes over dims axis.. (statistics in stash_type), then Scale and optional B",
		Kind:    Opaque,
		Inputs:  []Operand{{Name: "X"}, {Name: "Scale"}, Opt("B")},
		Outputs: []Operand{{Name: "Y"}, Opt("Mean"), Opt("InvStdDev")},
		Attrs:   []AttrDef{AInt("axis", -1), AFloat("epsilon", 1e-5), AInt("stash_type", 1)},
		Infer:   inferLayerNorm,
	})
	Register(&OpDef{
		Name:    "LRN",
		Doc:     "local response normalization across size neighbouring channels",
		Kind:    Opaque,
		Inputs:  In("X"),
		Outputs: In("Y"),
		Attrs:   []AttrDef{AFloat("alpha", 1e-4), AFloat("beta", 0.75), AFloat("bias", 1), ARequired("size", AttrInt)},
		Infer:   InferSameAsInput,
	})
	Register(&OpDef{
		Name:    "MeanVarianceNormalization",
		Doc:     "(X - mean) / sqrt(variance) over axes (default [0,2,3])",
		Kind:    Opaque,
		Inputs:  In("X"),
		Outputs: In("Y"),
		Attrs:   []AttrDef{AInts("axes")},
		Infer:   InferSameAsInput,
	})
	Register(&OpDef{
		Name:    "LpNormalization",
		Doc:     "divides by the p-norm (p 1 or 2) along axis",
		Kind:    Opaque,
		Inputs:  In("input"),
		Outputs: In("output"),
		Attrs:   []AttrDef{AInt("axis", -1), AInt("p", 2)},
		Infer:   InferSameAsInput,
	})
	Register(&OpDef{
		Name:    "Dropout",
		Doc:     "identity with an all-true mask at inference; zeroes with probability ratio and rescales when training_mode",
		Kind:    Opaque,
		Inputs:  []Operand{{Name: "data"}, Opt("ratio"), Opt("training_mode")},
		Outputs: []Operand{{Name: "output"}, Opt("mask")},
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
