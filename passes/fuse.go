package passes

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

// fuseRules are the rewrite rules of the fuse pass, tried in this order
// at each op.
var fuseRules = []*Rule{ruleLayerNorm, ruleBatchNormIntoConv, ruleMatMulAddGemm}

func init() {
	register(&Pass{
		Name:    "fuse",
		Summary: "rewrites exporter patterns into single ops (LayerNorm, BatchNorm into Conv, MatMul+Add into Gemm)",
		Doc: `Fusion by rewrite rules, run by one worklist driver (rules.go): a rule's
pattern is matched at every op its root names, ops the match covers must
not be read from outside it, and the first rule that matches rewrites the
root; per-rule hit counts are the pass's statistics. The rules:
` + ruleDoc(fuseRules) + `
    before:  %m = ReduceMean(%x, @ax)        after:  %y = LayerNormalization(%x, @g, @b)
             %d = Sub(%x, %m)                             {axis = -1, epsilon = 1e-12}
             %p = Pow(%d, @two)
             %v = ReduceMean(%p, @ax)
             %e = Add(%v, @eps)
             %s = Sqrt(%e)
             %n = Div(%d, %s)
             %w = Mul(%n, @g)
             %y = Add(%w, @b)`,
		Run: func(m *ir.Module, st Stats) error { return applyRules(m, fuseRules, st) },
	})
}

// ruleLayerNorm recognizes LayerNorm as exporters decompose it (PyTorch's
// before opset 17): (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) *
// gamma + beta over the last axis.
var ruleLayerNorm = &Rule{
	Name: "layernorm",
	Doc:  "the decomposed LayerNorm over the last axis (ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, Mul gamma, Add beta) becomes LayerNormalization",
	Pattern: P("Add",
		P("Mul",
			P("Div",
				P("Sub", V("x", "f32"), P("ReduceMean", Same("x"), V("axes1", "const")).As("mean1")).As("d"),
				P("Sqrt", P("Add",
					P("ReduceMean", P("Pow", Same("d"), V("two", "scalar")), V("axes2", "const")).As("mean2"),
					V("eps", "scalar")).C())),
			V("gamma", "const")).C(),
		V("beta", "const")).C(),
	Where: func(m *Match) bool {
		x := m.Vals["x"].Type
		if !x.Shape.Ranked || x.Shape.Rank() == 0 {
			return false
		}
		r := x.Shape.Rank()
		last := x.Shape.Dims[r-1]
		for _, n := range []string{"mean1", "mean2"} {
			if m.Ops[n].Int("keepdims") != 1 || !isLastAxis(m.Vals["axes"+n[len(n)-1:]], r) {
				return false
			}
		}
		two, ok1 := scalarFloat(m.Vals["two"])
		eps, ok2 := scalarFloat(m.Vals["eps"])
		if !ok1 || two != 2 || !ok2 || eps < 0 {
			return false
		}
		for _, n := range []string{"gamma", "beta"} {
			t := m.Vals[n].Type
			if t.DType != ir.F32 || t.Shape.Rank() != 1 || !last.IsStatic() || !t.Shape.Dims[0].Equal(last) {
				return false
			}
		}
		return true
	},
	Build: func(b *ir.Builder, m *Match) ([]*ir.Value, error) {
		eps, _ := scalarFloat(m.Vals["eps"])
		op, err := b.Build("LayerNormalization", []*ir.Value{m.Vals["x"], m.Vals["gamma"], m.Vals["beta"]},
			[]ir.Attr{{Name: "axis", Value: ir.IntAttr(-1)}, {Name: "epsilon", Value: ir.FloatAttr(float32(eps))}}, 1)
		if err != nil {
			return nil, err
		}
		op.Loc = ir.MergeLocs(m.All...)
		return op.Results, nil
	},
}

// ruleBatchNormIntoConv folds an inference BatchNormalization into the
// Conv it reads: y = (conv(x) - mean) * s + bias with s = scale /
// sqrt(var + eps) is conv(x) with weights W*s (per output channel) and
// bias (b - mean)*s + bias.
var ruleBatchNormIntoConv = &Rule{
	Name: "batchnorm-into-conv",
	Doc:  "an inference BatchNormalization of a Conv with constant weights folds into the Conv's weights and bias",
	Pattern: P("BatchNormalization",
		P("Conv", V("x"), V("w", "const", "f32")).As("conv"),
		V("scale", "const", "f32"), V("bias", "const", "f32"), V("mean", "const", "f32"), V("var", "const", "f32")).As("bn"),
	Where: func(m *Match) bool {
		bn, conv := m.Ops["bn"], m.Ops["conv"]
		if bn.Int("training_mode") != 0 || len(bn.Results) != 1 {
			return false
		}
		if cb := conv.Arg(2); cb != nil && (!cb.IsConst() || cb.Type.DType != ir.F32) {
			return false
		}
		w := m.Vals["w"].Type
		if !w.Shape.IsStatic() || w.Shape.Rank() < 1 {
			return false
		}
		oc := w.Shape.Dims[0].Size
		for _, n := range []string{"scale", "bias", "mean", "var"} {
			if t := m.Vals[n].Type; !t.Shape.IsStatic() || t.Shape.NumElements() != oc {
				return false
			}
		}
		return true
	},
	Build: func(b *ir.Builder, m *Match) ([]*ir.Value, error) {
		bn, conv := m.Ops["bn"], m.Ops["conv"]
		w, err1 := constFloats(m.Vals["w"])
		scale, err2 := constFloats(m.Vals["scale"])
		bias, err3 := constFloats(m.Vals["bias"])
		mean, err4 := constFloats(m.Vals["mean"])
		variance, err5 := constFloats(m.Vals["var"])
		for _, err := range []error{err1, err2, err3, err4, err5} {
			if err != nil {
				return nil, err
			}
		}
		oc := len(scale)
		cb := make([]float64, oc)
		if v := conv.Arg(2); v != nil {
			var err error
			if cb, err = constFloats(v); err != nil {
				return nil, err
			}
		}
		eps := float64(bn.Float("epsilon"))
		per := len(w) / oc
		nw := make([]float64, len(w))
		nb := make([]float64, oc)
		for c := 0; c < oc; c++ {
			s := scale[c] / math.Sqrt(variance[c]+eps)
			for i := c * per; i < (c+1)*per; i++ {
				nw[i] = w[i] * s
			}
			nb[c] = (cb[c]-mean[c])*s + bias[c]
		}
		wv, err := addFloatConst(m.Module, "fuse."+nameOf(m.Vals["w"]), m.Vals["w"].Type, nw)
		if err != nil {
			return nil, err
		}
		bv, err := addFloatConst(m.Module, "fuse."+nameOf(m.Vals["w"])+".bias", ir.TensorType(ir.F32, ir.ShapeOf(int64(oc))), nb)
		if err != nil {
			return nil, err
		}
		op, err := b.Build("Conv", []*ir.Value{m.Vals["x"], wv, bv}, conv.Attrs, 1)
		if err != nil {
			return nil, err
		}
		op.Loc = ir.MergeLocs(conv, bn)
		return op.Results, nil
	},
}

// ruleMatMulAddGemm turns a 2-D MatMul by a constant plus a constant bias
// into Gemm, whose kernels add the bias in the GEMM's write-out.
var ruleMatMulAddGemm = &Rule{
	Name:    "matmul-add-gemm",
	Doc:     "Add(MatMul(a, B), c) with a and constant B of rank 2 and a constant c of shape [N] or [1,N] becomes Gemm(a, B, c)",
	Pattern: P("Add", P("MatMul", V("a", "f32"), V("b", "const", "f32")).As("mm"), V("c", "const", "f32")).C(),
	Where: func(m *Match) bool {
		a, b, c := m.Vals["a"].Type, m.Vals["b"].Type, m.Vals["c"].Type
		if a.Shape.Rank() != 2 || b.Shape.Rank() != 2 || !b.Shape.IsStatic() || !c.Shape.IsStatic() {
			return false
		}
		n := b.Shape.Dims[1].Size
		switch c.Shape.Rank() {
		case 1:
			return c.Shape.Dims[0].Size == n
		case 2:
			return c.Shape.Dims[0].Size == 1 && c.Shape.Dims[1].Size == n
		}
		return false
	},
	Build: func(b *ir.Builder, m *Match) ([]*ir.Value, error) {
		op, err := b.Build("Gemm", []*ir.Value{m.Vals["a"], m.Vals["b"], m.Vals["c"]}, nil, 1)
		if err != nil {
			return nil, err
		}
		op.Loc = ir.MergeLocs(m.All...)
		return op.Results, nil
	},
}

// isLastAxis reports whether the constant axes holds exactly the last
// axis of a rank-r tensor.
func isLastAxis(axes *ir.Value, r int) bool {
	ax, ok := constInts(axes)
	return ok && len(ax) == 1 && (ax[0] == int64(r-1) || ax[0] == -1)
}

// scalarFloat returns the one element of a float constant.
func scalarFloat(v *ir.Value) (float64, bool) {
	xs, err := constFloats(v)
	if err != nil || len(xs) != 1 {
		return 0, false
	}
	return xs[0], true
}

// constFloats returns the elements of a floating-point module constant.
func constFloats(v *ir.Value) ([]float64, error) {
	if v == nil || !v.IsConst() || !v.Type.IsTensor() || !v.Type.DType.IsFloat() {
		return nil, fmt.Errorf("not a float constant")
	}
	return ir.DecodeFloat64s(v.Type.DType, v.Const.Bytes)
}

// addFloatConst adds a constant of type t (a float type) holding xs,
// each rounded once to t's element type, under a name made unique from
// base.
func addFloatConst(m *ir.Module, base string, t ir.Type, xs []float64) (*ir.Value, error) {
	b, err := ir.EncodeFloat64s(t.DType, xs)
	if err != nil {
		return nil, err
	}
	name := base
	for k := 2; m.Const(name) != nil; k++ {
		name = fmt.Sprintf("%s.%d", base, k)
	}
	return m.AddConst(name, t, &ir.Constant{Bytes: b}), nil
}

// nameOf is a value's name for naming what replaces it.
func nameOf(v *ir.Value) string {
	if v.Const != nil {
		return v.Const.Name
	}
	return v.Name
}
