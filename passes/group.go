package passes

import (
	"slices"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	register(&Pass{
		Name:    "group",
		Summary: "gathers chains and DAGs of elementwise and broadcast ops into kiln.FusedElementwise ops, one loop each",
		Doc: `Elementwise grouping, driven by the op kinds of the op table. Walking
each region from its end, every op of kind elementwise or broadcast (one
floating-point result, no regions or side effects, operands of its
result's element type)
that is not yet grouped starts a group as its sink; the group then takes
in, repeatedly, each producer of a member's operand that is such an op
too, has the sink's type (a broadcast that changes the shape ends the
group) and whose result only members read. The group is a DAG with one
value leaving it, its intermediates each read inside it alone; one with
two ops or more becomes a kiln.FusedElementwise whose element region
repeats them on scalars, reading one element of each operand from outside
(broadcast to the output) and rank-0 constants directly. The interpreter
runs the region on whole tensors, the same operations in the same order,
so outputs do not change; codegen writes the group as one loop over the
output (or unfuses it when it has no scalar form for one of its ops).
Runs after epilogue, which takes the elementwise ops after a Conv, Gemm
or MatMul first.

    before:  %p = Pow(%a, @two) : f32[1,129,8]    after:  %m = kiln.FusedElementwise(%a, %b) : f32[1,129,8] {
             %q = Pow(%b, @two) : f32[1,129,8]              element(%a#1: f32[], %b#1: f32[]) {
             %s = Add(%p, %q) : f32[1,129,8]                  %p = Pow(%a#1, @two) : f32[]
             %m = Sqrt(%s) : f32[1,129,8]                      %q = Pow(%b#1, @two) : f32[]
                                                               %s = Add(%p, %q) : f32[]
                                                               %3 = Sqrt(%s) : f32[]
                                                               return %3
                                                             }
                                                           }`,
		Run: runGroup,
	})
}

func runGroup(m *ir.Module, st Stats) error {
	for _, f := range m.Funcs {
		// Dead readers would make gathered values look shared.
		ir.RemoveDeadOps(f.Body)
		uses := ir.Uses(f.Body)
		var groups [][]*ir.Op
		var walk func(r *ir.Region)
		walk = func(r *ir.Region) {
			for _, op := range r.Ops {
				if ir.IsFused(op.Name) {
					continue
				}
				for _, sub := range op.Regions {
					walk(sub)
				}
			}
			groups = append(groups, gatherGroups(r, uses)...)
		}
		walk(f.Body)
		for _, g := range groups {
			ok, err := buildGroup(g)
			if err != nil {
				return err
			}
			if ok {
				st.Add("groups", 1)
				st.Add("grouped ops", len(g))
			}
		}
	}
	return nil
}

// groupable reports whether op may be part of an elementwise group: an
// elementwise or broadcast op with one ranked floating-point tensor
// result, no regions or side effects, whose operands all have its
// result's element type.
func groupable(op *ir.Op) bool {
	d := ir.Lookup(op.Name)
	if d == nil || (d.Kind != ir.Elementwise && d.Kind != ir.Broadcast) || d.Has(ir.View) ||
		len(op.Regions) > 0 || len(op.Results) != 1 || ir.HasSideEffects(op) {
		return false
	}
	// Integer groups would be shape arithmetic, which fold and the shape
	// values of the op table see through op by op.
	t := op.Results[0].Type
	if !t.IsTensor() || !t.Shape.Ranked || !t.DType.IsFloat() || t.DType.IsBlock() {
		return false
	}
	switch op.Name {
	case "Cast", "CastLike", "Identity":
		return false
	}
	for _, a := range op.Args {
		if a == nil || a.Type.DType != t.DType || !a.Type.IsTensor() {
			return false
		}
	}
	return true
}

// gatherGroups returns the groups of region r, each in region order, its
// last op the sink; groups of one op are left out.
func gatherGroups(r *ir.Region, uses ir.UseMap) [][]*ir.Op {
	grouped := map[*ir.Op]bool{}
	var groups [][]*ir.Op
	for i := len(r.Ops) - 1; i >= 0; i-- {
		sink := r.Ops[i]
		if grouped[sink] || !groupable(sink) {
			continue
		}
		t := sink.Results[0].Type
		member := map[*ir.Op]bool{sink: true}
		for changed := true; changed; {
			changed = false
			for e := range member {
				for _, a := range e.Args {
					p := a.Def
					if p == nil || p.Parent != r || member[p] || grouped[p] || !groupable(p) || !p.Results[0].Type.Equal(t) {
						continue
					}
					if !readOnlyBy(p.Results[0], member, uses) {
						continue
					}
					member[p] = true
					changed = true
				}
			}
		}
		if len(member) < 2 {
			continue
		}
		var g []*ir.Op
		for _, op := range r.Ops[:i+1] {
			if member[op] {
				g = append(g, op)
				grouped[op] = true
			}
		}
		groups = append(groups, g)
	}
	slices.Reverse(groups)
	return groups
}

// readOnlyBy reports whether every read of v is an operand of an op in
// member.
func readOnlyBy(v *ir.Value, member map[*ir.Op]bool, uses ir.UseMap) bool {
	for _, u := range uses[v] {
		if u.Op == nil || !member[u.Op] {
			return false
		}
	}
	return true
}

// buildGroup replaces the ops of g (in region order, the sink last) with
// one kiln.FusedElementwise placed before the sink. It leaves the module
// as it was and reports false when the operands read from outside do not
// broadcast to the sink's shape.
func buildGroup(g []*ir.Op) (bool, error) {
	sink := g[len(g)-1]
	inSet := map[*ir.Value]bool{}
	for _, e := range g {
		inSet[e.Results[0]] = true
	}
	// Operands: every value the group reads from outside but rank-0
	// constants, once each, in order of first read.
	var ins []*ir.Value
	var shapes []ir.Shape
	for _, e := range g {
		for _, a := range e.Args {
			if !inSet[a] && !isScalarConst(a) && !slices.Contains(ins, a) {
				ins = append(ins, a)
				shapes = append(shapes, a.Type.Shape)
			}
		}
	}
	t := sink.Results[0].Type
	if len(ins) == 0 {
		return false, nil
	}
	if s, err := ir.BroadcastShapes(shapes...); err != nil || !s.Equal(t.Shape) {
		return false, nil
	}
	fop, err := ir.BuildBefore(sink).NewOp("kiln.FusedElementwise", ins, nil, []ir.Type{t})
	if err != nil {
		return false, err
	}
	fop.Loc = ir.MergeLocs(g...)
	reg := fop.AddRegion("element")
	remap := map[*ir.Value]*ir.Value{}
	for _, x := range ins {
		p := reg.AddParam(ir.TensorType(x.Type.DType, ir.ShapeOf()))
		p.Name = nameOf(x)
		remap[x] = p
	}
	b := ir.BuildAtEnd(reg)
	for _, e := range g {
		eargs := make([]*ir.Value, len(e.Args))
		for i, a := range e.Args {
			if v, ok := remap[a]; ok {
				eargs[i] = v
			} else {
				eargs[i] = a // a rank-0 constant
			}
		}
		ne, err := b.Build(e.Name, eargs, e.Attrs, 1)
		if err != nil {
			return false, err
		}
		if e != sink {
			ne.Results[0].Name = e.Results[0].Name
		}
		remap[e.Results[0]] = ne.Results[0]
	}
	reg.Results = []*ir.Value{remap[sink.Results[0]]}
	if err := ir.InferTypes(fop); err != nil {
		return false, err
	}
	ir.ReplaceAllUses(sink.Parent.Root(), sink.Results[0], fop.Results[0])
	fop.Results[0].Name = sink.Results[0].Name
	for i := len(g) - 1; i >= 0; i-- {
		if err := ir.EraseOp(g[i]); err != nil {
			return false, err
		}
	}
	return true, nil
}
