package ir

import "fmt"

// The ai.onnx.preview.training optimizers take the learning rate R and the
// update count T, then n tensors to optimize followed by the same number of
// each per-tensor input (gradients, accumulated state); they return the
// updated tensors followed by the updated state, group by group.
// optimizerTypes are the type constraints of the training optimizers
// (ai.onnx.preview.training Adagrad, Adam, Momentum): a float learning rate,
// an int64 step count, and float tensors that may differ in element type
// from one optimized tensor to the next (heterogeneous variadics in ONNX).
var optimizerTypes = []TypeConstraint{TC("T1", Types(F32, F64)), TC("T2", I64Type), TC("T3", Types(F32, F64))}

func init() {
	Register(&OpDef{
		Name:    "Adagrad",
		Doc:     "one Adagrad step: inputs R, T, X..., G..., H...; outputs X_new..., H_new...",
		Kind:    Opaque,
		Inputs:  []Operand{Req("R:T1"), Req("T:T2"), VarMixed("inputs:T3")},
		Outputs: []Operand{VarMixed("outputs:T3")},
		Types:   optimizerTypes,
		Attrs:   []AttrDef{AFloat("decay_factor", 0), AFloat("epsilon", 1e-6), AFloat("norm_coefficient", 0)},
		Infer:   inferOptimizer(3, []int{0, 2}),
	})
	Register(&OpDef{
		Name:    "Adam",
		Doc:     "one Adam step: inputs R, T, X..., G..., V..., H...; outputs X_new..., V_new..., H_new...",
		Kind:    Opaque,
		Inputs:  []Operand{Req("R:T1"), Req("T:T2"), VarMixed("inputs:T3")},
		Outputs: []Operand{VarMixed("outputs:T3")},
		Types:   optimizerTypes,
		Attrs: []AttrDef{AFloat("alpha", 0.9), AFloat("beta", 0.999), AFloat("epsilon", 1e-6),
			AFloat("norm_coefficient", 0), AFloat("norm_coefficient_post", 0)},
		Infer: inferOptimizer(4, []int{0, 2, 3}),
	})
	Register(&OpDef{
		Name:    "Momentum",
		Doc:     "one SGD-with-momentum step (mode standard or nesterov): inputs R, T, X..., G..., V...; outputs X_new..., V_new...",
		Kind:    Opaque,
		Inputs:  []Operand{Req("R:T1"), Req("T:T2"), VarMixed("inputs:T3")},
		Outputs: []Operand{VarMixed("outputs:T3")},
		Types:   optimizerTypes,
		Attrs: []AttrDef{ARequired("alpha", AttrFloat), ARequired("beta", AttrFloat),
			ARequired("mode", AttrString).OneOf("standard", "nesterov"), ARequired("norm_coefficient", AttrFloat)},
		Infer: inferOptimizer(3, []int{0, 2}),
	})
}

// inferOptimizer returns the InferFunc of an optimizer whose variadic
// inputs form groups equal-sized groups and whose outputs are the input
// groups listed in outGroups, in order.
func inferOptimizer(groups int, outGroups []int) InferFunc {
	return func(op *Op) ([]Type, error) {
		vs := op.Args[2:]
		if len(vs) == 0 || len(vs)%groups != 0 {
			return nil, fmt.Errorf("%d optimized inputs: want %d equal groups", len(vs), groups)
		}
		n := len(vs) / groups
		var out []Type
		for _, g := range outGroups {
			for i := 0; i < n; i++ {
				if vs[g*n+i] == nil {
					return nil, fmt.Errorf("input %d is absent", 2+g*n+i)
				}
				out = append(out, vs[g*n+i].Type)
			}
		}
		return out, nil
	}
}
