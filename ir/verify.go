package ir

import (
	"errors"
	"fmt"
	"strings"
)

// Verify checks that m is well formed: every op is declared and matches its
// declaration (operand and result counts, attribute names and kinds,
// regions), every value is defined exactly once before its uses and in a
// scope that encloses them, and every op's result types agree with what
// inference derives. It reports up to 20 problems in one error.
func Verify(m *Module) error {
	v := &verifier{defined: map[*Value]bool{}}
	names := map[string]bool{}
	for _, c := range m.Consts {
		switch {
		case c.Const == nil:
			v.errorf("", "module constant without payload")
		case names[c.Const.Name]:
			v.errorf("", "constant @%s defined twice", c.Const.Name)
		default:
			names[c.Const.Name] = true
			v.checkConst(c)
		}
		v.defined[c] = true
	}
	v.syms(m.Syms)
	fnames := map[string]bool{}
	for _, f := range m.Funcs {
		if fnames[f.Name] {
			v.errorf("", "function @%s defined twice", f.Name)
		}
		fnames[f.Name] = true
		if len(f.InputNames) != len(f.Body.Params) || len(f.OutputNames) != len(f.Body.Results) {
			v.errorf("", "function @%s: %d input names for %d inputs, %d output names for %d outputs",
				f.Name, len(f.InputNames), len(f.Body.Params), len(f.OutputNames), len(f.Body.Results))
		}
		v.region(f.Body, "@"+f.Name)
	}
	if len(v.errs) == 0 {
		return nil
	}
	return &VerifyError{Problems: v.errs}
}

// syms checks the symbol declarations: one per name, 0 ≤ min ≤ max (max
// < 0 means unbounded). Symbols used in dims need no declaration.
func (v *verifier) syms(syms []SymBound) {
	seen := make(map[string]SymBound, len(syms))
	for _, s := range syms {
		if prev, dup := seen[s.Name]; dup {
			v.errorf("", "sym %s declared twice: in %s and in %s", symKey(s.Name), prev.rangeString(), s.rangeString())
			continue
		}
		seen[s.Name] = s
		switch {
		case s.Name == "":
			v.errorf("", "sym with an empty name")
		case s.Min < 0:
			v.errorf("", "sym %s: min %d is negative", symKey(s.Name), s.Min)
		case s.Max >= 0 && s.Max < s.Min:
			v.errorf("", "sym %s: max %d below min %d", symKey(s.Name), s.Max, s.Min)
		}
	}
}

// VerifyError lists every problem Verify found (up to a limit).
type VerifyError struct{ Problems []string }

func (e *VerifyError) Error() string {
	return "invalid module:\n  " + strings.Join(e.Problems, "\n  ")
}

// ErrTooManyProblems marks a truncated problem list.
var ErrTooManyProblems = errors.New("too many problems")

type verifier struct {
	defined map[*Value]bool // values defined so far, in scope or not
	scope   []map[*Value]bool
	errs    []string
}

func (v *verifier) errorf(where, format string, args ...any) {
	if len(v.errs) >= 20 {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if where != "" {
		msg = where + ": " + msg
	}
	v.errs = append(v.errs, msg)
	if len(v.errs) == 20 {
		v.errs = append(v.errs, ErrTooManyProblems.Error())
	}
}

func (v *verifier) checkConst(c *Value) {
	t := c.Type
	name := "@" + c.Const.Name
	if !t.IsTensor() || !t.DType.Valid() {
		v.errorf(name, "constant type %v is not a tensor type", t)
		return
	}
	n := t.Shape.NumElements()
	if n < 0 {
		v.errorf(name, "constant shape %v is not static", t.Shape)
		return
	}
	if t.DType == String {
		if int64(len(c.Const.Strings)) != n {
			v.errorf(name, "%d strings for %d elements", len(c.Const.Strings), n)
		}
		return
	}
	if err := BlockShapeError(t); err != nil {
		v.errorf(name, "constant type %v", err)
		return
	}
	want, err := t.ByteSize()
	if err != nil {
		v.errorf(name, "constant type %v: %v", t, err)
		return
	}
	if int64(len(c.Const.Bytes)) != want {
		v.errorf(name, "%d bytes for %v (want %d)", len(c.Const.Bytes), t, want)
	}
}

func (v *verifier) inScope(x *Value) bool {
	if x.Const != nil {
		return v.defined[x]
	}
	for i := len(v.scope) - 1; i >= 0; i-- {
		if v.scope[i][x] {
			return true
		}
	}
	return false
}

func (v *verifier) define(where string, x *Value) {
	if v.defined[x] {
		v.errorf(where, "value defined twice")
	}
	v.defined[x] = true
	v.scope[len(v.scope)-1][x] = true
	if err := BlockShapeError(x.Type); err != nil {
		v.errorf(where, "%v", err)
	}
}

// MaxRegionDepth is how deeply regions may nest (a Loop in an If in a
// Loop ...). Models nest a few levels; the bound keeps every recursion
// over regions (verification, inference, the interpreter) far from the
// Go stack's limit on hostile input.
const MaxRegionDepth = 256

func (v *verifier) region(r *Region, where string) {
	if len(v.scope) > MaxRegionDepth {
		v.errorf(where, "regions nest more than %d deep", MaxRegionDepth)
		return
	}
	v.scope = append(v.scope, map[*Value]bool{})
	defer func() { v.scope = v.scope[:len(v.scope)-1] }()
	for i, p := range r.Params {
		if p.Param != r || p.Index != i {
			v.errorf(where, "param %d does not point back to its region", i)
		}
		v.define(where, p)
	}
	for i, op := range r.Ops {
		at := fmt.Sprintf("%s: op %d (%s)", where, i, op.Name)
		if len(op.Loc) > 0 {
			at = fmt.Sprintf("%s: %s %v", where, op.Name, op.Loc)
		}
		if op.Parent != r {
			v.errorf(at, "op does not point back to its region")
		}
		v.op(op, at)
	}
	for i, x := range r.Results {
		if x == nil || !v.inScope(x) {
			v.errorf(where, "result %d is not defined in scope", i)
		}
	}
}

func (v *verifier) op(op *Op, at string) {
	d := Lookup(op.Name)
	if d == nil {
		v.errorf(at, "unknown op %q%s", op.Name, opHint(op.Name))
		return
	}
	lo, hi := Arity(d.Inputs)
	if len(op.Args) < lo || (hi >= 0 && len(op.Args) > hi) {
		v.errorf(at, "%d operands, want %s", len(op.Args), arityString(lo, hi))
	}
	for i, a := range op.Args {
		if a == nil {
			if (hi < 0 || i < hi) && !d.mayBeAbsent(i) {
				v.errorf(at, "%s", d.absentOperand(i))
			}
			continue
		}
		if !v.inScope(a) {
			v.errorf(at, "operand %d is not defined before use in scope", i)
		}
	}
	rmin, rmax := Arity(d.Outputs)
	if len(op.Results) < max(1, rmin) && len(d.Outputs) > 0 || (rmax >= 0 && len(op.Results) > rmax) {
		v.errorf(at, "%d results, want %s", len(op.Results), arityString(rmin, rmax))
	}
	for i, a := range op.Attrs {
		ad := d.attr(a.Name)
		switch {
		case ad == nil:
			v.errorf(at, "unknown attribute %q%s", a.Name, d.attrHint(a.Name))
		case a.Value.Kind != ad.Kind:
			v.errorf(at, "attribute %q is %v, want %v", a.Name, a.Value.Kind, ad.Kind)
		case a.Value.Kind == AttrTensor && (a.Value.Tensor == nil || !v.defined[a.Value.Tensor]):
			v.errorf(at, "attribute %q refers to an undefined constant", a.Name)
		}
		if i > 0 && op.Attrs[i-1].Name >= a.Name {
			v.errorf(at, "attributes not sorted or duplicated at %q", a.Name)
		}
	}
	for _, ad := range d.Attrs {
		if ad.Required && !op.Has(ad.Name) {
			v.errorf(at, "required attribute %q missing", ad.Name)
		}
	}
	if len(op.Regions) != len(d.Regions) {
		v.errorf(at, "%d regions, want %d", len(op.Regions), len(d.Regions))
	} else {
		for i, r := range op.Regions {
			if r.Name != d.Regions[i] {
				v.errorf(at, "region %d is %q, want %q", i, r.Name, d.Regions[i])
			}
			if r.Parent != op {
				v.errorf(at, "region %q does not point back to its op", r.Name)
			}
			v.region(r, at+": "+r.Name)
		}
	}
	for _, p := range ContractProblems(op) {
		v.errorf(at, "%s", p)
	}
	for i, res := range op.Results {
		if res.Def != op || res.Index != i {
			v.errorf(at, "result %d does not point back to its op", i)
		}
		v.define(at, res)
	}
	if len(v.errs) > 0 {
		return // inference on a malformed op would only repeat the problem
	}
	types, err := inferRecovered(d, op)
	if err == nil {
		err = checkElemCounts(types)
	}
	if err != nil {
		v.errorf(at, "%v", err)
		return
	}
	for i, res := range op.Results {
		if i >= len(types) {
			v.errorf(at, "inference gave no type for result %d", i)
			break
		}
		if _, err := MergeTypes(types[i], res.Type); err != nil {
			v.errorf(at, "result %d: declared %v, inferred %v", i, res.Type, types[i])
		}
	}
}

func arityString(min, max int) string {
	switch {
	case max < 0:
		return fmt.Sprintf("at least %d", min)
	case min == max:
		return fmt.Sprint(min)
	}
	return fmt.Sprintf("%d to %d", min, max)
}
