package interp

import "github.com/kiln-ml/kiln/ir"

// Liveness lets a region activation drop each value after its last read,
// so a run holds only the tensors still to be read instead of every
// intermediate of the function. For a region it lists, per op, the values
// of that region whose last use the op is. A read inside an op's nested
// regions (an If branch or a Loop body reading an outer value) counts as a
// read by the op itself, since the nested region runs while the op runs.
// Region results are read at the end and so are never dropped; module
// constants are cached by the interpreter and are not in an env at all.

// deadAfter is a region's liveness: deadAfter[i] lists the values that op i
// reads (or defines) last.
type deadAfter [][]*ir.Value

// liveness returns r's deadAfter, computed once per region and cached.
// The cache is safe for concurrent runs.
func (in *Interp) liveness(r *ir.Region) deadAfter {
	if d, ok := in.live.Load(r); ok {
		return d.(deadAfter)
	}
	d, _ := in.live.LoadOrStore(r, computeLiveness(r))
	return d.(deadAfter)
}

// computeLiveness finds, for every value defined in r (its params and its
// ops' results), the index of the op in r that reads it last. A value that
// is a result of r is never dropped; a value nobody reads is dropped right
// after the op that defines it.
func computeLiveness(r *ir.Region) deadAfter {
	index := make(map[*ir.Op]int, len(r.Ops))
	for i, op := range r.Ops {
		index[op] = i
	}
	end := len(r.Ops)
	// top maps a use to the position in r that performs it: the index of
	// the op of r that holds it (itself or an ancestor), or end for r's
	// own results.
	top := func(u ir.Use) int {
		op := u.Op
		if op == nil {
			if u.Region == r {
				return end
			}
			op = u.Region.Parent
		}
		for op != nil {
			if i, ok := index[op]; ok && op.Parent == r {
				return i
			}
			if op.Parent == nil {
				break
			}
			op = op.Parent.Parent
		}
		// Not below r: keep the value (the verifier rejects such modules).
		return end
	}
	last := map[*ir.Value]int{}
	local := func(v *ir.Value) bool {
		return v != nil && v.Const == nil && ((v.Def != nil && v.Def.Parent == r) || v.Param == r)
	}
	for v, uses := range ir.Uses(r) {
		if !local(v) {
			continue
		}
		l := -1
		for _, u := range uses {
			l = max(l, top(u))
		}
		last[v] = l
	}
	d := make(deadAfter, len(r.Ops))
	for i, op := range r.Ops {
		for _, res := range op.Results {
			if _, used := last[res]; !used && local(res) {
				d[i] = append(d[i], res)
			}
		}
	}
	for v, l := range last {
		if l >= 0 && l < end {
			d[l] = append(d[l], v)
		}
	}
	return d
}
