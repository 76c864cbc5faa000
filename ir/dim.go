package ir

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"
)

// Dim is one dimension of a tensor shape, or one element of a shape value
// (an integer tensor that inference evaluates symbolically). It is
//
//   - a constant: Size holds it when it is ≥ 0 (a static dim); a negative
//     constant, which only shape values hold (Reshape's -1), is an
//     expression;
//   - an expression over named symbols in canonical form: an integer
//     polynomial (a sum of coefficient × product-of-atoms terms) whose atoms
//     are symbols (`batch`) and floor divisions by a positive constant
//     (`(h+1)/2`). Symbolic("seq") is the expression made of one symbol;
//   - unknown ("?"): nothing is known.
//
// Expressions are built with Add, Sub, Mul, FloorDiv and CeilDiv, which keep
// them canonical, so that two equal expressions have the same form: Equal
// compares them and String prints them identically. Dim holds a slice, so it
// cannot be compared with ==; use Equal.
type Dim struct {
	Size int64     // the size when the dim is a constant ≥ 0; -1 otherwise
	expr []dimTerm // when Size < 0: the canonical expression; nil means unknown
}

// dimTerm is coef × the product of atoms (no atoms: the constant term).
type dimTerm struct {
	coef  int64
	atoms []dimAtom // sorted by key; an atom may repeat (n*n)
	key   string    // the atoms' keys joined by "*": terms with equal keys merge
}

// dimAtom is a symbol, or the floor division of a canonical numerator by
// den > 1 whose coefficients lie in [0, den) with no factor common to all
// of them and den.
type dimAtom struct {
	sym string
	num []dimTerm
	den int64
	key string // the atom's text form: sorts atoms and terms
}

// Limits on the size of an expression: arithmetic whose result would be
// larger, or would overflow int64, gives an unknown dim.
const (
	maxDimTerms   = 32
	maxDimAtoms   = 8
	maxDimKeySize = 512
)

// Static returns the static dimension n (n ≥ 0). A negative n gives an
// unknown dim; DimInt keeps negative constants.
func Static(n int64) Dim {
	if n < 0 {
		return Unknown()
	}
	return Dim{Size: n}
}

// DimInt returns the constant n, which may be negative (shape values hold
// -1 and other negative numbers).
func DimInt(n int64) Dim {
	if n >= 0 {
		return Dim{Size: n}
	}
	return Dim{Size: -1, expr: []dimTerm{{coef: n}}}
}

// Symbolic returns the dimension named s (an empty name gives an unknown
// dim).
func Symbolic(s string) Dim {
	if s == "" {
		return Unknown()
	}
	return Dim{Size: -1, expr: []dimTerm{{coef: 1, atoms: []dimAtom{{sym: s, key: symKey(s)}}, key: symKey(s)}}}
}

// Unknown returns a dimension about which nothing is known.
func Unknown() Dim { return Dim{Size: -1} }

// IsStatic reports whether d is a constant size (≥ 0).
func (d Dim) IsStatic() bool { return d.Size >= 0 }

// IsSymbolic reports whether d is a single named symbol.
func (d Dim) IsSymbolic() bool {
	_, ok := d.Symbol()
	return ok
}

// IsUnknown reports whether nothing is known about d.
func (d Dim) IsUnknown() bool { return d.Size < 0 && d.expr == nil }

// IsKnown reports whether d is a constant or an expression (not unknown).
func (d Dim) IsKnown() bool { return !d.IsUnknown() }

// IsExpr reports whether d is an expression over symbols: known and not a
// constant.
func (d Dim) IsExpr() bool {
	_, isConst := d.Int()
	return d.IsKnown() && !isConst
}

// Symbol returns the name of the symbol d is, when d is a single symbol.
func (d Dim) Symbol() (string, bool) {
	if d.Size >= 0 || len(d.expr) != 1 {
		return "", false
	}
	t := d.expr[0]
	if t.coef != 1 || len(t.atoms) != 1 || t.atoms[0].den != 0 {
		return "", false
	}
	return t.atoms[0].sym, true
}

// Int returns d's value when d is a constant (possibly negative).
func (d Dim) Int() (int64, bool) {
	if d.Size >= 0 {
		return d.Size, true
	}
	if len(d.expr) == 1 && len(d.expr[0].atoms) == 0 {
		return d.expr[0].coef, true
	}
	return 0, false
}

// Equal reports whether d and e are the same dim: the same constant, the
// same canonical expression, or both unknown. Two unknown dims are equal as
// descriptions, not as sizes; callers that ask whether two sizes are equal
// at run time check IsKnown too.
func (d Dim) Equal(e Dim) bool {
	if d.Size != e.Size || len(d.expr) != len(e.expr) || (d.expr == nil) != (e.expr == nil) {
		return false
	}
	for i := range d.expr {
		if d.expr[i].coef != e.expr[i].coef || d.expr[i].key != e.expr[i].key {
			return false
		}
	}
	return true
}

// Symbols returns the names of the symbols d mentions, sorted.
func (d Dim) Symbols() []string {
	set := map[string]bool{}
	collectSyms(d.expr, set)
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func collectSyms(terms []dimTerm, set map[string]bool) {
	for _, t := range terms {
		for _, a := range t.atoms {
			if a.den == 0 {
				set[a.sym] = true
			} else {
				collectSyms(a.num, set)
			}
		}
	}
}

// String returns the text form of d: the number, the expression
// (`past_seq+seq`, `2*n`, `(h+1)/2`, symbols quoted when they are not
// identifiers) or "?".
func (d Dim) String() string {
	if d.Size >= 0 {
		return strconv.FormatInt(d.Size, 10)
	}
	if d.expr == nil {
		return "?"
	}
	if t := d.expr[0]; len(d.expr) == 1 && t.coef == 1 && len(t.atoms) == 1 {
		return t.atoms[0].key // a symbol, or a division standing alone
	}
	return termsString(d.expr)
}

func symKey(s string) string {
	if isIdent(s) {
		return s
	}
	return strconv.Quote(s)
}

// termsString prints a canonical sum. A floor division stands bare only as
// a whole term with coefficient 1 (`(h+1)/2+n`); anywhere else it is
// parenthesized (`2*((h+1)/2)`, `-(n/2)`), so that the text parses back
// to the same expression.
func termsString(terms []dimTerm) string {
	var b strings.Builder
	for i, t := range terms {
		c := t.coef
		if c == math.MinInt64 {
			b.WriteString(strconv.FormatInt(c, 10))
			continue
		}
		if c < 0 {
			b.WriteByte('-')
			c = -c
		} else if i > 0 {
			b.WriteByte('+')
		}
		if len(t.atoms) == 0 {
			b.WriteString(strconv.FormatInt(c, 10))
			continue
		}
		bare := c == 1 && t.coef > 0 && len(t.atoms) == 1
		if c != 1 {
			b.WriteString(strconv.FormatInt(c, 10))
			b.WriteByte('*')
		}
		for j, a := range t.atoms {
			if j > 0 {
				b.WriteByte('*')
			}
			if a.den != 0 && !bare {
				b.WriteByte('(')
				b.WriteString(a.key)
				b.WriteByte(')')
			} else {
				b.WriteString(a.key)
			}
		}
	}
	return b.String()
}

// divKey is the text form of the atom num/den.
func divKey(num []dimTerm, den int64) string {
	n := termsString(num)
	if len(num) != 1 || num[0].coef != 1 || len(num[0].atoms) != 1 || num[0].atoms[0].den != 0 {
		n = "(" + n + ")"
	}
	return n + "/" + strconv.FormatInt(den, 10)
}

// terms returns d as a sum of terms (a constant as one constant term, zero
// as none); ok is false for an unknown dim.
func (d Dim) terms() ([]dimTerm, bool) {
	switch {
	case d.Size > 0:
		return []dimTerm{{coef: d.Size}}, true
	case d.Size == 0:
		return nil, true
	case d.expr == nil:
		return nil, false
	}
	return d.expr, true
}

// dimOfTerms builds a Dim from a canonical (sorted, merged) sum.
func dimOfTerms(terms []dimTerm) Dim {
	switch {
	case len(terms) == 0:
		return Dim{Size: 0}
	case len(terms) > maxDimTerms:
		return Unknown()
	case len(terms) == 1 && len(terms[0].atoms) == 0:
		return DimInt(terms[0].coef)
	}
	size := 0
	for _, t := range terms {
		if t.coef == math.MinInt64 {
			return Unknown() // only a lone constant may be MinInt64 (DimInt)
		}
		size += len(t.key) + 24
	}
	if size > maxDimKeySize {
		return Unknown()
	}
	return Dim{Size: -1, expr: terms}
}

// termLess orders terms by key, the constant term last.
func termLess(a, b *dimTerm) bool {
	switch {
	case len(a.atoms) == 0:
		return false
	case len(b.atoms) == 0:
		return true
	}
	return a.key < b.key
}

// normalize sorts terms, merges equal monomials and drops zero terms; ok is
// false on overflow.
func normalize(terms []dimTerm) ([]dimTerm, bool) {
	sort.SliceStable(terms, func(i, j int) bool { return termLess(&terms[i], &terms[j]) })
	out := terms[:0:0]
	for _, t := range terms {
		if n := len(out); n > 0 && out[n-1].key == t.key && len(out[n-1].atoms) == len(t.atoms) {
			c, ok := addInt(out[n-1].coef, t.coef)
			if !ok {
				return nil, false
			}
			out[n-1].coef = c
			continue
		}
		out = append(out, t)
	}
	kept := out[:0]
	for _, t := range out {
		if t.coef != 0 {
			kept = append(kept, t)
		}
	}
	return kept, true
}

func addInt(a, b int64) (int64, bool) {
	c := a + b
	if (c > a) != (b > 0) {
		return 0, false
	}
	return c, c != math.MinInt64
}

func mulInt(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	hi, lo := bits.Mul64(uint64(absInt(a)), uint64(absInt(b)))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	c := int64(lo)
	if (a < 0) != (b < 0) {
		c = -c
	}
	return c, true
}

// absInt assumes a != MinInt64 (expressions never hold it).
func absInt(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}

// Add returns d+e.
func (d Dim) Add(e Dim) Dim {
	a, ok1 := d.terms()
	b, ok2 := e.terms()
	if !ok1 || !ok2 {
		return Unknown()
	}
	if x, ok := d.Int(); ok {
		if y, ok := e.Int(); ok {
			if s, ok := addInt(x, y); ok {
				return DimInt(s)
			}
			return Unknown()
		}
	}
	sum := make([]dimTerm, 0, len(a)+len(b))
	sum = append(append(sum, a...), b...)
	sum, ok := normalize(sum)
	if !ok {
		return Unknown()
	}
	return dimOfTerms(sum)
}

// Neg returns -d.
func (d Dim) Neg() Dim { return d.Mul(DimInt(-1)) }

// Sub returns d-e.
func (d Dim) Sub(e Dim) Dim { return d.Add(e.Neg()) }

// Mul returns d*e.
func (d Dim) Mul(e Dim) Dim {
	a, ok1 := d.terms()
	b, ok2 := e.terms()
	if !ok1 || !ok2 {
		// 0 times anything is 0, even an unknown.
		if x, ok := d.Int(); ok && x == 0 {
			return Static(0)
		}
		if y, ok := e.Int(); ok && y == 0 {
			return Static(0)
		}
		return Unknown()
	}
	if len(a)*len(b) > maxDimTerms*2 {
		return Unknown()
	}
	prod := make([]dimTerm, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			t, ok := mulTerms(x, y)
			if !ok {
				return Unknown()
			}
			prod = append(prod, t)
		}
	}
	prod, ok := normalize(prod)
	if !ok {
		return Unknown()
	}
	return dimOfTerms(prod)
}

func mulTerms(x, y dimTerm) (dimTerm, bool) {
	c, ok := mulInt(x.coef, y.coef)
	if !ok || len(x.atoms)+len(y.atoms) > maxDimAtoms {
		return dimTerm{}, false
	}
	atoms := make([]dimAtom, 0, len(x.atoms)+len(y.atoms))
	atoms = append(append(atoms, x.atoms...), y.atoms...)
	return makeTerm(c, atoms), true
}

// makeTerm sorts atoms and computes the term's key.
func makeTerm(coef int64, atoms []dimAtom) dimTerm {
	sort.SliceStable(atoms, func(i, j int) bool { return atoms[i].key < atoms[j].key })
	keys := make([]string, len(atoms))
	for i, a := range atoms {
		keys[i] = a.key
	}
	return dimTerm{coef: coef, atoms: atoms, key: strings.Join(keys, "*")}
}

// FloorDiv returns d/e rounded toward negative infinity. The result is an
// expression when e is a nonzero constant, or when e divides d exactly
// (d is a constant multiple of e, or e is one term dividing every term of
// d); otherwise it is unknown.
func (d Dim) FloorDiv(e Dim) Dim {
	a, ok1 := d.terms()
	if !ok1 || e.IsUnknown() {
		return Unknown()
	}
	k, isConst := e.Int()
	switch {
	case isConst && k == 0:
		return Unknown()
	case isConst && k < 0:
		if k == math.MinInt64 {
			return Unknown()
		}
		return d.Neg().FloorDiv(DimInt(-k))
	case isConst:
		return floorDivConst(a, k)
	}
	return exactDiv(d, e)
}

// CeilDiv returns d/e rounded toward positive infinity, for a positive
// constant e (otherwise as FloorDiv for an exact division).
func (d Dim) CeilDiv(e Dim) Dim {
	if k, ok := e.Int(); ok && k > 0 {
		return d.Add(DimInt(k - 1)).FloorDiv(e) // (n+1)/2 rather than n-(n/2)
	}
	return d.Neg().FloorDiv(e).Neg()
}

// floorDivConst divides a canonical sum by k > 0: each coefficient c splits
// into k*q + r with 0 ≤ r < k; the quotients stay outside the division, the
// remainders (divided by their greatest common divisor with k) form the
// numerator of a new atom. So (h-1)/2+1 and (h+1)/2 both become (h+1)/2.
func floorDivConst(a []dimTerm, k int64) Dim {
	if k == 1 {
		return dimOfTerms(a)
	}
	// floor((floor(N/d) + R)/k) = floor((N + d*R)/(d*k)) for integer R:
	// nested divisions merge, so ((h+1)/2+1)/2 is (h+3)/4.
	if i := nestedDivTerm(a); i >= 0 {
		t := a[i]
		at := t.atoms[0]
		dk, ok := mulInt(at.den, k)
		if !ok {
			return Unknown()
		}
		rest := make([]dimTerm, 0, len(a)-1)
		rest = append(append(rest, a[:i]...), a[i+1:]...)
		num := dimOfTerms(at.num).Add(dimOfTerms(rest).Mul(Static(at.den)))
		terms, ok := num.terms()
		if !ok {
			return Unknown()
		}
		return floorDivConst(terms, dk)
	}
	var quot, rem []dimTerm
	g := k
	for _, t := range a {
		q, r := t.coef/k, t.coef%k
		if r < 0 {
			q, r = q-1, r+k
		}
		if q != 0 {
			quot = append(quot, dimTerm{coef: q, atoms: t.atoms, key: t.key})
		}
		if r != 0 {
			rem = append(rem, dimTerm{coef: r, atoms: t.atoms, key: t.key})
			g = gcd(g, r)
		}
	}
	out := quot
	switch {
	case len(rem) == 0:
	case len(rem) == 1 && len(rem[0].atoms) == 0:
		// A constant remainder in [0, k) divides to 0.
	default:
		for i := range rem {
			rem[i].coef /= g
		}
		den := k / g
		if nestedDivTerm(rem) >= 0 {
			// Dividing out the common factor left a division to merge.
			q := floorDivConst(rem, den)
			qt, ok := q.terms()
			if !ok {
				return Unknown()
			}
			out = append(out, qt...)
		} else if den > 1 {
			atom := dimAtom{num: rem, den: den}
			atom.key = divKey(rem, den)
			out = append(out, makeTerm(1, []dimAtom{atom}))
		} else {
			out = append(out, rem...)
		}
	}
	out, ok := normalize(out)
	if !ok {
		return Unknown()
	}
	return dimOfTerms(out)
}

// nestedDivTerm returns the index of the first term that is a division
// with coefficient 1 (which a division of the sum merges with), or -1.
func nestedDivTerm(a []dimTerm) int {
	for i, t := range a {
		if t.coef == 1 && len(t.atoms) == 1 && t.atoms[0].den != 0 {
			return i
		}
	}
	return -1
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return absInt(a)
}

// exactDiv divides d by a non-constant e when the division is exact.
func exactDiv(d, e Dim) Dim {
	a, _ := d.terms()
	b, _ := e.terms()
	if len(a) == 0 {
		return Static(0)
	}
	// d = q*e for a constant q?
	if len(a) == len(b) && b[0].coef != 0 && a[0].coef%b[0].coef == 0 {
		q := a[0].coef / b[0].coef
		if m := e.Mul(DimInt(q)); m.Equal(d) {
			return DimInt(q)
		}
	}
	// e is one term c*m dividing every term of d.
	if len(b) != 1 || b[0].coef == 0 {
		return Unknown()
	}
	div := b[0]
	out := make([]dimTerm, 0, len(a))
	for _, t := range a {
		if t.coef%div.coef != 0 {
			return Unknown()
		}
		rest, ok := removeAtoms(t.atoms, div.atoms)
		if !ok {
			return Unknown()
		}
		out = append(out, makeTerm(t.coef/div.coef, rest))
	}
	out, ok := normalize(out)
	if !ok {
		return Unknown()
	}
	return dimOfTerms(out)
}

// removeAtoms returns atoms without one occurrence of each of sub.
func removeAtoms(atoms, sub []dimAtom) ([]dimAtom, bool) {
	rest := append([]dimAtom(nil), atoms...)
	for _, s := range sub {
		found := false
		for i, a := range rest {
			if a.key == s.key {
				rest = append(rest[:i], rest[i+1:]...)
				found = true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return rest, true
}

// Eval returns d's value when every symbol it mentions is bound; ok is false
// for an unknown dim, an unbound symbol or overflow.
func (d Dim) Eval(bind map[string]int64) (int64, bool) {
	if d.Size >= 0 {
		return d.Size, true
	}
	if d.expr == nil {
		return 0, false
	}
	return evalTerms(d.expr, bind)
}

func evalTerms(terms []dimTerm, bind map[string]int64) (int64, bool) {
	var sum int64
	for _, t := range terms {
		p := t.coef
		for _, a := range t.atoms {
			var v int64
			if a.den == 0 {
				x, ok := bind[a.sym]
				if !ok {
					return 0, false
				}
				v = x
			} else {
				n, ok := evalTerms(a.num, bind)
				if !ok {
					return 0, false
				}
				v = floorDivInt(n, a.den)
			}
			var ok bool
			if p, ok = mulInt(p, v); !ok {
				return 0, false
			}
		}
		var ok bool
		if sum, ok = addInt(sum, p); !ok {
			return 0, false
		}
	}
	return sum, true
}

// floorDivInt is a/b rounded toward negative infinity, for b > 0.
func floorDivInt(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// interval is a range of integers; an infinite end is marked.
type interval struct {
	lo, hi       int64
	loInf, hiInf bool
}

// UpperBound returns the largest value d can take when each symbol lies in
// the range syms gives it (a symbol without a declaration ranges over
// [0, ∞)); ok is false when d is unknown or unbounded above.
func (d Dim) UpperBound(syms []SymBound) (int64, bool) {
	if d.Size >= 0 {
		return d.Size, true
	}
	if d.expr == nil {
		return 0, false
	}
	iv := termsRange(d.expr, syms)
	return iv.hi, !iv.hiInf
}

// LowerBound is UpperBound's counterpart: the smallest value d can take.
func (d Dim) LowerBound(syms []SymBound) (int64, bool) {
	if d.Size >= 0 {
		return d.Size, true
	}
	if d.expr == nil {
		return 0, false
	}
	iv := termsRange(d.expr, syms)
	return iv.lo, !iv.loInf
}

func symRange(name string, syms []SymBound) interval {
	for _, s := range syms {
		if s.Name == name {
			return interval{lo: max(s.Min, 0), hi: s.Max, hiInf: s.Max < 0}
		}
	}
	return interval{hiInf: true}
}

func termsRange(terms []dimTerm, syms []SymBound) interval {
	sum := interval{}
	for _, t := range terms {
		p := interval{lo: t.coef, hi: t.coef}
		for _, a := range t.atoms {
			var r interval
			if a.den == 0 {
				r = symRange(a.sym, syms)
			} else {
				r = termsRange(a.num, syms)
				if !r.loInf {
					r.lo = floorDivInt(r.lo, a.den)
				}
				if !r.hiInf {
					r.hi = floorDivInt(r.hi, a.den)
				}
			}
			p = mulInterval(p, r)
		}
		sum = addInterval(sum, p)
	}
	return sum
}

// ext is an extended integer: a finite value or ±∞ (inf = +1 or -1).
type ext struct {
	v   int64
	inf int
}

func (x ext) less(y ext) bool {
	if x.inf != y.inf {
		return x.inf < y.inf
	}
	return x.inf == 0 && x.v < y.v
}

func mulExt(x, y ext) ext {
	sign := func(e ext) int {
		switch {
		case e.inf != 0:
			return e.inf
		case e.v > 0:
			return 1
		case e.v < 0:
			return -1
		}
		return 0
	}
	sx, sy := sign(x), sign(y)
	if sx == 0 || sy == 0 {
		return ext{}
	}
	if x.inf != 0 || y.inf != 0 {
		return ext{inf: sx * sy}
	}
	p, ok := mulInt(x.v, y.v)
	if !ok {
		return ext{inf: sx * sy}
	}
	return ext{v: p}
}

func mulInterval(a, b interval) interval {
	lo := func(i interval) ext {
		if i.loInf {
			return ext{inf: -1}
		}
		return ext{v: i.lo}
	}
	hi := func(i interval) ext {
		if i.hiInf {
			return ext{inf: 1}
		}
		return ext{v: i.hi}
	}
	c := []ext{mulExt(lo(a), lo(b)), mulExt(lo(a), hi(b)), mulExt(hi(a), lo(b)), mulExt(hi(a), hi(b))}
	mn, mx := c[0], c[0]
	for _, x := range c[1:] {
		if x.less(mn) {
			mn = x
		}
		if mx.less(x) {
			mx = x
		}
	}
	return interval{lo: mn.v, hi: mx.v, loInf: mn.inf != 0, hiInf: mx.inf != 0}
}

func addInterval(a, b interval) interval {
	out := interval{loInf: a.loInf || b.loInf, hiInf: a.hiInf || b.hiInf}
	if !out.loInf {
		s, ok := addInt(a.lo, b.lo)
		out.lo, out.loInf = s, !ok
	}
	if !out.hiInf {
		s, ok := addInt(a.hi, b.hi)
		out.hi, out.hiInf = s, !ok
	}
	return out
}

// ShapeUpperBound returns the largest element count a tensor of shape s can
// have when its symbols lie in the ranges syms gives them; ok is false when
// the rank or a dim is unknown, or a dim is unbounded (or the count
// overflows int64).
func ShapeUpperBound(s Shape, syms []SymBound) (int64, bool) {
	if !s.Ranked {
		return 0, false
	}
	n := int64(1)
	for _, d := range s.Dims {
		ub, ok := d.UpperBound(syms)
		if !ok {
			return 0, false
		}
		if n, ok = mulInt(n, max(ub, 0)); !ok {
			return 0, false
		}
	}
	return n, true
}

// MaxBytes returns the largest number of bytes a tensor of type t can take
// under m's symbol bounds (ShapeUpperBound times the element size); ok is
// false for non-tensor types, string tensors and unbounded shapes.
func (m *Module) MaxBytes(t Type) (int64, bool) {
	if !t.IsTensor() || t.DType == String || !t.DType.Valid() {
		return 0, false
	}
	n, ok := ShapeUpperBound(t.Shape, m.Syms)
	if !ok {
		return 0, false
	}
	i := t.DType.Info()
	// A block type's bound counts whole blocks: a symbolic innermost dim
	// may bound to a count that is not a multiple of the block length.
	return mulInt((n+int64(i.BlockLen)-1)/int64(i.BlockLen), int64(i.BlockBytes))
}

// ParseDim reads the text form of one dim: an integer, "?", or an
// expression of symbols (identifiers or quoted strings), integers, "+",
// "-", "*", "/" (floor division) and parentheses.
func ParseDim(s string) (Dim, error) {
	p := &dimParser{src: s}
	p.lex()
	if p.err != nil {
		return Dim{}, p.err
	}
	return p.parseAll()
}

// dimToken is one token of a dim expression: kind is 'n' (integer), 's'
// (symbol), or the punctuation byte itself.
type dimToken struct {
	kind byte
	text string // symbol name (unquoted) or integer digits
}

type dimParser struct {
	src  string
	toks []dimToken
	i    int
	err  error
}

func (p *dimParser) lex() {
	s := p.src
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case isDigit(c):
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			p.toks = append(p.toks, dimToken{kind: 'n', text: s[i:j]})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			p.toks = append(p.toks, dimToken{kind: 's', text: s[i:j]})
			i = j
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				p.err = fmt.Errorf("unterminated string in dim %q", s)
				return
			}
			name, err := strconv.Unquote(s[i : j+1])
			if err != nil {
				p.err = fmt.Errorf("bad symbol name %s", s[i:j+1])
				return
			}
			p.toks = append(p.toks, dimToken{kind: 's', text: name})
			i = j + 1
		case strings.IndexByte("+-*/()?", c) >= 0:
			p.toks = append(p.toks, dimToken{kind: c})
			i++
		default:
			p.err = fmt.Errorf("unexpected %s in dim %q", quoteByte(c), s)
			return
		}
	}
}

// parseDimTokens parses a dim from tokens the text-form lexer produced.
func parseDimTokens(toks []dimToken) (Dim, error) {
	p := &dimParser{toks: toks}
	return p.parseAll()
}

func (p *dimParser) peek() byte {
	if p.i < len(p.toks) {
		return p.toks[p.i].kind
	}
	return 0
}

func (p *dimParser) parseAll() (Dim, error) {
	if len(p.toks) == 1 && p.toks[0].kind == '?' {
		return Unknown(), nil
	}
	d, err := p.sum()
	if err != nil {
		return Dim{}, err
	}
	if p.i < len(p.toks) {
		return Dim{}, fmt.Errorf("unexpected %s in dim", p.toks[p.i].describe())
	}
	if d.IsUnknown() {
		return Dim{}, fmt.Errorf("dim expression too large or overflows")
	}
	if n, ok := d.Int(); ok && n < 0 {
		return Dim{}, fmt.Errorf("dim %d is negative", n)
	}
	return d, nil
}

func (t dimToken) describe() string {
	switch t.kind {
	case 'n':
		return t.text
	case 's':
		return strconv.Quote(t.text)
	}
	return "'" + string(t.kind) + "'"
}

// sum = [ "-" ] term { ( "+" | "-" ) term }
func (p *dimParser) sum() (Dim, error) {
	neg := false
	if p.peek() == '-' {
		neg = true
		p.i++
	}
	d, err := p.term()
	if err != nil {
		return Dim{}, err
	}
	if neg {
		d = d.Neg()
	}
	for {
		op := p.peek()
		if op != '+' && op != '-' {
			return d, nil
		}
		p.i++
		e, err := p.term()
		if err != nil {
			return Dim{}, err
		}
		if op == '+' {
			d = d.Add(e)
		} else {
			d = d.Sub(e)
		}
	}
}

// term = factor { ( "*" | "/" ) factor }
func (p *dimParser) term() (Dim, error) {
	d, err := p.factor()
	if err != nil {
		return Dim{}, err
	}
	for {
		op := p.peek()
		if op != '*' && op != '/' {
			return d, nil
		}
		p.i++
		e, err := p.factor()
		if err != nil {
			return Dim{}, err
		}
		if op == '*' {
			d = d.Mul(e)
			continue
		}
		if k, ok := e.Int(); ok && k == 0 {
			return Dim{}, fmt.Errorf("division by zero in dim")
		}
		q := d.FloorDiv(e)
		if q.IsUnknown() && d.IsKnown() {
			return Dim{}, fmt.Errorf("cannot divide %v by %v in a dim", d, e)
		}
		d = q
	}
}

// factor = int | symbol | "(" sum ")"
func (p *dimParser) factor() (Dim, error) {
	if p.i >= len(p.toks) {
		return Dim{}, fmt.Errorf("dim expression ends early")
	}
	t := p.toks[p.i]
	p.i++
	switch t.kind {
	case 'n':
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			return Dim{}, fmt.Errorf("dim %s out of range", t.text)
		}
		return Static(n), nil
	case 's':
		if t.text == "" {
			return Dim{}, fmt.Errorf("empty symbol name in dim")
		}
		return Symbolic(t.text), nil
	case '(':
		d, err := p.sum()
		if err != nil {
			return Dim{}, err
		}
		if p.peek() != ')' {
			return Dim{}, fmt.Errorf("missing ')' in dim")
		}
		p.i++
		return d, nil
	}
	return Dim{}, fmt.Errorf("unexpected %s in dim", t.describe())
}

// rangeString is the bound's text form: "[1, 64]", "[0, ?]".
func (s SymBound) rangeString() string {
	max := "?"
	if s.Max >= 0 {
		max = strconv.FormatInt(s.Max, 10)
	}
	return fmt.Sprintf("[%d, %s]", s.Min, max)
}
