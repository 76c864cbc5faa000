package codegen

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// ctlKind marks the calls that are control flow in the generated Run
// rather than kernel calls.
type ctlKind uint8

const (
	ctlNone ctlKind = iota
	ctlIf           // if cond { : args are the condition, then the If's results
	ctlElse         // } else {
	ctlEnd          // }
	ctlCopy         // copy(dst, src): args are src, then dst (a result of op)
	ctlFail         // return the error msg: a branch that cannot run
)

// regionEmitters lists the ops with regions codegen compiles: their
// regions' ops are checked and emitted as part of the function.
var regionEmitters = map[string]func(g *graph, op *ir.Op) error{}

func init() {
	regionEmitters["If"] = emitIf
}

// emitIf compiles an If whose condition is only known at run time (specialize
// inlined the others) into a Go if statement in Run. Each result gets its
// own buffer, declared before the statement, and each branch ends by
// copying what it returns into it, so the branches' own values live in
// the arena like any others; the memory plan sees the then branch's calls
// before the else branch's, which is conservative but safe. Both branches
// must give each result the same static shape.
func emitIf(g *graph, op *ir.Op) error {
	cond, err := g.data(op.Args[0])
	if err != nil {
		return err
	}
	if cond.dtype != ir.Bool || cond.n != 1 {
		return fmt.Errorf("condition is %s, want one bool", dtypeText(cond.dtype, cond.shape))
	}
	begin := &call{op: op, ctl: ctlIf, args: []*val{cond}}
	var results []*val
	for i, r := range op.Results {
		y, err := g.newVal(r)
		if err != nil {
			return fmt.Errorf("result %d %v (the branches may give it different shapes, which codegen does not compile yet)", i, err)
		}
		y.where = inArena
		results = append(results, y)
		begin.args = append(begin.args, y)
	}
	g.calls = append(g.calls, begin)
	for bi, br := range op.Regions {
		if bi == 1 {
			g.calls = append(g.calls, &call{op: op, ctl: ctlElse})
		}
		if err := g.failed[br]; err != nil {
			g.calls = append(g.calls, &call{op: op, ctl: ctlFail, msg: err.Error()})
			continue
		}
		for _, bop := range br.Ops {
			if err := g.emitOp(bop); err != nil {
				return fmt.Errorf("%s: %s %s: %w", br.Name, bop.Name, nodeName(bop), err)
			}
		}
		for i, r := range br.Results {
			src, err := g.data(r)
			if err != nil {
				return fmt.Errorf("%s: result %d: %w", br.Name, i, err)
			}
			dst := results[i]
			if src.dtype != dst.dtype || !sameShape(src.shape, dst.shape) {
				return fmt.Errorf("%s returns %s as result %d, the If gives %s; codegen needs every branch to give a result one static shape", br.Name, dtypeText(src.dtype, src.shape), i, dtypeText(dst.dtype, dst.shape))
			}
			g.calls = append(g.calls, &call{op: op, ctl: ctlCopy, args: []*val{src, dst}})
		}
	}
	g.calls = append(g.calls, &call{op: op, ctl: ctlEnd})
	return nil
}

// inlineIf replaces an If by the ops of the branch it takes: they move in
// front of it, in order, keeping their values, so reads of outer values
// inside them stay valid, and every read of the If's results reads the
// branch's instead.
func inlineIf(op *ir.Op, then bool) error {
	taken := op.Regions[1]
	if then {
		taken = op.Regions[0]
	}
	if len(taken.Results) != len(op.Results) {
		return fmt.Errorf("If %s: the taken branch returns %d values for %d results", nodeName(op), len(taken.Results), len(op.Results))
	}
	r := op.Parent
	i := 0
	for i < len(r.Ops) && r.Ops[i] != op {
		i++
	}
	if i == len(r.Ops) {
		return fmt.Errorf("internal error: If %s is not in its region", nodeName(op))
	}
	moved := taken.Ops
	for _, m := range moved {
		m.Parent = r
	}
	ops := make([]*ir.Op, 0, len(r.Ops)+len(moved)-1)
	ops = append(ops, r.Ops[:i]...)
	ops = append(ops, moved...)
	ops = append(ops, r.Ops[i+1:]...)
	r.Ops = ops
	taken.Ops = nil
	root := r.Root()
	for j, res := range op.Results {
		ir.ReplaceAllUses(root, res, taken.Results[j])
	}
	op.Parent = nil
	return nil
}

// ifCondition returns the condition of an If op when it is known at
// compile time.
func ifCondition(op *ir.Op) (int64, bool) {
	if !isIf(op) {
		return 0, false
	}
	c, ok := ir.KnownInts(op.Args[0])
	if !ok || len(c) != 1 {
		return 0, false
	}
	return c[0], true
}

// isIf reports whether op is an If with its two branches.
func isIf(op *ir.Op) bool {
	return op.Name == "If" && len(op.Regions) == 2 && len(op.Args) == 1
}
