package ir

import "fmt"

// ReInfer recomputes result types downstream of a change, in program
// order: every op in r (and in the regions nested in it) that reads a value
// of changed, or a value whose type this call changed, gets its result
// types from its inference function again, and the values whose types
// differ become changed in turn. The new type replaces the old one rather
// than refining it (unlike InferTypes), so that a type can also become
// less specific: after a Conv's output channels shrink, every consumer
// follows, down to the function's outputs (whose types are those of the
// values returned). An op with regions is re-inferred after its regions,
// and also when a value its regions return changed.
//
// With no changed values, every op of r is re-inferred.
//
// Region params keep their types: a pass that changes what a Loop carries
// retypes the body's params itself before calling ReInfer with them. On
// error the types of the ops before the failing one are already updated.
func ReInfer(r *Region, changed ...*Value) error {
	ri := &reinferrer{all: len(changed) == 0, dirty: map[*Value]bool{}}
	for _, v := range changed {
		ri.dirty[v] = true
	}
	return ri.region(r)
}

type reinferrer struct {
	all   bool
	dirty map[*Value]bool
}

func (ri *reinferrer) region(r *Region) error {
	for _, op := range r.Ops {
		for _, sub := range op.Regions {
			if err := ri.region(sub); err != nil {
				return err
			}
		}
		if !ri.all && !ri.affected(op) {
			continue
		}
		types, err := inferOp(op)
		if err != nil {
			return fmt.Errorf("re-infer %s: %w", opWhere(op), err)
		}
		for i, res := range op.Results {
			if !res.Type.Equal(types[i]) {
				res.Type = types[i]
				ri.dirty[res] = true
			}
		}
	}
	return nil
}

// affected reports whether op reads a changed value, directly or as a
// result of one of its regions.
func (ri *reinferrer) affected(op *Op) bool {
	for _, a := range op.Args {
		if a != nil && ri.dirty[a] {
			return true
		}
	}
	for _, sub := range op.Regions {
		for _, v := range sub.Results {
			if v != nil && ri.dirty[v] {
				return true
			}
		}
	}
	return false
}

// InferredTypes returns the result types op's inference computes from its
// operands as they are now, without storing them or merging them with what
// the results claim: a pass uses it to check that a changed operand still
// gives the types the results have.
func InferredTypes(op *Op) ([]Type, error) { return inferOp(op) }

// inferOp runs op's inference function, turning a panic (inference code
// meeting operands a pass left in an unexpected state) into an error.
func inferOp(op *Op) (types []Type, err error) {
	d := Lookup(op.Name)
	if d == nil {
		return nil, fmt.Errorf("unknown op %q", op.Name)
	}
	types, err = inferRecovered(d, op)
	if err == nil {
		err = checkElemCounts(types)
	}
	if err != nil {
		return nil, err
	}
	if len(types) < len(op.Results) {
		return nil, fmt.Errorf("inference gave %d result types for %d results", len(types), len(op.Results))
	}
	return types, nil
}
