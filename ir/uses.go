package ir

import "fmt"

// Use lists are computed, not maintained: Uses walks a region (and every
// region nested in it) and indexes who reads what. Ops are built and edited
// in many places (the frontends, the parser, Builder, plain assignments to
// Op.Args), and a maintained list would be wrong the moment one of them
// forgot it; a walk of a function is cheap next to any pass that needs it.
// The rewrite calls below (ReplaceAllUses, EraseOp, RemoveDeadOps,
// RemoveUnusedConsts) compute what they need themselves, so a pass that
// only uses them never holds a stale index.

// Use is one place where a value is read: operand Index of Op; or, when Op
// is nil, result slot Index of Region (a region returning the value,
// including a function body returning it as an output); or, when Attr is
// set, Op's tensor attribute Attr (module constants only; Index is -1).
type Use struct {
	Op     *Op
	Region *Region
	Index  int
	Attr   string
}

// String describes the use for messages: `operand 1 of Conv "conv_3"`,
// `result 0 of region body`, `attribute value of ConstantOfShape`.
func (u Use) String() string {
	switch {
	case u.Op != nil && u.Attr != "":
		return fmt.Sprintf("attribute %s of %s", u.Attr, opWhere(u.Op))
	case u.Op != nil:
		return fmt.Sprintf("operand %d of %s", u.Index, opWhere(u.Op))
	case u.Region != nil && u.Region.Parent == nil:
		return fmt.Sprintf("function output %d", u.Index)
	case u.Region != nil:
		return fmt.Sprintf("result %d of region %s of %s", u.Index, u.Region.Name, opWhere(u.Region.Parent))
	}
	return "unknown use"
}

// opWhere names an op for messages: its name and locations.
func opWhere(op *Op) string {
	if len(op.Loc) > 0 {
		return fmt.Sprintf("%s %v", op.Name, op.Loc)
	}
	return op.Name
}

// UseMap maps each value read in a region to the places that read it, in
// program order (an op's operands, then its attributes, then the values
// read inside its regions; a region's results after its ops). Values that
// nobody reads are absent.
type UseMap map[*Value][]Use

// Uses indexes every read of a value in r and the regions nested in it,
// which sees the implicit reads of ONNX subgraphs: an If branch reading a
// value defined outside it is a use of that value. Pass a function's Body
// to index the whole function.
func Uses(r *Region) UseMap {
	u := UseMap{}
	u.add(r)
	return u
}

func (u UseMap) add(r *Region) {
	for _, op := range r.Ops {
		for i, a := range op.Args {
			if a != nil {
				u[a] = append(u[a], Use{Op: op, Index: i})
			}
		}
		for _, at := range op.Attrs {
			if at.Value.Kind == AttrTensor && at.Value.Tensor != nil {
				u[at.Value.Tensor] = append(u[at.Value.Tensor], Use{Op: op, Index: -1, Attr: at.Name})
			}
		}
		for _, sub := range op.Regions {
			u.add(sub)
		}
	}
	for i, v := range r.Results {
		if v != nil {
			u[v] = append(u[v], Use{Region: r, Index: i})
		}
	}
}

// ModuleUses indexes the reads of every function of m: the uses of module
// constants across functions.
func ModuleUses(m *Module) UseMap {
	u := UseMap{}
	for _, f := range m.Funcs {
		u.add(f.Body)
	}
	return u
}

// ReplaceAllUses makes every read of old in r and its nested regions read
// new instead: operands, region results (function outputs included) and,
// when both are module constants, tensor attributes. It returns the number
// of uses replaced. Types are not checked here: when new's type differs,
// call ReInfer with new, and Verify; new must also be defined before the
// uses, in a scope that encloses them, which Verify checks.
func ReplaceAllUses(r *Region, old, new *Value) int {
	if old == nil || old == new {
		return 0
	}
	n := 0
	var walk func(r *Region)
	walk = func(r *Region) {
		for _, op := range r.Ops {
			for i, a := range op.Args {
				if a == old {
					op.Args[i] = new
					n++
				}
			}
			if old.IsConst() && new.IsConst() {
				for i := range op.Attrs {
					if v := &op.Attrs[i].Value; v.Kind == AttrTensor && v.Tensor == old {
						v.Tensor = new
						n++
					}
				}
			}
			for _, sub := range op.Regions {
				walk(sub)
			}
		}
		for i, v := range r.Results {
			if v == old {
				r.Results[i] = new
				n++
			}
		}
	}
	walk(r)
	return n
}

// EraseOp removes op (with the regions it owns) from its region. It refuses,
// naming the first use, while a result of op is still read anywhere in the
// function: replace or erase the readers first.
func EraseOp(op *Op) error {
	r := op.Parent
	if r == nil {
		return fmt.Errorf("erase %s: the op is in no region", opWhere(op))
	}
	i := r.index(op)
	if i < 0 {
		return fmt.Errorf("erase %s: the op is not in its parent region's op list", opWhere(op))
	}
	uses := Uses(r.Root())
	for _, res := range op.Results {
		if us := uses[res]; len(us) > 0 {
			return fmt.Errorf("erase %s: result %d is still used (%d uses, the first: %v)", opWhere(op), res.Index, len(us), us[0])
		}
	}
	r.Ops = append(r.Ops[:i], r.Ops[i+1:]...)
	op.Parent = nil
	return nil
}

// index returns the position of op in r.Ops, or -1.
func (r *Region) index(op *Op) int {
	for i, o := range r.Ops {
		if o == op {
			return i
		}
	}
	return -1
}

// HasSideEffects reports whether op must be kept even when its results are
// unused: its declaration marks it SideEffect or Random (removing a random
// op would shift the random stream the others see), it has no results at
// all (so it exists for its effect), or it owns a region with such an op.
func HasSideEffects(op *Op) bool {
	if d := Lookup(op.Name); d != nil && (d.Has(SideEffect) || d.Has(Random)) {
		return true
	}
	if len(op.Results) == 0 {
		return true
	}
	for _, r := range op.Regions {
		for _, inner := range r.Ops {
			if HasSideEffects(inner) {
				return true
			}
		}
	}
	return false
}

// RemoveDeadOps erases, in r and its nested regions, every op without side
// effects whose results nobody reads, until none is left (an op whose only
// readers were dead is dead too). It returns the number of ops erased; the
// ops inside an erased op's regions go with it and are not counted.
func RemoveDeadOps(r *Region) int {
	count := map[*Value]int{}
	for v, us := range Uses(r) {
		count[v] = len(us)
	}
	return removeDead(r, count)
}

// removeDead walks r backwards, so that readers are judged before the ops
// they read from; count holds the live reads of each value.
func removeDead(r *Region, count map[*Value]int) int {
	n := 0
	for i := len(r.Ops) - 1; i >= 0; i-- {
		op := r.Ops[i]
		for _, sub := range op.Regions {
			n += removeDead(sub, count)
		}
		if HasSideEffects(op) || anyUsed(op.Results, count) {
			continue
		}
		forgetReads(op, count)
		r.Ops = append(r.Ops[:i], r.Ops[i+1:]...)
		op.Parent = nil
		n++
	}
	return n
}

func anyUsed(vals []*Value, count map[*Value]int) bool {
	for _, v := range vals {
		if count[v] > 0 {
			return true
		}
	}
	return false
}

// forgetReads decrements the read counts of everything op and its regions
// read.
func forgetReads(op *Op, count map[*Value]int) {
	for _, a := range op.Args {
		if a != nil {
			count[a]--
		}
	}
	for _, at := range op.Attrs {
		if at.Value.Kind == AttrTensor && at.Value.Tensor != nil {
			count[at.Value.Tensor]--
		}
	}
	for _, sub := range op.Regions {
		for _, inner := range sub.Ops {
			forgetReads(inner, count)
		}
		for _, v := range sub.Results {
			if v != nil {
				count[v]--
			}
		}
	}
}

// RemoveUnusedConsts drops the module constants that no function reads
// (as an operand, a returned value or a tensor attribute) and returns how
// many it dropped. Their bytes stay mapped until the module is closed.
func RemoveUnusedConsts(m *Module) int {
	uses := ModuleUses(m)
	kept := m.Consts[:0]
	for _, c := range m.Consts {
		if len(uses[c]) > 0 {
			kept = append(kept, c)
		}
	}
	n := len(m.Consts) - len(kept)
	clear(m.Consts[len(kept):])
	m.Consts = kept
	return n
}
