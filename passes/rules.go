package passes

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// Pat is a pattern over the SSA graph, matched from a root op back
// through its operands. A Pat with an Op matches a value that op
// produces (result 0); a Pat without one matches any value. Patterns are
// data: the rule engine reads them, nothing else interprets them.
type Pat struct {
	// Op is the op name the value's producer must have; "" matches any
	// value (a constant, a param, any op's result).
	Op string
	// Args are the patterns of the producer's operands, in order; a nil
	// entry matches anything. With fewer Args than operands, the rest are
	// not looked at.
	Args []*Pat
	// Commutative also tries the two operands of a binary op swapped.
	Commutative bool
	// Bind names the matched value (and, for an op pattern, its op) in
	// the match, for Where and Build.
	Bind string
	// Same makes the value match only the one already bound under this
	// name: a shared input, as the two readers of x in LayerNorm's
	// x - mean(x).
	Same string
	// Preds are named predicates the value must satisfy (see preds).
	Preds []string
	// Kept marks an op pattern whose op the rewrite keeps: it is matched
	// and bound but is not part of what the rule replaces, so other ops
	// may read it (the cos and sin tables every layer's rotary reads).
	Kept bool
}

// P builds an op pattern: P("Add", a, b).
func P(op string, args ...*Pat) *Pat { return &Pat{Op: op, Args: args} }

// V builds a leaf pattern binding any value to name.
func V(name string, preds ...string) *Pat { return &Pat{Bind: name, Preds: preds} }

// Same builds a leaf that must be the value bound to name.
func Same(name string) *Pat { return &Pat{Same: name} }

// As names p's value in the match.
func (p *Pat) As(name string) *Pat { p.Bind = name; return p }

// C marks p's binary op commutative.
func (p *Pat) C() *Pat { p.Commutative = true; return p }

// K marks p's op as kept (Pat.Kept).
func (p *Pat) K() *Pat { p.Kept = true; return p }

// Match is what a successful match bound: values and their producers.
type Match struct {
	// Module is the module being rewritten (for new constants).
	Module *ir.Module
	Vals   map[string]*ir.Value
	Ops    map[string]*ir.Op
	// All lists every op the pattern matched, each after the ops that
	// produce its operands: the root last.
	All []*ir.Op
}

// Rule is one rewrite: where its pattern matches, and its Where holds,
// Build's values replace the root op's results. Ops the match covers
// must not be read from outside it (except the root), so a rewrite never
// computes a value twice; the driver checks this before Build runs.
type Rule struct {
	Name string
	Doc  string
	// Pattern is matched at every op named Pattern.Op.
	Pattern *Pat
	// Where checks what the pattern cannot say (attribute values,
	// constant contents, shapes); nil accepts every match.
	Where func(m *Match) bool
	// Build makes the replacement at b (just before the root) and
	// returns one value per root result; an error aborts the pass.
	// Returning nil values declines the match.
	Build func(b *ir.Builder, m *Match) ([]*ir.Value, error)
}

// preds are the named predicates patterns may use.
var preds = map[string]func(v *ir.Value) bool{
	// const: a module constant.
	"const": func(v *ir.Value) bool { return v.IsConst() },
	// scalar: a constant holding one element.
	"scalar": func(v *ir.Value) bool {
		return v.IsConst() && v.Type.IsTensor() && v.Type.Shape.IsStatic() && v.Type.Shape.NumElements() == 1
	},
	// f32: a float32 tensor.
	"f32": func(v *ir.Value) bool { return v.Type.IsTensor() && v.Type.DType == ir.F32 },
}

// matcher matches patterns in one function, with its use lists.
type matcher struct {
	uses ir.UseMap
}

func (mt *matcher) match(p *Pat, v *ir.Value, m *Match) bool {
	if v == nil {
		return false
	}
	if p.Same != "" {
		if w, ok := m.Vals[p.Same]; !ok || w != v {
			return false
		}
	}
	for _, name := range p.Preds {
		f := preds[name]
		if f == nil || !f(v) {
			return false
		}
	}
	if p.Op != "" {
		op := v.Def
		if op == nil || op.Name != p.Op || v.Index != 0 || len(op.Args) < len(p.Args) {
			return false
		}
		if !mt.matchArgs(p, op, m) {
			return false
		}
		if p.Bind != "" {
			m.Ops[p.Bind] = op
		}
		if !p.Kept {
			m.All = append(m.All, op)
		}
	}
	if p.Bind != "" {
		if w, ok := m.Vals[p.Bind]; ok && w != v {
			return false
		}
		m.Vals[p.Bind] = v
	}
	return true
}

// matchArgs matches op's operands, swapped too when p is commutative;
// bindings a failed attempt made are undone.
func (mt *matcher) matchArgs(p *Pat, op *ir.Op, m *Match) bool {
	orders := [][]int{identity(len(p.Args))}
	if p.Commutative && len(p.Args) == 2 {
		orders = append(orders, []int{1, 0})
	}
	for _, ord := range orders {
		saved := m.snapshot()
		ok := true
		for i, ap := range p.Args {
			if ap == nil {
				continue
			}
			if !mt.match(ap, op.Args[ord[i]], m) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
		m.restore(saved)
	}
	return false
}

func identity(n int) []int {
	ix := make([]int, n)
	for i := range ix {
		ix[i] = i
	}
	return ix
}

type snapshot struct {
	vals map[string]*ir.Value
	ops  map[string]*ir.Op
	all  int
}

func (m *Match) snapshot() snapshot {
	s := snapshot{vals: map[string]*ir.Value{}, ops: map[string]*ir.Op{}, all: len(m.All)}
	for k, v := range m.Vals {
		s.vals[k] = v
	}
	for k, v := range m.Ops {
		s.ops[k] = v
	}
	return s
}

func (m *Match) restore(s snapshot) {
	m.Vals, m.Ops, m.All = s.vals, s.ops, m.All[:s.all]
}

// contained reports whether every result of every matched op but the
// root (the last) is read only by matched ops.
func (mt *matcher) contained(m *Match) bool {
	in := map[*ir.Op]bool{}
	for _, op := range m.All {
		in[op] = true
	}
	for _, op := range m.All[:len(m.All)-1] {
		for _, r := range op.Results {
			for _, u := range mt.uses[r] {
				if u.Op == nil || !in[u.Op] {
					return false
				}
			}
		}
	}
	return true
}

// MaxRewrites caps the rewrites one rule pass makes per function: each
// rewrite removes at least one op, so a module cannot need more than it
// has ops, and a rule set that keeps rewriting its own output stops here
// with an error instead of looping.
const MaxRewrites = 1 << 20

// applyRules runs rules over every function of m with one worklist
// driver: ops are visited in order; at each, the rules whose pattern is
// rooted at its op name are tried in order, and the first that matches
// rewrites it. Replacements are visited again, so rules compose (a fused
// op can be the operand another rule matches). Hits are counted per rule.
func applyRules(m *ir.Module, rules []*Rule, st Stats) error {
	byRoot := map[string][]*Rule{}
	for _, r := range rules {
		byRoot[r.Pattern.Op] = append(byRoot[r.Pattern.Op], r)
	}
	for _, f := range m.Funcs {
		// Dead readers (a folded shape subgraph's Shape of an
		// intermediate) would make matches look shared.
		ir.RemoveDeadOps(f.Body)
		n := 0
		// Matched ops a rewrite leaves unread are only marked dead here
		// (erasing one at a time walks the function each time: quadratic
		// on large models); they are skipped, their reads leave the use
		// map, and they go in one sweep at the end. The use map is
		// computed once per rewrite.
		dead := map[*ir.Op]bool{}
		uses := ir.Uses(f.Body)
		for changed := true; changed; {
			changed = false
			mt := &matcher{uses: uses}
			var err error
			visitOps(f.Body, func(op *ir.Op) bool {
				if dead[op] {
					return true
				}
				for _, r := range byRoot[op.Name] {
					mm := &Match{Module: m, Vals: map[string]*ir.Value{}, Ops: map[string]*ir.Op{}}
					if !mt.match(r.Pattern, op.Results[0], mm) || !mt.contained(mm) || (r.Where != nil && !r.Where(mm)) {
						continue
					}
					parent := op.Parent
					old := make(map[*ir.Op]bool, len(parent.Ops))
					for _, o := range parent.Ops {
						old[o] = true
					}
					vals, e := r.Build(ir.BuildBefore(op), mm)
					if e != nil {
						err = fmt.Errorf("rule %s at %s: %w", r.Name, nodeLabel(op), e)
						return false
					}
					if vals == nil {
						continue
					}
					built := map[*ir.Op]bool{}
					for _, nop := range parent.Ops {
						if !old[nop] {
							built[nop] = true
						}
					}
					for i, res := range op.Results {
						if i < len(vals) {
							ir.ReplaceAllUses(f.Body, res, vals[i])
						}
					}
					uses = liveUses(f.Body, dead)
					// The root first: then what only it read is unread.
					for i := len(mm.All) - 1; i >= 0; i-- {
						markIfUnread(mm.All[i], uses, dead)
					}
					// New values take the names of the ones they replace,
					// so a dump changes only on the rewritten lines.
					if dead[op] {
						for i, v := range vals {
							if i < len(op.Results) && built[v.Def] {
								v.Name = op.Results[i].Name
							}
						}
					}
					st.Add("rule "+r.Name, 1)
					n++
					changed = true
					return false // use lists changed: start over
				}
				return true
			})
			if err != nil {
				ir.RemoveDeadOps(f.Body)
				return err
			}
			if n > MaxRewrites {
				return fmt.Errorf("rules rewrote %s more than %d times; a rule keeps matching its own output", f.Name, MaxRewrites)
			}
		}
		ir.RemoveDeadOps(f.Body)
	}
	return nil
}

// visitOps calls visit for each op of r and its nested regions in order
// until visit returns false.
func visitOps(r *ir.Region, visit func(op *ir.Op) bool) bool {
	for _, op := range r.Ops {
		if len(op.Results) > 0 && !visit(op) {
			return false
		}
		for _, sub := range op.Regions {
			if !visitOps(sub, visit) {
				return false
			}
		}
	}
	return true
}

// liveUses returns the uses in body that ops outside dead make.
func liveUses(body *ir.Region, dead map[*ir.Op]bool) ir.UseMap {
	uses := ir.Uses(body)
	for op := range dead {
		dropReads(op, uses)
	}
	return uses
}

// markIfUnread marks op dead when nothing live reads its results (and it
// has no side effects or regions), and removes its reads from uses.
func markIfUnread(op *ir.Op, uses ir.UseMap, dead map[*ir.Op]bool) {
	if dead[op] || len(op.Regions) > 0 || ir.HasSideEffects(op) {
		return
	}
	for _, r := range op.Results {
		if len(uses[r]) > 0 {
			return
		}
	}
	dead[op] = true
	dropReads(op, uses)
}

// dropReads removes op's reads (operands and attribute tensors) from uses.
func dropReads(op *ir.Op, uses ir.UseMap) {
	drop := func(v *ir.Value) {
		if v != nil {
			uses[v] = slices.DeleteFunc(uses[v], func(u ir.Use) bool { return u.Op == op })
		}
	}
	for _, a := range op.Args {
		drop(a)
	}
	for _, a := range op.Attrs {
		if a.Value.Kind == ir.AttrTensor {
			drop(a.Value.Tensor)
		}
	}
}

// nodeLabel names op for messages: its locations, or its name.
func nodeLabel(op *ir.Op) string {
	if len(op.Loc) > 0 {
		return op.Loc.String()
	}
	return op.Name
}

// ruleDoc lists rules for a pass's documentation.
func ruleDoc(rules []*Rule) string {
	var b strings.Builder
	names := make([]string, 0, len(rules))
	docs := map[string]string{}
	for _, r := range rules {
		if _, ok := docs[r.Name]; !ok {
			names = append(names, r.Name) // one entry for a rule's several forms
		}
		docs[r.Name] = r.Doc
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  - %s: %s\n", n, docs[n])
	}
	return b.String()
}
