package passes

import (
	"slices"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	register(&Pass{
		Name:    "epilogue",
		Summary: "fuses the elementwise ops after a Conv, Gemm or MatMul into a kiln.Fused* op's epilogue region",
		Doc: `Epilogue fusion. After each float32 Conv, Gemm or MatMul (the ops with
the EpilogueFusable trait) the pass gathers the elementwise and broadcast
ops that compute from its result alone, element by element: each reads the
producer's result or an op already gathered, and otherwise only scalar
constants (which the epilogue reads directly), or tensors defined before
the producer that broadcast to its output (which become extra operands);
each keeps the output's type; and every value gathered but the last is read
only by gathered ops. The largest such set with one value leaving it
becomes a kiln.FusedConv/FusedGemm/FusedMatMul whose epilogue region
repeats those ops on scalars (docs/ir.md, "Epilogues are regions"): bias
adds, Relu, Clip, Sigmoid, HardSigmoid, HardSwish, LeakyRelu, PRelu,
SiLU (x*sigmoid(x)), the erf and tanh GELUs, residual adds. The interpreter
runs the epilogue with the same float32 operations in the same order, so
outputs do not change.

    before:  %c = Conv(%x, @w, @b)            after:  %r = kiln.FusedConv(%x, @w, @b, %skip) {...} {
             %a = Add(%c, %skip)                        epilogue(%acc: f32[], %s: f32[]) {
             %r = Relu(%a)                                %a = Add(%acc, %s) : f32[]
                                                          %r = Relu(%a) : f32[]
                                                          return %r
                                                        }
                                                      }`,
		Run: runEpilogue,
	})
}

var fusedOf = map[string]string{"Conv": "kiln.FusedConv", "Gemm": "kiln.FusedGemm", "MatMul": "kiln.FusedMatMul"}

func runEpilogue(m *ir.Module, st Stats) error {
	for _, f := range m.Funcs {
		// Dead readers would make gathered values look shared.
		ir.RemoveDeadOps(f.Body)
		for {
			uses := ir.Uses(f.Body)
			done := true
			var err error
			visitOps(f.Body, func(op *ir.Op) bool {
				if _, ok := fusedOf[op.Name]; !ok || len(op.Results) != 1 || op.Results[0].Type.DType != ir.F32 {
					return true
				}
				set, sink := gatherEpilogue(op, uses)
				if sink == nil {
					return true
				}
				if err = buildFused(op, set, sink); err != nil {
					return false
				}
				st.Add("fused "+op.Name, 1)
				st.Add("epilogue ops", len(set))
				done = false
				return false // use lists changed
			})
			if err != nil {
				return err
			}
			if done {
				break
			}
		}
		ir.RemoveDeadOps(f.Body)
	}
	return nil
}

// gatherEpilogue returns the ops to fuse after producer p, in region
// order, and the one among them whose result leaves the set; nil when
// there is nothing to fuse.
func gatherEpilogue(p *ir.Op, uses ir.UseMap) ([]*ir.Op, *ir.Op) {
	r := p.Parent
	at := slices.Index(r.Ops, p)
	out := p.Results[0]
	inSet := map[*ir.Value]bool{out: true}
	var set []*ir.Op
	var best []*ir.Op
	var bestSink *ir.Op
	for _, e := range r.Ops[at+1:] {
		if !epilogueCandidate(e, out.Type) {
			continue
		}
		reads, ok := false, true
		for _, a := range e.Args {
			switch {
			case a == nil:
				ok = false
			case inSet[a]:
				reads = true
			case !availableBefore(a, p):
				ok = false
			}
		}
		if !reads || !ok {
			continue
		}
		set = append(set, e)
		inSet[e.Results[0]] = true
		if sink := singleExit(set, out, inSet, uses); sink != nil {
			best, bestSink = slices.Clone(set), sink
		}
		if len(set) >= 64 {
			break
		}
	}
	return best, bestSink
}

// epilogueCandidate reports whether e may run element by element inside
// a producer's write-out of values of type t.
func epilogueCandidate(e *ir.Op, t ir.Type) bool {
	d := ir.Lookup(e.Name)
	if d == nil || (d.Kind != ir.Elementwise && d.Kind != ir.Broadcast) || len(e.Regions) > 0 ||
		len(e.Results) != 1 || ir.HasSideEffects(e) || !e.Results[0].Type.Equal(t) {
		return false
	}
	switch e.Name {
	case "Cast", "CastLike", "Identity":
		return false
	}
	for _, a := range e.Args {
		if a != nil && a.Type.DType != t.DType {
			return false
		}
	}
	return true
}

// availableBefore reports whether v can be read at p: a module constant,
// a param of p's region, or the result of an op before p in p's region.
func availableBefore(v *ir.Value, p *ir.Op) bool {
	switch {
	case v.IsConst():
		return true
	case v.Param != nil:
		return v.Param == p.Parent
	case v.Def != nil && v.Def.Parent == p.Parent:
		return slices.Index(p.Parent.Ops, v.Def) < slices.Index(p.Parent.Ops, p)
	}
	return false
}

// singleExit returns the op of set whose result is read outside the set
// when it is the only value (the producer's included) that is, and the
// last op of the set; nil otherwise.
func singleExit(set []*ir.Op, out *ir.Value, inSet map[*ir.Value]bool, uses ir.UseMap) *ir.Op {
	member := map[*ir.Op]bool{}
	for _, e := range set {
		member[e] = true
	}
	escapes := func(v *ir.Value) bool {
		for _, u := range uses[v] {
			if u.Op == nil || !member[u.Op] {
				return true
			}
		}
		return false
	}
	if escapes(out) {
		return nil
	}
	last := set[len(set)-1]
	for _, e := range set[:len(set)-1] {
		if escapes(e.Results[0]) {
			return nil
		}
	}
	if !escapes(last.Results[0]) {
		return nil
	}
	return last
}

// buildFused replaces producer p and the gathered ops with one fused op
// placed before sink.
func buildFused(p *ir.Op, set []*ir.Op, sink *ir.Op) error {
	out := p.Results[0]
	inSet := map[*ir.Value]bool{out: true}
	for _, e := range set {
		inSet[e.Results[0]] = true
	}
	// Extra operands: every non-scalar value the set reads from outside,
	// once each, in order of first read.
	var extras []*ir.Value
	for _, e := range set {
		for _, a := range e.Args {
			if !inSet[a] && !isScalarConst(a) && !slices.Contains(extras, a) {
				extras = append(extras, a)
			}
		}
	}
	_, nBase, _ := ir.FusedBase(fusedOf[p.Name])
	args := make([]*ir.Value, nBase, nBase+len(extras))
	copy(args, p.Args)
	args = append(args, extras...)
	fop, err := ir.BuildBefore(sink).NewOp(fusedOf[p.Name], args, p.Attrs, []ir.Type{sink.Results[0].Type})
	if err != nil {
		return err
	}
	fop.Loc = ir.MergeLocs(append([]*ir.Op{p}, set...)...)
	reg := fop.AddRegion("epilogue")
	scalar := ir.TensorType(out.Type.DType, ir.ShapeOf())
	remap := map[*ir.Value]*ir.Value{out: reg.AddParam(scalar)}
	remap[out].Name = "acc"
	for _, x := range extras {
		remap[x] = reg.AddParam(scalar)
		remap[x].Name = nameOf(x)
	}
	b := ir.BuildAtEnd(reg)
	for _, e := range set {
		eargs := make([]*ir.Value, len(e.Args))
		for i, a := range e.Args {
			if v, ok := remap[a]; ok {
				eargs[i] = v
			} else {
				eargs[i] = a // a scalar constant
			}
		}
		ne, err := b.Build(e.Name, eargs, e.Attrs, 1)
		if err != nil {
			return err
		}
		if e != sink {
			ne.Results[0].Name = e.Results[0].Name
		}
		remap[e.Results[0]] = ne.Results[0]
	}
	reg.Results = []*ir.Value{remap[sink.Results[0]]}
	if err := ir.InferTypes(fop); err != nil {
		return err
	}
	ir.ReplaceAllUses(p.Parent, sink.Results[0], fop.Results[0])
	fop.Results[0].Name = sink.Results[0].Name
	for i := len(set) - 1; i >= 0; i-- {
		if err := ir.EraseOp(set[i]); err != nil {
			return err
		}
	}
	return ir.EraseOp(p)
}

// isScalarConst reports whether v is a rank-0 module constant, which an
// epilogue reads directly (a one-element tensor of higher rank would
// change the rank of the scalars it meets, so it is an extra operand).
func isScalarConst(v *ir.Value) bool {
	return v.IsConst() && v.Type.Shape.Ranked && v.Type.Shape.Rank() == 0
}
