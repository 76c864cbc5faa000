package passes

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

// fuseRules are the rewrite rules of the fuse pass, tried in this order
// at each op.
var fuseRules = append([]*Rule{ruleLayerNorm, ruleRMSNorm, ruleBatchNormIntoConv, ruleMatMulAddGemm, ruleGeluErf, ruleAttention,
	ruleRotary, ruleRotaryHalf, ruleAttentionKV, ruleAttentionKVHeads, ruleSkipLayerNorm}, geluTanhRules...)

func init() {
	register(&Pass{
		Name:    "fuse",
		Summary: "rewrites exporter patterns into single ops (LayerNorm, RMSNorm, GELU, attention with or without a KV cache, rotary embedding, skip-LayerNorm, BatchNorm into Conv, MatMul+Add into Gemm)",
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

// ruleGeluErf recognizes the exact GELU as exporters write it:
// x * (erf(x / sqrt 2) + 1) * 0.5.
var ruleGeluErf = &Rule{
	Name: "gelu-erf",
	Doc:  "x * (Erf(x / sqrt 2) + 1) * 0.5 becomes Gelu (opset 20, approximate none)",
	Pattern: P("Mul",
		P("Mul", V("x", "f32"), P("Add", P("Erf", P("Div", Same("x"), V("sqrt2", "scalar"))), V("one", "scalar")).C()).C(),
		V("half", "scalar")).C(),
	Where: func(m *Match) bool {
		s2, ok1 := scalarFloat(m.Vals["sqrt2"])
		one, ok2 := scalarFloat(m.Vals["one"])
		half, ok3 := scalarFloat(m.Vals["half"])
		return ok1 && ok2 && ok3 && math.Abs(s2-math.Sqrt2) < 1e-6 && one == 1 && half == 0.5 &&
			m.Vals["x"].Type.Equal(m.All[len(m.All)-1].Results[0].Type)
	},
	Build: func(b *ir.Builder, m *Match) ([]*ir.Value, error) {
		op, err := b.Build("Gelu", []*ir.Value{m.Vals["x"]}, nil, 1)
		if err != nil {
			return nil, err
		}
		op.Loc = ir.MergeLocs(m.All...)
		return op.Results, nil
	},
}

// ruleAttention recognizes multi-head attention as BERT-style exporters
// write it: the projections reshaped to [b,s,H,D] and transposed to heads
// (K straight to [b,H,D,s]), Q K^T divided by a scale, an additive mask,
// Softmax over the last axis, times V, transposed back and reshaped to
// [b,s,H*D]. It becomes one Attention (opset 23) on the 3-D projections,
// with q_num_heads = kv_num_heads = H and scale = 1/divisor.
var ruleAttention = &Rule{
	Name: "attention",
	Doc:  "Reshape/Transpose to heads, MatMul(Q, K^T), Div scale, Add mask, Softmax, MatMul V, Transpose and Reshape back become Attention",
	Pattern: P("Reshape",
		P("Transpose",
			P("MatMul",
				P("Softmax",
					P("Add",
						P("Div",
							P("MatMul",
								P("Transpose", P("Reshape", V("q", "f32")).As("rq")).As("tq"),
								P("Transpose", P("Reshape", V("k", "f32")).As("rk")).As("tk")),
							V("div", "scalar")),
						V("mask", "f32")).C()).As("softmax"),
				P("Transpose", P("Reshape", V("v", "f32")).As("rv")).As("tv")),
		).As("to"),
	).As("out"),
	Where: func(m *Match) bool {
		q, k, v := m.Vals["q"].Type, m.Vals["k"].Type, m.Vals["v"].Type
		out := m.Ops["out"].Results[0].Type
		if !knownType(q) || q.Shape.Rank() != 3 || !q.Equal(k) || !q.Equal(v) || !out.Equal(q) {
			return false
		}
		// Each projection reshaped to [b, s, H, D].
		rq := m.Ops["rq"].Results[0].Type
		if rq.Shape.Rank() != 4 || !m.Ops["rk"].Results[0].Type.Equal(rq) || !m.Ops["rv"].Results[0].Type.Equal(rq) {
			return false
		}
		heads, hd := rq.Shape.Dims[2], rq.Shape.Dims[3]
		if !heads.IsStatic() || !hd.IsStatic() || !q.Shape.Dims[2].IsStatic() || heads.Size*hd.Size != q.Shape.Dims[2].Size ||
			!rq.Shape.Dims[0].Equal(q.Shape.Dims[0]) || !rq.Shape.Dims[1].Equal(q.Shape.Dims[1]) {
			return false
		}
		perm := func(name string, want ...int64) bool {
			p := transposePerm(m.Ops[name], 4)
			if len(p) != len(want) {
				return false
			}
			for i := range p {
				if p[i] != want[i] {
					return false
				}
			}
			return true
		}
		if !perm("tq", 0, 2, 1, 3) || !perm("tk", 0, 2, 3, 1) || !perm("tv", 0, 2, 1, 3) || !perm("to", 0, 2, 1, 3) {
			return false
		}
		sm := m.Ops["softmax"]
		if ax := sm.Int("axis"); ax != -1 && ax != 3 {
			return false
		}
		if d, ok := scalarFloat(m.Vals["div"]); !ok || !(d > 0) {
			return false
		}
		// The mask adds to [b, H, s, s] without changing it.
		mask := m.Vals["mask"].Type
		return mask.Shape.Ranked && mask.Shape.Rank() <= 4 && sm.Results[0].Type.Shape.Rank() == 4
	},
	Build: func(b *ir.Builder, m *Match) ([]*ir.Value, error) {
		d, _ := scalarFloat(m.Vals["div"])
		heads := m.Ops["rq"].Results[0].Type.Shape.Dims[2].Size
		op, err := b.Build("Attention", []*ir.Value{m.Vals["q"], m.Vals["k"], m.Vals["v"], m.Vals["mask"]}, []ir.Attr{
			{Name: "kv_num_heads", Value: ir.IntAttr(heads)},
			{Name: "q_num_heads", Value: ir.IntAttr(heads)},
			{Name: "scale", Value: ir.FloatAttr(float32(1 / d))},
		}, 1)
		if err != nil {
			return nil, err
		}
		if !op.Results[0].Type.Equal(m.Ops["out"].Results[0].Type) {
			return nil, nil // inference disagrees: leave the pattern
		}
		op.Loc = ir.MergeLocs(m.All...)
		return op.Results, nil
	},
}

// ruleRMSNorm recognizes RMSNorm as LLaMA-style exporters write it:
// x * (1 / sqrt(mean(x*x) + eps)) * w over the last axis.
var ruleRMSNorm = &Rule{
	Name: "rmsnorm",
	Doc:  "x * (1 / Sqrt(ReduceMean(x*x) + eps)) * w over the last axis becomes RMSNormalization (opset 23)",
	Pattern: P("Mul",
		P("Mul", V("x", "f32"),
			P("Div", V("one", "scalar"),
				P("Sqrt", P("Add", P("ReduceMean", P("Mul", Same("x"), Same("x")), V("axes", "const")).As("mean"), V("eps", "scalar")).C()))).C(),
		V("w", "const", "f32")).C(),
	Where: func(m *Match) bool {
		x := m.Vals["x"].Type
		if !x.Shape.Ranked || x.Shape.Rank() == 0 || m.Ops["mean"].Int("keepdims") != 1 || !isLastAxis(m.Vals["axes"], x.Shape.Rank()) {
			return false
		}
		one, ok1 := scalarFloat(m.Vals["one"])
		eps, ok2 := scalarFloat(m.Vals["eps"])
		last := x.Shape.Dims[x.Shape.Rank()-1]
		w := m.Vals["w"].Type
		return ok1 && one == 1 && ok2 && eps >= 0 && last.IsStatic() && w.Shape.Rank() == 1 && w.Shape.Dims[0].Equal(last)
	},
	Build: func(b *ir.Builder, m *Match) ([]*ir.Value, error) {
		eps, _ := scalarFloat(m.Vals["eps"])
		op, err := b.Build("RMSNormalization", []*ir.Value{m.Vals["x"], m.Vals["w"]},
			[]ir.Attr{{Name: "axis", Value: ir.IntAttr(-1)}, {Name: "epsilon", Value: ir.FloatAttr(float32(eps))}}, 1)
		if err != nil {
			return nil, err
		}
		op.Loc = ir.MergeLocs(m.All...)
		return op.Results, nil
	},
}
