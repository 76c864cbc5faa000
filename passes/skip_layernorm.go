package passes

import (
	"github.com/kiln-ml/kiln/ir"
)

// ruleSkipLayerNorm moves the Add that a LayerNormalization reads into a
// prologue: LN(a + b) becomes kiln.FusedLayerNorm(a, scale, bias, b) whose
// prologue region adds its two element params, one pass over a and b
// instead of writing their sum and reading it back (the skip-LayerNorm of
// transformer encoders). b must broadcast to a's shape without changing
// it, the sum must be read by the LayerNormalization alone, and the LN's
// optional Mean and InvStdDev results must be unread.
//
// An Add whose operand the epilogue pass would take into a Conv, Gemm or
// MatMul (the residual add after a projection) is left to it: in the
// producer's epilogue the add costs nothing, while moving it here would
// leave the producer's bias add behind as a kernel of its own once
// codegen unfuses. So the rule fires where no producer could take the
// add, such as the sum of embeddings that BERT normalizes first.
var ruleSkipLayerNorm = &Rule{
	Name:    "skip-layernorm",
	Doc:     "LayerNormalization(Add(a, b)), the sum read by the LN alone and no Conv/Gemm/MatMul epilogue able to take the add, becomes kiln.FusedLayerNorm with the add in its prologue",
	Pattern: P("LayerNormalization", P("Add", V("a", "f32"), V("b", "f32")).As("add")).As("ln"),
	Where: func(m *Match) bool {
		ln, add := m.Ops["ln"], m.Ops["add"]
		if len(ln.Results) != 1 || !knownType(add.Results[0].Type) {
			return false
		}
		return !epilogueCouldTake(m.Vals["a"], 4) && !epilogueCouldTake(m.Vals["b"], 4)
	},
	Build: func(b *ir.Builder, m *Match) ([]*ir.Value, error) {
		ln, add := m.Ops["ln"], m.Ops["add"]
		x, e := m.Vals["a"], m.Vals["b"]
		if !x.Type.Equal(add.Results[0].Type) {
			x, e = e, x
		}
		if !x.Type.Equal(add.Results[0].Type) {
			return nil, nil // both broadcast: no operand can lead
		}
		args := []*ir.Value{x, ln.Arg(1), ln.Arg(2), e}
		op, err := b.NewOp("kiln.FusedLayerNorm", args, ln.Attrs, []ir.Type{ln.Results[0].Type})
		if err != nil {
			return nil, err
		}
		pro := op.AddRegion("prologue")
		scalar := ir.TensorType(x.Type.DType, ir.ShapeOf())
		px, pe := pro.AddParam(scalar), pro.AddParam(scalar)
		// The operands in the Add's order: float addition is commutative,
		// but the text should read as the model did.
		l, r := px, pe
		if add.Args[0] != x {
			l, r = pe, px
		}
		sum, err := ir.BuildAtEnd(pro).Build("Add", []*ir.Value{l, r}, nil, 1)
		if err != nil {
			return nil, err
		}
		pro.Results = []*ir.Value{sum.Results[0]}
		if err := ir.InferTypes(op); err != nil {
			return nil, err
		}
		op.Loc = ir.MergeLocs(m.All...)
		return op.Results, nil
	},
}

// epilogueCouldTake reports whether v is, through up to depth
// elementwise or broadcast ops, the result of a float32 Conv, Gemm or
// MatMul, whose epilogue could then take an add of v.
func epilogueCouldTake(v *ir.Value, depth int) bool {
	d := v.Def
	if d == nil || depth == 0 || v.Type.DType != ir.F32 {
		return false
	}
	switch d.Name {
	case "Conv", "Gemm", "MatMul", "kiln.FusedConv", "kiln.FusedGemm", "kiln.FusedMatMul":
		return true
	}
	if def := ir.Lookup(d.Name); def == nil || (def.Kind != ir.Elementwise && def.Kind != ir.Broadcast) {
		return false
	}
	for _, a := range d.Args {
		if a != nil && epilogueCouldTake(a, depth-1) {
			return true
		}
	}
	return false
}
