package ir

import "fmt"

// Random ops draw from the interpreter's seeded source, or from a source
// seeded by their seed attribute when it is given, so a module with seeds
// gives the same draws on every run. Their values are not those of any other
// runtime (ONNX does not define the generator).
func init() {
	Register(&OpDef{
		Name:    "RandomUniform",
		Doc:     "tensor of the given shape and dtype drawn uniformly from [low, high)",
		Kind:    Opaque,
		Traits:  Random,
		Outputs: In("output:T"),
		Types:   []TypeConstraint{TC("T", FloatNoBF16)},
		Attrs: []AttrDef{defaultedDTypeAttr("dtype", F32), AFloat("high", 1), AFloat("low", 0),
			AOptional("seed", AttrFloat), ARequired("shape", AttrInts)},
		Infer: inferRandomShaped,
	})
	Register(&OpDef{
		Name:    "RandomNormal",
		Doc:     "tensor of the given shape and dtype drawn from the normal distribution (mean, scale)",
		Kind:    Opaque,
		Traits:  Random,
		Outputs: In("output:T"),
		Types:   []TypeConstraint{TC("T", FloatNoBF16)},
		Attrs: []AttrDef{defaultedDTypeAttr("dtype", F32), AFloat("mean", 0), AFloat("scale", 1),
			AOptional("seed", AttrFloat), ARequired("shape", AttrInts)},
		Infer: inferRandomShaped,
	})
	Register(&OpDef{
		Name:    "RandomUniformLike",
		Doc:     "RandomUniform with the shape of input and its dtype unless dtype is given",
		Kind:    Opaque,
		Traits:  Random,
		Inputs:  In("input:T1"),
		Outputs: In("output:T2"),
		Types:   []TypeConstraint{TC("T1", AllTypes), TC("T2", FloatNoBF16)},
		Attrs: []AttrDef{AOptional("dtype", AttrDType), AFloat("high", 1), AFloat("low", 0),
			AOptional("seed", AttrFloat)},
		Infer: inferRandomLike,
	})
	Register(&OpDef{
		Name:    "RandomNormalLike",
		Doc:     "RandomNormal with the shape of input and its dtype unless dtype is given",
		Kind:    Opaque,
		Traits:  Random,
		Inputs:  In("input:T1"),
		Outputs: In("output:T2"),
		Types:   []TypeConstraint{TC("T1", AllTypes), TC("T2", FloatNoBF16)},
		Attrs: []AttrDef{AOptional("dtype", AttrDType), AFloat("mean", 0), AFloat("scale", 1),
			AOptional("seed", AttrFloat)},
		Infer: inferRandomLike,
	})
	Register(&OpDef{
		Name:    "Bernoulli",
		Doc:     "1 with probability input[i], else 0, in dtype (default: input's dtype)",
		Kind:    Opaque,
		Traits:  Random,
		Inputs:  In("input:T1"),
		Outputs: In("output:T2"),
		Types:   []TypeConstraint{TC("T1", FloatNoBF16), TC("T2", NumericTypes|BoolType)},
		Attrs:   []AttrDef{AOptional("dtype", AttrDType), AOptional("seed", AttrFloat)},
		Infer:   inferRandomLike,
	})
	Register(&OpDef{
		Name:    "Multinomial",
		Doc:     "sample_size class indices per batch row drawn from the softmax of the row's unnormalized log-probabilities",
		Kind:    Opaque,
		Traits:  Random,
		Inputs:  In("input:T1"),
		Outputs: In("output:T2"),
		Types:   []TypeConstraint{TC("T1", FloatNoBF16), TC("T2", IndexTypes)},
		Attrs:   []AttrDef{defaultedDTypeAttr("dtype", I32), AInt("sample_size", 1).AtLeast(1), AOptional("seed", AttrFloat)},
		Infer:   inferMultinomial,
	})
}

// defaultedDTypeAttr declares a dtype attribute with a default element type.
func defaultedDTypeAttr(name string, def DType) AttrDef {
	v := DTypeAttr(def)
	return AttrDef{Name: name, Kind: AttrDType, Default: &v}
}

func inferRandomShaped(op *Op) ([]Type, error) {
	v, ok := op.Attr("shape")
	if !ok || v.Kind != AttrInts {
		return nil, fmt.Errorf("missing shape attribute")
	}
	for _, d := range v.Ints {
		if d < 0 {
			return nil, fmt.Errorf("shape %v has a negative dim", v.Ints)
		}
	}
	d, _ := op.Attr("dtype")
	if !d.DType.IsFloat() {
		return nil, fmt.Errorf("dtype %v: want a float type", d.DType)
	}
	return []Type{TensorType(d.DType, ShapeOf(v.Ints...))}, nil
}

func inferRandomLike(op *Op) ([]Type, error) {
	x := op.Arg(0)
	if x == nil || !x.Type.IsTensor() {
		return nil, fmt.Errorf("input must be a tensor")
	}
	d := x.Type.DType
	if v, ok := op.Attr("dtype"); ok && v.Kind == AttrDType {
		d = v.DType
	}
	return []Type{TensorType(d, x.Type.Shape)}, nil
}

func inferMultinomial(op *Op) ([]Type, error) {
	x := op.Arg(0)
	if x == nil || !x.Type.IsTensor() {
		return nil, fmt.Errorf("input must be a tensor")
	}
	d, _ := op.Attr("dtype")
	if d.DType != I32 && d.DType != I64 {
		return nil, fmt.Errorf("dtype %v: want int32 or int64", d.DType)
	}
	n := op.Int("sample_size")
	if n < 1 {
		return nil, fmt.Errorf("sample_size %d: want >= 1", n)
	}
	batch := Unknown()
	if s := x.Type.Shape; s.Ranked {
		if len(s.Dims) != 2 {
			return nil, fmt.Errorf("input must be [batch, classes], got rank %d", len(s.Dims))
		}
		batch = s.Dims[0]
	}
	return []Type{TensorType(d.DType, Shape{Ranked: true, Dims: []Dim{batch, Static(n)}})}, nil
}
