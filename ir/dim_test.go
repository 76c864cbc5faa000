package ir

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// mustDim parses a dim or fails the test.
func mustDim(t *testing.T, s string) Dim {
	t.Helper()
	d, err := ParseDim(s)
	if err != nil {
		t.Fatalf("ParseDim(%q): %v", s, err)
	}
	return d
}

// TestDimCanonical checks that expressions reach one canonical text form:
// each input, however it is written, prints as want and parses back to an
// equal dim.
func TestDimCanonical(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"3", "3"},
		{"?", "?"},
		{"seq", "seq"},
		{"seq+past_seq", "past_seq+seq"},
		{"past_seq+seq", "past_seq+seq"},
		{"n+n", "2*n"},
		{"n*2", "2*n"},
		{"2*n-n", "n"},
		{"n-n+4", "4"},
		{"(n+1)*(n-1)", "n*n-1"},
		{"a*b+b*a", "2*a*b"},
		{"x/1", "x"},
		{"(2*x+4)/2", "x+2"},
		{"(h-1)/2+1", "(h+1)/2"},
		{"(h+1)/2", "(h+1)/2"},
		{"(2*h+1)/2", "h"},
		{"(2*h+2)/4", "(h+1)/2"},
		{"((h+1)/2+1)/2", "(h+3)/4"},
		{"(((h+1)/2+1)/2+1)/2", "(h+7)/8"},
		{"h/2/3", "h/6"},
		{"2*((h+31)/32)", "2*((h+31)/32)"},
		{"-(h/2)+h", "h-(h/2)"},
		{"h-h/2", "h-(h/2)"},
		{"-(h/2)", "-(h/2)"},
		{"3*(h/2)+h/2", "4*(h/2)"},
		{"(a*b)/2", "(a*b)/2"},
		{"(3*n)/(n)", "3"},
		{"(a*b*4)/(2*b)", "2*a"},
		{"(p+s)/(p+s)", "1"},
		{`"p2o.Dyn.0"+1`, "p2o.Dyn.0+1"},
		{`"weird name"*2`, `2*"weird name"`},
		{"5-n", "-n+5"},
		{"-n+5", "-n+5"},
		{"7/2", "3"},
		{"(0-7)/2+4", "0"},
		{"( n + 1 ) / 2", "(n+1)/2"},
	} {
		d := mustDim(t, tc.in)
		if got := d.String(); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.want)
			continue
		}
		back := mustDim(t, tc.want)
		if !back.Equal(d) || back.String() != tc.want {
			t.Errorf("%s: %s parses back as %s", tc.in, tc.want, back)
		}
	}
}

func TestDimParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{"", "ends early"},
		{"n+", "ends early"},
		{"(n", "missing ')'"},
		{"n)", "unexpected ')'"},
		{"n/0", "division by zero"},
		{"n/m", "cannot divide n by m"},
		{"2-5", "dim -3 is negative"},
		{"99999999999999999999", "out of range"},
		{"n*?", "unexpected '?'"},
		{"?+1", "unexpected '?'"},
		{"n & 1", "unexpected '&'"},
		{"9223372036854775807+1", "too large or overflows"},
		{strings.Repeat("(a+b)*", 10) + "1", "too large or overflows"},
	} {
		_, err := ParseDim(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseDim(%q) = %v, want an error containing %q", tc.in, err, tc.err)
		}
	}
}

func TestDimArithmetic(t *testing.T) {
	n, seq, past := Symbolic("n"), Symbolic("seq"), Symbolic("past_seq")
	for _, tc := range []struct {
		name string
		got  Dim
		want string
	}{
		{"add", past.Add(seq), "past_seq+seq"},
		{"add commutes", seq.Add(past), "past_seq+seq"},
		{"sub to zero", n.Sub(n), "0"},
		{"neg constant", Static(2).Sub(Static(5)), "-3"},
		{"mul", n.Mul(Static(2)), "2*n"},
		{"mul by zero absorbs unknown", Static(0).Mul(Unknown()), "0"},
		{"add unknown", n.Add(Unknown()), "?"},
		{"floor div", n.Add(Static(1)).FloorDiv(Static(2)), "(n+1)/2"},
		{"floor div negative divisor", n.FloorDiv(DimInt(-2)), "-n+n/2"},
		{"ceil div", n.CeilDiv(Static(2)), "(n+1)/2"},
		{"ceil div constant", Static(7).CeilDiv(Static(2)), "4"},
		{"floor div by zero", n.FloorDiv(Static(0)), "?"},
		{"exact div", n.Mul(seq).Mul(Static(6)).FloorDiv(seq.Mul(Static(3))), "2*n"},
		{"inexact div", n.Add(Static(1)).FloorDiv(seq), "?"},
		{"overflow", Static(1 << 62).Mul(Static(4)), "?"},
		{"min int64 constant", DimInt(math.MinInt64), "-9223372036854775808"},
		{"min int64 in a sum", n.Add(DimInt(math.MinInt64)), "?"},
		{"min int64 negated", DimInt(math.MinInt64).Neg(), "?"},
	} {
		if s := tc.got.String(); s != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, s, tc.want)
		}
	}
	if Symbolic("n").Equal(Symbolic("m")) || !Symbolic("n").Equal(Symbolic("n")) {
		t.Error("Equal on symbols")
	}
	if Static(3).Equal(Unknown()) || !Unknown().Equal(Unknown()) {
		t.Error("Equal on constants and unknowns")
	}
	if s, ok := n.Symbol(); !ok || s != "n" {
		t.Errorf("Symbol() = %q, %v", s, ok)
	}
	if _, ok := n.Mul(Static(2)).Symbol(); ok {
		t.Error("2*n is not a single symbol")
	}
	if got := mustDim(t, "(a+b)/2*c").Symbols(); strings.Join(got, ",") != "a,b,c" {
		t.Errorf("Symbols() = %v", got)
	}
}

func TestDimEval(t *testing.T) {
	bind := map[string]int64{"h": 7, "w": 10, "n": 3}
	for _, tc := range []struct {
		expr string
		want int64
		ok   bool
	}{
		{"(h+1)/2", 4, true},
		{"(h-1)/2+1", 4, true},
		{"h*w-n", 67, true},
		{"2*((w+31)/32)", 2, true},
		{"-(h/2)+h", 4, true},
		{"h+missing", 0, false},
		{"?", 0, false},
	} {
		got, ok := mustDim(t, tc.expr).Eval(bind)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Eval(%s) = %d, %v, want %d, %v", tc.expr, got, ok, tc.want, tc.ok)
		}
	}
	// Floor division rounds toward negative infinity.
	if got, _ := mustDim(t, "(h-9)/2+9").Eval(map[string]int64{"h": 0}); got != 4 {
		t.Errorf("floor((0-9)/2)+9 = %d, want 4", got)
	}
}

func TestDimBounds(t *testing.T) {
	syms := []SymBound{{Name: "batch", Min: 1, Max: 8}, {Name: "seq", Min: 1, Max: 512}, {Name: "past_seq", Min: 0, Max: 1536}, {Name: "free", Min: 0, Max: -1}}
	for _, tc := range []struct {
		expr     string
		ub, lb   int64
		ubOK     bool
		lbOK     bool
		shapeMax int64
	}{
		{"past_seq+seq", 2048, 1, true, true, 0},
		{"(seq+1)/2", 256, 1, true, true, 0},
		{"batch*seq-1", 4095, 0, true, true, 0},
		{"-seq+600", 599, 88, true, true, 0},
		{"free+1", 0, 1, false, true, 0},
		{"undeclared", 0, 0, false, true, 0},
		{"?", 0, 0, false, false, 0},
	} {
		d := mustDim(t, tc.expr)
		ub, ok := d.UpperBound(syms)
		if ok != tc.ubOK || (ok && ub != tc.ub) {
			t.Errorf("UpperBound(%s) = %d, %v, want %d, %v", tc.expr, ub, ok, tc.ub, tc.ubOK)
		}
		lb, ok := d.LowerBound(syms)
		if ok != tc.lbOK || (ok && lb != tc.lb) {
			t.Errorf("LowerBound(%s) = %d, %v, want %d, %v", tc.expr, lb, ok, tc.lb, tc.lbOK)
		}
	}
	kv := Shape{Ranked: true, Dims: []Dim{Symbolic("batch"), Static(4), mustDim(t, "past_seq+seq"), Static(8)}}
	if n, ok := ShapeUpperBound(kv, syms); !ok || n != 8*4*2048*8 {
		t.Errorf("ShapeUpperBound(%v) = %d, %v, want %d", kv, n, ok, 8*4*2048*8)
	}
	m := &Module{Syms: syms}
	if b, ok := m.MaxBytes(TensorType(F32, kv)); !ok || b != 4*8*4*2048*8 {
		t.Errorf("MaxBytes = %d, %v", b, ok)
	}
	for _, s := range []Shape{UnrankedShape(), {Ranked: true, Dims: []Dim{Symbolic("free")}}, {Ranked: true, Dims: []Dim{Unknown()}}} {
		if _, ok := ShapeUpperBound(s, syms); ok {
			t.Errorf("ShapeUpperBound(%v) should be unbounded", s)
		}
	}
	if _, ok := m.MaxBytes(TensorType(String, ShapeOf(2))); ok {
		t.Error("MaxBytes of a string tensor")
	}
}

func TestMergeDims(t *testing.T) {
	for _, tc := range []struct{ a, b, want, err string }{
		{"past_seq+seq", "total_seq", "past_seq+seq", ""},
		{"total_seq", "past_seq+seq", "past_seq+seq", ""},
		{"n", "m", "n", ""},
		{"?", "2*n", "2*n", ""},
		{"3", "n", "3", ""},
		{"n", "3", "3", ""},
		{"2*n", "n+m", "2*n", ""},
		{"3", "4", "", "3 vs 4"},
		{"n+1", "n", "", "n+1 vs n"},
		{"0", "n+1", "", "0 vs n+1"},
	} {
		a := Shape{Ranked: true, Dims: []Dim{mustDim(t, tc.a)}}
		b := Shape{Ranked: true, Dims: []Dim{mustDim(t, tc.b)}}
		got, err := MergeTypes(TensorType(F32, a), TensorType(F32, b))
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("merge %s, %s: err %v, want %q", tc.a, tc.b, err, tc.err)
			}
		case err != nil:
			t.Errorf("merge %s, %s: %v", tc.a, tc.b, err)
		case got.Shape.Dims[0].String() != tc.want:
			t.Errorf("merge %s, %s = %v, want %s", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestVerifySyms(t *testing.T) {
	for _, tc := range []struct {
		syms []SymBound
		err  string
	}{
		{[]SymBound{{"n", 1, 4}, {"m", 0, -1}}, ""},
		{[]SymBound{{"n", 1, 4}, {"n", 1, 8}}, "sym n declared twice: in [1, 4] and in [1, 8]"},
		{[]SymBound{{"n", 1, 4}, {"n", 1, 4}}, "sym n declared twice"},
		{[]SymBound{{"n", 5, 4}}, "sym n: max 4 below min 5"},
		{[]SymBound{{"n", -1, 4}}, "sym n: min -1 is negative"},
		{[]SymBound{{"a b", 0, -1}, {"a b", 1, -1}}, `sym "a b" declared twice: in [0, ?] and in [1, ?]`},
	} {
		err := Verify(&Module{Syms: tc.syms})
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%v: %v", tc.syms, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%v: err %v, want %q", tc.syms, err, tc.err)
		}
	}
}

// TestParseDimExpressions checks expressions in the text form: quoted
// symbols, the round trip and the position of errors.
func TestParseDimExpressions(t *testing.T) {
	src := `sym seq in [1, 512]
sym seq in [1, 512]
func @main(%0 "x": f32[batch,"p2o.D.0"*2,(w-1)/2+1], %1 "y": f32[past_seq+seq]) -> ("x": f32[batch,"p2o.D.0"*2,(w-1)/2+1]) {
  return %0
}
`
	_, err := Parse("t.kir", []byte(src), ParseOptions{})
	if err == nil || !strings.Contains(err.Error(), "sym seq declared twice") {
		t.Fatalf("duplicate sym: %v", err)
	}
	src = strings.Replace(src, "sym seq in [1, 512]\n", "", 1)
	m, err := Parse("t.kir", []byte(src), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := `f32[batch,2*p2o.D.0,(w+1)/2]`
	if got := m.Funcs[0].Body.Params[0].Type.String(); got != want {
		t.Errorf("param type %s, want %s", got, want)
	}
	text := m.String()
	m2, err := Parse("printed.kir", []byte(text), ParseOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if m2.String() != text {
		t.Errorf("round trip differs:\n%s\n%s", text, m2.String())
	}
	for _, tc := range []struct{ src, err string }{
		{`func @f(%0 "x": f32[n/m]) -> () { return }`, `t.kir:1:21: cannot divide n by m in a dim`},
		{`func @f(%0 "x": f32[3,n+]) -> () { return }`, `t.kir:1:23: dim expression ends early`},
		{`func @f(%0 "x": f32[1-2]) -> () { return }`, `t.kir:1:21: dim -1 is negative`},
	} {
		_, err := Parse("t.kir", []byte(tc.src), ParseOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err %v, want %q", tc.src, err, tc.err)
		}
	}
}

// TestDimCanonicalMeansTheSame builds random expressions, evaluates each
// directly (a tree walk with floor division, no canonical form) and checks
// that the canonical Dim evaluates to the same value under several
// bindings, within its bounds, and that its text parses back to an equal
// Dim.
func TestDimCanonicalMeansTheSame(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	syms := []string{"a", "b", "c"}
	type node struct {
		op   byte // 'n' number, 's' symbol, or + - * /
		n    int64
		s    string
		l, r *node
	}
	var gen func(depth int) *node
	gen = func(depth int) *node {
		if depth == 0 || rng.IntN(3) == 0 {
			if rng.IntN(2) == 0 {
				return &node{op: 'n', n: rng.Int64N(7)}
			}
			return &node{op: 's', s: syms[rng.IntN(len(syms))]}
		}
		op := "+-*/"[rng.IntN(4)]
		if op == '/' {
			return &node{op: '/', l: gen(depth - 1), r: &node{op: 'n', n: 1 + rng.Int64N(5)}}
		}
		return &node{op: op, l: gen(depth - 1), r: gen(depth - 1)}
	}
	var text func(n *node) string
	text = func(n *node) string {
		switch n.op {
		case 'n':
			return strconv.FormatInt(n.n, 10)
		case 's':
			return n.s
		}
		return "(" + text(n.l) + string(n.op) + text(n.r) + ")"
	}
	var eval func(n *node, bind map[string]int64) int64
	eval = func(n *node, bind map[string]int64) int64 {
		switch n.op {
		case 'n':
			return n.n
		case 's':
			return bind[n.s]
		case '+':
			return eval(n.l, bind) + eval(n.r, bind)
		case '-':
			return eval(n.l, bind) - eval(n.r, bind)
		case '*':
			return eval(n.l, bind) * eval(n.r, bind)
		}
		return floorDivInt(eval(n.l, bind), n.r.n)
	}
	checked := 0
	for range 20000 {
		tree := gen(4)
		src := text(tree)
		d, err := ParseDim(src)
		if err != nil {
			continue // negative constants, too large
		}
		back, err := ParseDim(d.String())
		if err != nil || !back.Equal(d) || back.String() != d.String() {
			t.Fatalf("%s: canonical %s reads back as %v (%v)", src, d, back, err)
		}
		bounds := []SymBound{{"a", 0, 19}, {"b", 0, 19}, {"c", 0, 19}}
		hi, okHi := d.UpperBound(bounds)
		lo, okLo := d.LowerBound(bounds)
		for range 5 {
			bind := map[string]int64{"a": rng.Int64N(20), "b": rng.Int64N(20), "c": rng.Int64N(20)}
			got, ok := d.Eval(bind)
			if want := eval(tree, bind); !ok || got != want {
				t.Fatalf("%s = %s: under %v got %d (%v), want %d", src, d, bind, got, ok, want)
			}
			if !okHi || !okLo || got > hi || got < lo {
				t.Fatalf("%s = %s: %d under %v lies outside the bounds [%d (%v), %d (%v)]", src, d, got, bind, lo, okLo, hi, okHi)
			}
		}
		checked++
	}
	if checked < 1000 {
		t.Fatalf("only %d expressions checked", checked)
	}
}
