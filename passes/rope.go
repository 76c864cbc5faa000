package passes

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/kiln-ml/kiln/ir"
)

// ruleRotary recognizes rotary position embedding written with a
// rotation matrix, as the stories260K ONNX decoder (and other exports
// that avoid Slice/Neg/Concat) computes it:
//
//	y = x * cos(a) + (x @ R) * sin(a),  a = p * inv
//
// with x [b,s,H*D], p [b,s,1] the positions as floats, inv a constant
// [H*D] of per-feature frequencies and R a constant signed permutation
// that maps each feature to its rotation partner: the adjacent pair
// (2i, 2i+1) (llama.cpp's "normal" mode, RotaryEmbedding interleaved=1)
// or the other half of the head (i, i+D/2, interleaved=0). It becomes
// RotaryEmbedding-23 on the 3-D x with num_heads = H, rotating all D
// features, and cos/sin caches [b,s,D/2] computed from p and the D/2
// distinct frequencies, without position_ids: the same float32 angles the
// model computed, so only the rotation's own rounding changes.
var ruleRotary = &Rule{
	Name: "rotary",
	Doc:  "x * Cos(p*inv) + MatMul(x, R) * Sin(p*inv), R a constant pair-rotation matrix, becomes RotaryEmbedding (opset 23) with cos/sin caches of the D/2 frequencies",
	Pattern: P("Add",
		P("Mul", V("x", "f32"), P("Cos", V("ang")).K().As("cos")).C(),
		P("Mul", P("MatMul", Same("x"), V("r", "const", "f32")), P("Sin", Same("ang")).K().As("sin")).C(),
	).C(),
	Where: func(m *Match) bool { _, ok := rotaryForm(m); return ok },
	Build: func(b *ir.Builder, m *Match) ([]*ir.Value, error) {
		f, ok := rotaryForm(m)
		if !ok {
			return nil, nil
		}
		root := m.All[len(m.All)-1]
		theta, err := sharedFloatConst(m.Module, "fuse.rope."+nameOf(f.inv), ir.TensorType(ir.F32, ir.ShapeOf(int64(len(f.theta)))), f.theta)
		if err != nil {
			return nil, err
		}
		ang, err := buildShared(b, root, "Mul", []*ir.Value{f.pos, theta}, nil)
		if err != nil {
			return nil, err
		}
		cos, err := buildShared(b, root, "Cos", []*ir.Value{ang}, nil)
		if err != nil {
			return nil, err
		}
		sin, err := buildShared(b, root, "Sin", []*ir.Value{ang}, nil)
		if err != nil {
			return nil, err
		}
		op, err := b.Build("RotaryEmbedding", []*ir.Value{m.Vals["x"], cos, sin}, []ir.Attr{
			{Name: "interleaved", Value: ir.IntAttr(f.interleaved)},
			{Name: "num_heads", Value: ir.IntAttr(f.heads)},
			{Name: "rotary_embedding_dim", Value: ir.IntAttr(f.dim)},
		}, 1)
		if err != nil {
			return nil, err
		}
		op.Loc = ir.MergeLocs(m.All...)
		return op.Results, nil
	},
}

// rotary is what rotaryForm read off a match.
type rotary struct {
	pos, inv    *ir.Value // the positions [b,s,1] and the frequencies [W]
	theta       []float64 // the D/2 distinct frequencies of one head
	interleaved int64
	heads, dim  int64
}

// rotaryForm checks a rotary match: cos and sin are Cos and Sin of one
// angle p * inv (p [b,s,1], inv a constant [W]) of x's shape, and R is a
// rotation matrix whose pairing and inv's period give the head size.
func rotaryForm(m *Match) (rotary, bool) {
	x := m.Vals["x"].Type
	cos, sin := m.Vals["cos"], m.Vals["sin"]
	if !knownType(x) || x.Shape.Rank() != 3 || !x.Shape.Dims[2].IsStatic() || !cos.Type.Equal(x) || !sin.Type.Equal(x) {
		return rotary{}, false
	}
	ang := m.Vals["ang"].Def
	if ang == nil || ang.Name != "Mul" {
		return rotary{}, false
	}
	pos, inv := ang.Args[0], ang.Args[1]
	if !inv.IsConst() {
		pos, inv = inv, pos
	}
	w := x.Shape.Dims[2].Size
	pt := pos.Type
	if !inv.IsConst() || inv.Type.DType != ir.F32 || inv.Type.Shape.Rank() != 1 || inv.Type.Shape.Dims[0].Size != w ||
		pt.DType != ir.F32 || pt.Shape.Rank() != 3 || !pt.Shape.Dims[0].Equal(x.Shape.Dims[0]) ||
		!pt.Shape.Dims[1].Equal(x.Shape.Dims[1]) || pt.Shape.Dims[2].Size != 1 {
		return rotary{}, false
	}
	freq, err := constFloats(inv)
	if err != nil {
		return rotary{}, false
	}
	rt := m.Vals["r"].Type
	if !rt.Shape.IsStatic() || rt.Shape.Rank() != 2 || rt.Shape.Dims[0].Size != w || rt.Shape.Dims[1].Size != w || w%2 != 0 {
		return rotary{}, false
	}
	r, err := constFloats(m.Vals["r"])
	if err != nil {
		return rotary{}, false
	}
	// partner[j] = (i, sign) with column j of R holding only sign at row i:
	// (x @ R)[j] = sign * x[i].
	n := int(w)
	src, sgn := make([]int, n), make([]float64, n)
	for j := 0; j < n; j++ {
		src[j] = -1
		for i := 0; i < n; i++ {
			v := r[i*n+j]
			if v == 0 {
				continue
			}
			if src[j] >= 0 || (v != 1 && v != -1) {
				return rotary{}, false
			}
			src[j], sgn[j] = i, v
		}
		if src[j] < 0 {
			return rotary{}, false
		}
	}
	// Interleaved: (x@R)[2i] = -x[2i+1], (x@R)[2i+1] = x[2i]; the head
	// size is the period of inv (each pair sharing one frequency).
	inter := true
	for i := 0; i < n; i += 2 {
		if src[i] != i+1 || sgn[i] != -1 || src[i+1] != i || sgn[i+1] != 1 || freq[i] != freq[i+1] {
			inter = false
			break
		}
	}
	if inter {
		d := period(freq, 2)
		if d == 0 {
			return rotary{}, false
		}
		theta := make([]float64, d/2)
		for i := range theta {
			theta[i] = freq[2*i]
		}
		return rotary{pos: pos, inv: inv, theta: theta, interleaved: 1, heads: int64(n / d), dim: int64(d)}, true
	}
	// Halves of each head of size d: (x@R)[i] = -x[i+d/2] and
	// (x@R)[i+d/2] = x[i] for i < d/2, with x[i] and x[i+d/2] sharing a
	// frequency.
	d := 2 * src[0]
	if d <= 0 || n%d != 0 {
		return rotary{}, false
	}
	h := d / 2
	for base := 0; base < n; base += d {
		for i := 0; i < h; i++ {
			lo, hi := base+i, base+i+h
			if src[lo] != hi || sgn[lo] != -1 || src[hi] != lo || sgn[hi] != 1 || freq[lo] != freq[hi] || freq[lo] != freq[i] {
				return rotary{}, false
			}
		}
	}
	return rotary{pos: pos, inv: inv, theta: freq[:h], interleaved: 0, heads: int64(n / d), dim: int64(d)}, true
}

// period returns the smallest multiple of step dividing len(xs) that xs
// repeats with, or 0 when there is none short of len(xs) itself being
// one (then len(xs)).
func period(xs []float64, step int) int {
	for p := step; p <= len(xs); p += step {
		if len(xs)%p != 0 {
			continue
		}
		ok := true
		for i := p; i < len(xs) && ok; i++ {
			ok = xs[i] == xs[i-p]
		}
		if ok {
			return p
		}
	}
	return 0
}

// sharedFloatConst returns a float constant of type t holding xs: an
// existing constant with those bytes, else a new one named from base.
func sharedFloatConst(m *ir.Module, base string, t ir.Type, xs []float64) (*ir.Value, error) {
	b, err := ir.EncodeFloat64s(t.DType, xs)
	if err != nil {
		return nil, err
	}
	for _, c := range m.Consts {
		if c.Type.Equal(t) && bytes.Equal(c.Const.Bytes, b) {
			return c, nil
		}
	}
	return addFloatConst(m, base, t, xs)
}

// buildShared returns the result of an op named name with these operands
// and attributes that already precedes root in its region, or builds one
// at b: rewrites that need the same helper value (the rotary caches of
// every layer) share it, as cse would have made them.
func buildShared(b *ir.Builder, root *ir.Op, name string, args []*ir.Value, attrs []ir.Attr) (*ir.Value, error) {
	r := root.Parent
	for _, op := range r.Ops[:slices.Index(r.Ops, root)] {
		if op.Name != name || len(op.Results) != 1 || !slices.Equal(op.Args, args) || len(op.Regions) > 0 || fmt.Sprint(op.Attrs) != fmt.Sprint(attrs) {
			continue
		}
		return op.Results[0], nil
	}
	op, err := b.Build(name, args, attrs, 1)
	if err != nil {
		return nil, err
	}
	return op.Results[0], nil
}

// ruleRotaryHalf recognizes rotary embedding as Hugging Face's LLaMA
// exports write it, on heads [b,H,s,D] with cos/sin tables gathered by
// position:
//
//	cos = Unsqueeze(Gather(cos_table, position_ids), 1)    (sin alike)
//	y   = x * cos + Concat(-x[..., D/2:], x[..., :D/2]) * sin
//
// where each table row is its D/2 angles' values written twice (the
// exporter's cat(freqs, freqs)). It becomes RotaryEmbedding (interleaved
// = 0) with the tables' first halves as cos/sin caches and the same
// position_ids.
var ruleRotaryHalf = &Rule{
	Name: "rotary",
	Doc:  "x * cos + Concat(Neg(x[..., D/2:]), x[..., :D/2]) * sin, cos/sin gathered from tables by position, becomes RotaryEmbedding with position_ids",
	Pattern: P("Add",
		P("Mul", V("x", "f32"), P("Unsqueeze", P("Gather", V("cost", "const", "f32"), V("pos")).K().As("cosg")).K().As("cos")).C(),
		P("Mul",
			P("Concat", P("Neg", P("Slice", Same("x")).As("hi")), P("Slice", Same("x")).As("lo")).As("cat"),
			P("Unsqueeze", P("Gather", V("sint", "const", "f32"), Same("pos")).K().As("sing")).K().As("sin")).C(),
	).C(),
	Where: func(m *Match) bool { _, _, ok := rotaryHalfForm(m); return ok },
	Build: func(b *ir.Builder, m *Match) ([]*ir.Value, error) {
		cosHalf, sinHalf, ok := rotaryHalfForm(m)
		if !ok {
			return nil, nil
		}
		rows := int64(len(cosHalf)) / int64(m.Vals["x"].Type.Shape.Dims[3].Size/2)
		t := ir.TensorType(ir.F32, ir.ShapeOf(rows, m.Vals["x"].Type.Shape.Dims[3].Size/2))
		cos, err := sharedFloatConst(m.Module, "fuse.rope."+nameOf(m.Vals["cost"]), t, cosHalf)
		if err != nil {
			return nil, err
		}
		sin, err := sharedFloatConst(m.Module, "fuse.rope."+nameOf(m.Vals["sint"]), t, sinHalf)
		if err != nil {
			return nil, err
		}
		op, err := b.Build("RotaryEmbedding", []*ir.Value{m.Vals["x"], cos, sin, m.Vals["pos"]}, nil, 1)
		if err != nil {
			return nil, err
		}
		op.Loc = ir.MergeLocs(m.All...)
		return op.Results, nil
	},
}

// rotaryHalfForm checks a rotary-half match and returns the first halves
// of the cos and sin tables, row by row.
func rotaryHalfForm(m *Match) (cosHalf, sinHalf []float64, ok bool) {
	x := m.Vals["x"].Type
	if !knownType(x) || x.Shape.Rank() != 4 || !x.Shape.Dims[3].IsStatic() || x.Shape.Dims[3].Size%2 != 0 {
		return nil, nil, false
	}
	d := x.Shape.Dims[3].Size
	pos := m.Vals["pos"].Type
	if pos.DType != ir.I64 || pos.Shape.Rank() != 2 || !pos.Shape.Dims[0].Equal(x.Shape.Dims[0]) || !pos.Shape.Dims[1].Equal(x.Shape.Dims[2]) {
		return nil, nil, false
	}
	for _, n := range []string{"cos", "sin"} {
		ax, ok := constInts(m.Ops[n].Arg(1))
		if !ok || len(ax) != 1 || ax[0] != 1 || m.Ops[n+"g"].Int("axis") != 0 {
			return nil, nil, false
		}
	}
	// Slices of the last axis: hi = [D/2, end), lo = [0, D/2).
	half := func(op *ir.Op, from, to int64) bool {
		st, ok1 := constInts(op.Arg(1))
		en, ok2 := constInts(op.Arg(2))
		ax, ok3 := constInts(op.Arg(3))
		if !ok1 || !ok2 || !ok3 || len(st) != 1 || len(en) != 1 || len(ax) != 1 || (ax[0] != 3 && ax[0] != -1) {
			return false
		}
		if s := op.Arg(4); s != nil {
			if sv, ok := constInts(s); !ok || len(sv) != 1 || sv[0] != 1 {
				return false
			}
		}
		return st[0] == from && min(en[0], d) == to
	}
	cat := m.Ops["cat"]
	if ax := cat.Int("axis"); (ax != 3 && ax != -1) || len(cat.Args) != 2 || !half(m.Ops["hi"], d/2, d) || !half(m.Ops["lo"], 0, d/2) {
		return nil, nil, false
	}
	tables := [2][]float64{}
	for i, n := range []string{"cost", "sint"} {
		t := m.Vals[n].Type
		if t.Shape.Rank() != 2 || !t.Shape.IsStatic() || t.Shape.Dims[1].Size != d {
			return nil, nil, false
		}
		xs, err := constFloats(m.Vals[n])
		if err != nil {
			return nil, nil, false
		}
		rows := int(t.Shape.Dims[0].Size)
		h := int(d / 2)
		for r := 0; r < rows; r++ {
			row := xs[r*int(d) : (r+1)*int(d)]
			for j := 0; j < h; j++ {
				if row[j] != row[j+h] {
					return nil, nil, false
				}
			}
			tables[i] = append(tables[i], row[:h]...)
		}
	}
	return tables[0], tables[1], true
}
