package codegen

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// specialize rewrites f, a function of a module Compile owns (a clone),
// for one dim binding: its params get the static shapes the binding gives
// them, every result type is inferred again from those, and each If whose
// condition is then known (exporters branch on a rank or a dim) is
// replaced by the ops of the branch it takes. What is left
// has static shapes wherever the model's computation allows, which is
// what the emitters need; an If whose condition depends on input data
// stays and compiles into a Go if statement.
func specialize(m *ir.Module, f *ir.Func, bind map[string]int64) (map[*ir.Region]error, error) {
	for i, p := range f.Body.Params {
		t := p.Type
		if t.Kind != ir.TensorKind || !t.Shape.Ranked {
			continue
		}
		sizes := make([]int64, len(t.Shape.Dims))
		for j, d := range t.Shape.Dims {
			n, ok := d.Eval(bind)
			if !ok {
				return nil, fmt.Errorf("input %q: dim %d (%s) is not known once the symbols are bound", f.InputNames[i], j, d)
			}
			sizes[j] = n
		}
		p.Type = ir.TensorType(t.DType, ir.ShapeOf(sizes...))
	}
	s := &specializer{m: m, failed: map[*ir.Region]error{}}
	return s.failed, s.region(f.Body)
}

// specializer holds what specialize learns on its way: the branches of
// Ifs decided at run time that cannot run under the binding.
type specializer struct {
	m *ir.Module
	// failed maps each such branch, emptied, to the reason: a Silero
	// VAD's 8 kHz branch given a 16 kHz chunk length breaks a Squeeze.
	// ONNX Runtime fails there too, at run time; so does the compiled
	// Run, with this error, when the condition takes that branch.
	failed map[*ir.Region]error
}

// region infers again, in program order, the result types of r's ops
// and of the ops nested in them, inlining each If whose condition is known
// by then before looking into it, so that a branch not taken, which may
// be ill-typed for these shapes (a Squeeze of a dim that is not 1, under
// an If testing that dim), is never inferred.
func (s *specializer) region(r *ir.Region) error {
	for i := 0; i < len(r.Ops); i++ {
		op := r.Ops[i]
		if c, ok := ifCondition(op); ok {
			if err := inlineIf(op, c != 0); err != nil {
				return err
			}
			i-- // the taken branch's ops now stand at i
			continue
		}
		if isIf(op) {
			if err := s.ifBranches(op); err != nil {
				return err
			}
			continue
		}
		if err := bodyParams(op); err != nil {
			return err
		}
		for _, sub := range op.Regions {
			if err := s.region(sub); err != nil {
				return err
			}
		}
		if err := reinferOp(op); err != nil {
			return err
		}
		loopTrips(op)
		last, err := lower1D(s.m, op)
		if err != nil {
			return fmt.Errorf("%s %s: %w", op.Name, nodeName(op), err)
		}
		if last != nil {
			for r.Ops[i] != last {
				i++
			}
		}
	}
	return nil
}

// ifBranches specializes both branches of an If decided at run time. A
// branch that fails is emptied and recorded in s.failed, and the If takes
// the other's types; both failing is an error.
func (s *specializer) ifBranches(op *ir.Op) error {
	var errs [2]error
	for i, br := range op.Regions {
		errs[i] = s.region(br)
	}
	switch {
	case errs[0] != nil && errs[1] != nil:
		return errs[0]
	case errs[0] == nil && errs[1] == nil:
		return reinferOp(op)
	}
	good := op.Regions[0]
	for i, br := range op.Regions {
		if errs[i] != nil {
			s.failed[br] = fmt.Errorf("If %s: %s cannot run with these input shapes: %w", nodeName(op), br.Name, errs[i])
			br.Ops, br.Results = nil, nil
		} else {
			good = br
		}
	}
	if len(good.Results) != len(op.Results) {
		return fmt.Errorf("If %s: %s returns %d values for %d results", nodeName(op), good.Name, len(good.Results), len(op.Results))
	}
	for i, res := range op.Results {
		res.Type = good.Results[i].Type
	}
	return nil
}

// reinferOp infers op's result types again from its operands. The source
// model's claims are kept where they are static numbers (a slice whose
// length inference cannot see, one element per loop iteration) and
// dropped where they are symbols of its own, which the binding does not
// know; when a kept claim contradicts inference under this binding (an
// exporter that wrote its trace's batch size), inference alone decides.
func reinferOp(op *ir.Op) error {
	for _, res := range op.Results {
		if res.Type.Kind == ir.TensorKind {
			res.Type = ir.TensorType(res.Type.DType, staticPart(res.Type.Shape))
		}
	}
	if err := ir.InferTypes(op); err == nil {
		return nil
	}
	for _, res := range op.Results {
		if res.Type.Kind == ir.TensorKind {
			res.Type = ir.TensorType(res.Type.DType, ir.UnrankedShape())
		}
	}
	if err := ir.InferTypes(op); err != nil {
		return fmt.Errorf("%s %s: %w", op.Name, nodeName(op), err)
	}
	return nil
}

// staticPart keeps a shape's rank and static dims, every other dim
// unknown.
func staticPart(s ir.Shape) ir.Shape {
	if !s.Ranked {
		return s
	}
	dims := make([]ir.Dim, len(s.Dims))
	for i, d := range s.Dims {
		dims[i] = ir.Unknown()
		if d.IsStatic() {
			dims[i] = d
		}
	}
	return ir.Shape{Ranked: true, Dims: dims}
}
