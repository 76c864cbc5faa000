package passes

import (
	"math"
	"slices"

	"github.com/kiln-ml/kiln/ir"
)

// ruleAttentionKV recognizes decoder attention with an explicit KV cache
// and grouped-query heads, as LLaMA-style decoders are exported (the
// stories260K ONNX decoder):
//
//	present_k = Concat(past_k, Transpose(Reshape(k, [b,s,Hkv,D])), axis 2)
//	present_v = Concat(past_v, Transpose(Reshape(v, [b,s,Hkv,D])), axis 2)
//	q4 = Reshape(Transpose(Reshape(q, [b,s,Hq,D])), [b,Hkv,G*s,D])
//	w  = Softmax(Where(causal, Reshape(q4 @ present_k^T / d, [b,Hkv,G,s,T]), -big))
//	y  = Reshape(Transpose(Reshape(Reshape(w, [b,Hkv,G*s,T]) @ present_v, [b,Hq,s,D])), [b,s,Hq*D])
//
// where G = Hq/Hkv query heads share a kv head (query head h reads kv head
// h/G, as Attention's grouping does) and causal is key j <= query i + the
// past length, built from Range over the shapes. It becomes one Attention
// (opset 23) on the 3-D q, k, v with past_key/past_value and the present
// outputs, is_causal = 1, and scale = 1/d (left to its default 1/sqrt(D)
// when that is the same float32).
//
// The masked fill is a large negative constant (-1e9 in PyTorch exports)
// where Attention uses -inf: the same weights as long as the kept scores
// stay above fill + 745 (exp underflows in float64 beyond that), which
// any real activations do; a fill above -1e9 is not taken as a mask.
var ruleAttentionKV = newAttentionKVRule(true)

// ruleAttentionKVHeads is attention-kv without grouped heads (Hq = Hkv):
// no regrouping reshapes, the mask applied to the [b,H,s,T] scores.
var ruleAttentionKVHeads = newAttentionKVRule(false)

func newAttentionKVRule(grouped bool) *Rule {
	return &Rule{
		Name:    "attention-kv",
		Doc:     "grouped-query attention over a Concat KV cache with a causal Where mask (Reshape/Transpose to heads, MatMul, Div, Where, Softmax, MatMul, back) becomes Attention with past and present",
		Pattern: attentionKVPattern(grouped),
		Where:   func(m *Match) bool { _, ok := attentionKVForm(m); return ok },
		Build: func(b *ir.Builder, m *Match) ([]*ir.Value, error) {
			f, ok := attentionKVForm(m)
			if !ok {
				return nil, nil
			}
			root := m.All[len(m.All)-1]
			pk, pv := m.Vals["pk"], m.Vals["pv"]
			attrs := []ir.Attr{
				{Name: "is_causal", Value: ir.IntAttr(1)},
				{Name: "kv_num_heads", Value: ir.IntAttr(f.kvHeads)},
				{Name: "q_num_heads", Value: ir.IntAttr(f.qHeads)},
			}
			if s := float32(1 / f.div); s != float32(1/math.Sqrt(float64(f.headDim))) {
				attrs = append(attrs, ir.Attr{Name: "scale", Value: ir.FloatAttr(s)})
			}
			// After the later cache Concat: the present values replace the
			// Concats' results, whose other readers (the model's outputs, shape
			// computations) come after them.
			at := ir.BuildAfter(f.lastConcat)
			op, err := at.NewOp("Attention", []*ir.Value{f.q, f.k, f.v, nil, f.pastK, f.pastV}, attrs,
				[]ir.Type{root.Results[0].Type, pk.Type, pv.Type})
			if err != nil {
				return nil, err
			}
			if err := ir.InferTypes(op); err != nil {
				_ = ir.EraseOp(op)
				return nil, nil
			}
			op.Loc = ir.MergeLocs(append([]*ir.Op{pk.Def, pv.Def}, m.All...)...)
			body := root.Parent.Root()
			ir.ReplaceAllUses(body, pk, op.Results[1])
			ir.ReplaceAllUses(body, pv, op.Results[2])
			// The Concats and the head reshapes of k and v are dead now; their
			// names go to the values that replace them.
			op.Results[1].Name, op.Results[2].Name = pk.Name, pv.Name
			for _, c := range []*ir.Op{pk.Def, pv.Def} {
				eraseDeadChain(body, c)
			}
			op.Results[0].Name = root.Results[0].Name
			return op.Results[:1], nil
		},
	}
}

// attentionKVPattern is attention-kv's pattern, with the grouping
// reshapes around the scores and the output (grouped) or without.
func attentionKVPattern(grouped bool) *Pat {
	group := func(p *Pat, name string) *Pat {
		if !grouped {
			return p
		}
		return P("Reshape", p).As(name)
	}
	q := group(P("Transpose", P("Reshape", V("q", "f32")).As("rq")).As("tq"), "gq")
	scores := P("Div", P("MatMul", q, P("Transpose", V("pk", "f32")).As("tk")), V("div", "scalar")).As("scores")
	weights := group(P("Softmax", P("Where", V("causal"), group(scores, "split"), V("fill", "scalar"))).As("softmax"), "merge")
	out := group(P("MatMul", weights, V("pv", "f32")).As("wv"), "ungroup")
	return P("Reshape", P("Transpose", out).As("to")).As("out")
}

// attentionKV is what attentionKVForm read off a match.
type attentionKV struct {
	q, k, v, pastK, pastV *ir.Value
	qHeads, kvHeads       int64
	headDim               int64
	div                   float64
	lastConcat            *ir.Op
}

// attentionKVForm checks an attention-kv match: head reshapes and
// transposes, the cache Concats, the grouping reshapes, the scale, the
// causal mask and its fill.
func attentionKVForm(m *Match) (attentionKV, bool) {
	var f attentionKV
	res := func(name string) ir.Type { return m.Ops[name].Results[0].Type }
	q := m.Vals["q"].Type
	if !knownType(q) || q.Shape.Rank() != 3 || !q.Shape.Dims[2].IsStatic() || !res("out").Equal(q) {
		return f, false
	}
	b, s := q.Shape.Dims[0], q.Shape.Dims[1]
	rq := res("rq").Shape
	if rq.Rank() != 4 || !rq.Dims[0].Equal(b) || !rq.Dims[1].Equal(s) || !rq.Dims[2].IsStatic() || !rq.Dims[3].IsStatic() {
		return f, false
	}
	hq, d := rq.Dims[2].Size, rq.Dims[3].Size
	if hq*d != q.Shape.Dims[2].Size || !permIs(m.Ops["tq"], 0, 2, 1, 3) || !permIs(m.Ops["to"], 0, 2, 1, 3) || !permIs(m.Ops["tk"], 0, 1, 3, 2) {
		return f, false
	}
	// present = Concat(past, Transpose(Reshape(x, [b,s,Hkv,D]), 0,2,1,3)) on axis 2.
	cache := func(v *ir.Value) (x, past *ir.Value, ok bool) {
		c := v.Def
		if c == nil || c.Name != "Concat" || len(c.Args) != 2 || len(c.Results) != 1 || c.Int("axis") != 2 || c.Parent != m.Ops["out"].Parent {
			return nil, nil, false
		}
		t := c.Args[1].Def
		if t == nil || t.Name != "Transpose" || !permIs(t, 0, 2, 1, 3) || t.Args[0].Def == nil || t.Args[0].Def.Name != "Reshape" {
			return nil, nil, false
		}
		return t.Args[0].Def.Args[0], c.Args[0], true
	}
	k, pastK, ok1 := cache(m.Vals["pk"])
	v, pastV, ok2 := cache(m.Vals["pv"])
	if !ok1 || !ok2 {
		return f, false
	}
	kt, pkt := k.Type, m.Vals["pk"].Type
	if !knownType(kt) || kt.Shape.Rank() != 3 || !kt.Equal(v.Type) || !kt.Shape.Dims[0].Equal(b) || !kt.Shape.Dims[1].Equal(s) ||
		!kt.Shape.Dims[2].IsStatic() || kt.Shape.Dims[2].Size%d != 0 || !pkt.Equal(m.Vals["pv"].Type) || pkt.Shape.Rank() != 4 {
		return f, false
	}
	hkv := kt.Shape.Dims[2].Size / d
	if hkv == 0 || hq%hkv != 0 || !pastK.Type.Equal(pastV.Type) || pastK.Type.Shape.Rank() != 4 {
		return f, false
	}
	g := hq / hkv
	past := pastK.Type.Shape.Dims[2]
	total := pkt.Shape.Dims[2]
	if !pkt.Shape.Dims[1].Equal(ir.Static(hkv)) || !pkt.Shape.Dims[3].Equal(ir.Static(d)) || !total.Equal(past.Add(s)) {
		return f, false
	}
	// The grouping reshapes: [b,Hq,s,D] -> [b,Hkv,G*s,D] (query head
	// h = g*G + r becomes row r*s + i of kv head g), the scores split to
	// [b,Hkv,G,s,T] for the mask and merged back.
	shapeIs := func(t ir.Type, dims ...ir.Dim) bool {
		if t.Shape.Rank() != len(dims) {
			return false
		}
		for i := range dims {
			if !t.Shape.Dims[i].Equal(dims[i]) {
				return false
			}
		}
		return true
	}
	sm := m.Ops["softmax"]
	masked := res("scores") // what the mask applies to
	if _, grouped := m.Ops["gq"]; grouped {
		gs := s.Mul(ir.Static(g))
		if !shapeIs(res("gq"), b, ir.Static(hkv), gs, ir.Static(d)) ||
			!shapeIs(res("split"), b, ir.Static(hkv), ir.Static(g), s, total) ||
			!shapeIs(res("merge"), b, ir.Static(hkv), gs, total) ||
			!shapeIs(res("ungroup"), b, ir.Static(hq), s, ir.Static(d)) {
			return f, false
		}
		masked = res("split")
	} else if g != 1 || !shapeIs(res("scores"), b, ir.Static(hq), s, total) || !shapeIs(res("wv"), b, ir.Static(hq), s, ir.Static(d)) {
		return f, false
	}
	if ax := sm.Int("axis"); ax != -1 && ax != int64(masked.Shape.Rank()-1) {
		return f, false
	}
	div, ok := scalarFloat(m.Vals["div"])
	fill, ok2 := scalarFloat(m.Vals["fill"])
	if !ok || !(div > 0) || math.IsInf(div, 0) || !ok2 || !(fill <= -1e9) {
		return f, false
	}
	if !sm.Args[0].Type.Equal(masked) || !causalMask(m.Vals["causal"], s, past, total) {
		return f, false
	}
	// The Attention goes after the later Concat: q must be defined before.
	region := m.Ops["out"].Parent
	last := max(slices.Index(region.Ops, m.Vals["pk"].Def), slices.Index(region.Ops, m.Vals["pv"].Def))
	if qd := m.Vals["q"].Def; qd != nil && (qd.Parent != region || slices.Index(region.Ops, qd) > last) {
		return f, false
	}
	return attentionKV{q: m.Vals["q"], k: k, v: v, pastK: pastK, pastV: pastV, qHeads: hq, kvHeads: hkv, headDim: d, div: div,
		lastConcat: region.Ops[last]}, true
}

// causalMask reports whether c is the bool [s, T] mask "key j <= query i
// + past" as exporters build it: LessOrEqual(Unsqueeze(Range(0, T, 1), 0),
// Unsqueeze(Range(0, s, 1) + past, 1)), the lengths read off the types and
// past evaluated as a shape value.
func causalMask(c *ir.Value, s, past, total ir.Dim) bool {
	op := c.Def
	if op == nil || op.Name != "LessOrEqual" || c.Type.DType != ir.Bool || c.Type.Shape.Rank() != 2 {
		return false
	}
	keys, ok1 := unsqueezedRange(op.Args[0], 0, total)
	if !ok1 || keys == nil {
		return false
	}
	add := unsqueezed(op.Args[1], 1)
	if add == nil || add.Def == nil || add.Def.Name != "Add" {
		return false
	}
	for _, o := range [][2]*ir.Value{{add.Def.Args[0], add.Def.Args[1]}, {add.Def.Args[1], add.Def.Args[0]}} {
		r, ok := unsqueezedRange(o[0], -1, s)
		if !ok || r == nil || o[1].Type.Shape.Rank() != 0 {
			continue
		}
		if p, ok := ir.ShapeValue(o[1]); ok && len(p) == 1 && p[0].Equal(past) {
			return true
		}
	}
	return false
}

// unsqueezed returns the operand of v = Unsqueeze(x, [axis]), or nil.
func unsqueezed(v *ir.Value, axis int64) *ir.Value {
	op := v.Def
	if op == nil || op.Name != "Unsqueeze" || len(op.Args) != 2 {
		return nil
	}
	// The result has rank 2: axis 1 is also -1, axis 0 also -2.
	ax, ok := constInts(op.Args[1])
	if !ok || len(ax) != 1 || (ax[0] != axis && ax[0] != axis-2) || v.Type.Shape.Rank() != 2 {
		return nil
	}
	return op.Args[0]
}

// unsqueezedRange checks that v is Range(0, n, 1) of type [n] (through an
// Unsqueeze on axis when axis >= 0) with n equal to the dim want.
func unsqueezedRange(v *ir.Value, axis int64, want ir.Dim) (*ir.Op, bool) {
	if axis >= 0 {
		if v = unsqueezed(v, axis); v == nil {
			return nil, false
		}
	}
	op := v.Def
	if op == nil || op.Name != "Range" || v.Type.Shape.Rank() != 1 || !v.Type.Shape.Dims[0].Equal(want) {
		return nil, false
	}
	start, ok1 := constInts(op.Args[0])
	delta, ok2 := constInts(op.Args[2])
	if !ok1 || !ok2 || len(start) != 1 || len(delta) != 1 || start[0] != 0 || delta[0] != 1 {
		return nil, false
	}
	return op, true
}

// permIs reports whether the Transpose op has exactly this permutation.
func permIs(op *ir.Op, want ...int64) bool {
	return slices.Equal(transposePerm(op, len(want)), want)
}

// eraseDeadChain erases op when nothing reads it, then the producers of
// its operands that this left unread, and so on up.
func eraseDeadChain(body *ir.Region, op *ir.Op) {
	if op == nil || op.Parent == nil || ir.HasSideEffects(op) || len(op.Regions) > 0 {
		return
	}
	uses := ir.Uses(body)
	for _, r := range op.Results {
		if len(uses[r]) > 0 {
			return
		}
	}
	args := op.Args
	if ir.EraseOp(op) != nil {
		return
	}
	for _, a := range args {
		if a != nil && a.Def != nil {
			eraseDeadChain(body, a.Def)
		}
	}
}
