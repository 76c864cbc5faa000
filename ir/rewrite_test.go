package ir

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// rewriteSrc is the module most rewrite tests start from: a value (%a) read
// directly, inside both branches of an If (once as an operand, once as a
// branch result) and inside a Loop body; a dead op; an unused constant.
const rewriteSrc = `const @c : f32[2] = [1.0, 2.0]
const @unused : f32[] = 5.0

func @main(%x: f32[2], %cond: bool[]) -> ("y": f32[2], "z": f32[2]) {
  %a = Add(%x, @c) : f32[2] loc("add")
  %dead = Relu(%a) : f32[2] loc("dead")
  %r = If(%cond) : f32[2] loc("if") {
    then_branch() {
      %b = Relu(%a) : f32[2] loc("then_relu")
      return %b
    }
    else_branch() {
      return %a
    }
  }
  %l = Loop(_, %cond, %r) : f32[2] loc("loop") {
    body(%i: i64[], %k: bool[], %v: f32[2]) {
      %s = Add(%v, %a) : f32[2] loc("body_add")
      return %k, %s
    }
  }
  return %r, %l
}
`

func mustParse(t *testing.T, src string) *Module {
	t.Helper()
	m, err := Parse("t.kir", []byte(src), ParseOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	return m
}

// named finds the value of m's first function (or the constant, for @name)
// that prints as name.
func named(t *testing.T, m *Module, name string) *Value {
	t.Helper()
	if c, ok := strings.CutPrefix(name, "@"); ok {
		if v := m.Const(c); v != nil {
			return v
		}
		t.Fatalf("no constant %s", name)
	}
	var found *Value
	walkValues(m.Funcs[0].Body, func(v *Value) {
		if v.Name == name && found == nil {
			found = v
		}
	})
	if found == nil {
		t.Fatalf("no value %%%s", name)
	}
	return found
}

func TestUses(t *testing.T) {
	m := mustParse(t, rewriteSrc)
	uses := Uses(m.Funcs[0].Body)
	for _, tc := range []struct {
		value string
		want  []string
	}{
		{"a", []string{`operand 0 of Relu "dead"`, `operand 0 of Relu "then_relu"`, `result 0 of region else_branch of If "if"`, `operand 1 of Add "body_add"`}},
		{"@c", []string{`operand 1 of Add "add"`}},
		{"@unused", nil},
		{"dead", nil},
		{"cond", []string{`operand 0 of If "if"`, `operand 1 of Loop "loop"`}},
		{"r", []string{`operand 2 of Loop "loop"`, `function output 0`}},
		{"k", []string{`result 0 of region body of Loop "loop"`}},
		{"s", []string{`result 1 of region body of Loop "loop"`}},
		{"l", []string{`function output 1`}},
	} {
		var got []string
		for _, u := range uses[named(t, m, tc.value)] {
			got = append(got, u.String())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("uses of %s:\n got %q\nwant %q", tc.value, got, tc.want)
		}
	}
}

// A tensor attribute reading a constant is a use of it.
func TestUsesAttribute(t *testing.T) {
	m := mustParse(t, `const @v : f32[1] = [2.0]
const @s : i64[1] = [3]

func @main() -> ("y": f32[3]) {
  %y = ConstantOfShape(@s) {value = @v} : f32[3]
  return %y
}
`)
	got := ModuleUses(m)[m.Const("v")]
	if len(got) != 1 || got[0].String() != "attribute value of ConstantOfShape" {
		t.Errorf("uses of @v = %v", got)
	}
	// A constant replaced by a constant is replaced in attributes too;
	// a value that is not a constant cannot stand in an attribute.
	body := m.Funcs[0].Body
	if n := ReplaceAllUses(body, m.Const("v"), named(t, m, "y")); n != 0 {
		t.Errorf("replacing @v by %%y replaced %d uses, want 0", n)
	}
	v2 := m.AddConst("v2", t32(F32, 1), &Constant{Bytes: bytesOf([]float32{7})})
	if n := ReplaceAllUses(body, m.Const("v"), v2); n != 1 {
		t.Errorf("replacing @v by @v2 replaced %d uses, want 1", n)
	}
	if a, _ := body.Ops[0].Attr("value"); a.Tensor != v2 {
		t.Errorf("the attribute still reads %v", a.Tensor)
	}
}

// The rewrite table: each case edits the parsed rewriteSrc (or its own
// source) and gives the exact text that must result, or the error.
func TestRewrite(t *testing.T) {
	type env struct {
		t *testing.T
		m *Module
		f *Func
	}
	op := func(e env, name string) *Op { return named(e.t, e.m, name).Def }
	for _, tc := range []struct {
		name    string
		src     string // rewriteSrc when empty
		edit    func(e env) (string, error)
		want    string // the function's text after the edit ("" when the edit fails)
		wantRes string // what edit returns
		wantErr string
	}{{
		name: "replace all uses, in both branches and the loop body",
		edit: func(e env) (string, error) {
			return fmt.Sprint(ReplaceAllUses(e.f.Body, named(e.t, e.m, "a"), named(e.t, e.m, "x"))), nil
		},
		wantRes: "4",
		want: `func @main(%x: f32[2], %cond: bool[]) -> ("y": f32[2], "z": f32[2]) {
  %a = Add(%x, @c) : f32[2] loc("add")
  %dead = Relu(%x) : f32[2] loc("dead")
  %r = If(%cond) : f32[2] loc("if") {
    then_branch() {
      %b = Relu(%x) : f32[2] loc("then_relu")
      return %b
    }
    else_branch() {
      return %x
    }
  }
  %l = Loop(_, %cond, %r) : f32[2] loc("loop") {
    body(%i: i64[], %k: bool[], %v: f32[2]) {
      %s = Add(%v, %x) : f32[2] loc("body_add")
      return %k, %s
    }
  }
  return %r, %l
}
`,
	}, {
		name: "replace a function output",
		edit: func(e env) (string, error) {
			return fmt.Sprint(ReplaceAllUses(e.f.Body, named(e.t, e.m, "l"), named(e.t, e.m, "a"))), nil
		},
		wantRes: "1",
		want: `func @main(%x: f32[2], %cond: bool[]) -> ("y": f32[2], "z": f32[2]) {
  %a = Add(%x, @c) : f32[2] loc("add")
  %dead = Relu(%a) : f32[2] loc("dead")
  %r = If(%cond) : f32[2] loc("if") {
    then_branch() {
      %b = Relu(%a) : f32[2] loc("then_relu")
      return %b
    }
    else_branch() {
      return %a
    }
  }
  %l = Loop(_, %cond, %r) : f32[2] loc("loop") {
    body(%i: i64[], %k: bool[], %v: f32[2]) {
      %s = Add(%v, %a) : f32[2] loc("body_add")
      return %k, %s
    }
  }
  return %r, %a
}
`,
	}, {
		name:    "erase refuses while a use inside a branch remains",
		edit:    func(e env) (string, error) { return "", EraseOp(op(e, "a")) },
		wantErr: `erase Add "add": result 0 is still used (4 uses, the first: operand 0 of Relu "dead")`,
	}, {
		name:    "erase refuses a value returned from a loop body",
		edit:    func(e env) (string, error) { return "", EraseOp(op(e, "s")) },
		wantErr: `erase Add "body_add": result 0 is still used (1 uses, the first: result 1 of region body of Loop "loop")`,
	}, {
		name: "erase an op inside a branch once its uses are gone",
		edit: func(e env) (string, error) {
			b := named(e.t, e.m, "b")
			ReplaceAllUses(e.f.Body, b, named(e.t, e.m, "a"))
			return "", EraseOp(b.Def)
		},
		want: `func @main(%x: f32[2], %cond: bool[]) -> ("y": f32[2], "z": f32[2]) {
  %a = Add(%x, @c) : f32[2] loc("add")
  %dead = Relu(%a) : f32[2] loc("dead")
  %r = If(%cond) : f32[2] loc("if") {
    then_branch() {
      return %a
    }
    else_branch() {
      return %a
    }
  }
  %l = Loop(_, %cond, %r) : f32[2] loc("loop") {
    body(%i: i64[], %k: bool[], %v: f32[2]) {
      %s = Add(%v, %a) : f32[2] loc("body_add")
      return %k, %s
    }
  }
  return %r, %l
}
`,
	}, {
		name: "erase twice",
		edit: func(e env) (string, error) {
			d := op(e, "dead")
			if err := EraseOp(d); err != nil {
				return "", err
			}
			return "", EraseOp(d)
		},
		wantErr: `erase Relu "dead": the op is in no region`,
	}, {
		name: "remove dead ops: the unused Relu only",
		edit: func(e env) (string, error) { return fmt.Sprint(RemoveDeadOps(e.f.Body)), nil },
		want: `func @main(%x: f32[2], %cond: bool[]) -> ("y": f32[2], "z": f32[2]) {
  %a = Add(%x, @c) : f32[2] loc("add")
  %r = If(%cond) : f32[2] loc("if") {
    then_branch() {
      %b = Relu(%a) : f32[2] loc("then_relu")
      return %b
    }
    else_branch() {
      return %a
    }
  }
  %l = Loop(_, %cond, %r) : f32[2] loc("loop") {
    body(%i: i64[], %k: bool[], %v: f32[2]) {
      %s = Add(%v, %a) : f32[2] loc("body_add")
      return %k, %s
    }
  }
  return %r, %l
}
`,
		wantRes: "1",
	}, {
		name: "remove dead ops: a chain, an op with regions, and what only they read",
		edit: func(e env) (string, error) {
			// With both outputs reading %x, every op is dead: the Loop
			// (its body goes with it), the If, %dead, and then %a, which
			// only dead ops and their regions read.
			x := named(e.t, e.m, "x")
			e.f.Body.Results = []*Value{x, x}
			return fmt.Sprint(RemoveDeadOps(e.f.Body)), nil
		},
		wantRes: "4",
		want: `func @main(%x: f32[2], %cond: bool[]) -> ("y": f32[2], "z": f32[2]) {
  return %x, %x
}
`,
	}, {
		name: "remove dead ops keeps random ops and what owns one",
		src: `func @main(%x: f32[2], %c: bool[]) -> ("y": f32[2]) {
  %u = RandomUniform() {dtype = f32, shape = [2]} : f32[2]
  %n = Neg(%x) : f32[2]
  %m = Neg(%n) : f32[2]
  %keep = If(%c) : f32[2] {
    then_branch() {
      %r = RandomNormal() {dtype = f32, shape = [2]} : f32[2]
      return %r
    }
    else_branch() {
      %gone = Neg(%x) : f32[2]
      return %x
    }
  }
  return %x
}
`,
		edit:    func(e env) (string, error) { return fmt.Sprint(RemoveDeadOps(e.f.Body)), nil },
		wantRes: "3",
		want: `func @main(%x: f32[2], %c: bool[]) -> ("y": f32[2]) {
  %u = RandomUniform() {dtype = f32, shape = [2]} : f32[2]
  %keep = If(%c) : f32[2] {
    then_branch() {
      %r = RandomNormal() {dtype = f32, shape = [2]} : f32[2]
      return %r
    }
    else_branch() {
      return %x
    }
  }
  return %x
}
`,
	}, {
		name: "builder: before, after and at the end of a region, with inference",
		edit: func(e env) (string, error) {
			a := named(e.t, e.m, "a")
			bb := BuildBefore(op(e, "r"))
			bb.Loc = Locs{"p", "q"}
			n1, err := bb.Build("Neg", []*Value{a}, nil, 1)
			if err != nil {
				return "", err
			}
			n1.Results[0].Name = "n1"
			n2, err := bb.Build("Neg", []*Value{n1.Results[0]}, nil, 1)
			if err != nil {
				return "", err
			}
			n2.Results[0].Name = "n2"
			ba := BuildAfter(op(e, "a"))
			s1, err := ba.Build("Shape", []*Value{a}, nil, 1)
			if err != nil {
				return "", err
			}
			if _, err := ba.Build("Size", []*Value{a}, nil, 1); err != nil {
				return "", err
			}
			then := op(e, "r").Regions[0]
			c, err := BuildAtEnd(then).Build("Cast", []*Value{s1.Results[0]}, []Attr{{"to", DTypeAttr(F32)}}, 1)
			if err != nil {
				return "", err
			}
			_, err = BuildAtEnd(then).Build("Add", []*Value{a, c.Results[0]}, nil, 1)
			return "", err
		},
		// Unnamed results take the function's next fresh numbers: the text
		// had none, and n1 and n2 took 0 and 1 before being renamed.
		want: `func @main(%x: f32[2], %cond: bool[]) -> ("y": f32[2], "z": f32[2]) {
  %a = Add(%x, @c) : f32[2] loc("add")
  %2 = Shape(%a) : i64[1]
  %3 = Size(%a) : i64[]
  %dead = Relu(%a) : f32[2] loc("dead")
  %n1 = Neg(%a) : f32[2] loc("p", "q")
  %n2 = Neg(%n1) : f32[2] loc("p", "q")
  %r = If(%cond) : f32[2] loc("if") {
    then_branch() {
      %b = Relu(%a) : f32[2] loc("then_relu")
      %4 = Cast(%2) {to = f32} : f32[1]
      %5 = Add(%a, %4) : f32[2]
      return %b
    }
    else_branch() {
      return %a
    }
  }
  %l = Loop(_, %cond, %r) : f32[2] loc("loop") {
    body(%i: i64[], %k: bool[], %v: f32[2]) {
      %s = Add(%v, %a) : f32[2] loc("body_add")
      return %k, %s
    }
  }
  return %r, %l
}
`,
	}, {
		name: "builder: an inference error inserts nothing",
		edit: func(e env) (string, error) {
			_, err := BuildAfter(op(e, "a")).Build("MatMul", []*Value{named(e.t, e.m, "cond"), named(e.t, e.m, "a")}, nil, 1)
			return "", err
		},
		wantErr: "MatMul: ",
	}, {
		name: "builder: the anchor was erased",
		edit: func(e env) (string, error) {
			b := BuildBefore(op(e, "dead"))
			if err := EraseOp(op(e, "dead")); err != nil {
				return "", err
			}
			_, err := b.Build("Neg", []*Value{named(e.t, e.m, "x")}, nil, 1)
			return "", err
		},
		wantErr: `build Neg: the insertion point Relu "dead" is no longer in its region`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src
			if src == "" {
				src = rewriteSrc
			}
			m, err := Parse("t.kir", []byte(src), ParseOptions{})
			if err != nil {
				if tc.wantErr != "" && strings.Contains(err.Error(), tc.wantErr) {
					return
				}
				t.Fatal(err)
			}
			res, err := tc.edit(env{t, m, m.Funcs[0]})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res != tc.wantRes {
				t.Errorf("edit returned %q, want %q", res, tc.wantRes)
			}
			if err := Verify(m); err != nil {
				t.Fatalf("the edited module does not verify: %v", err)
			}
			got := m.String()
			got = got[strings.Index(got, "func "):]
			if got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			// The edited text parses back to itself.
			if m2 := mustParse(t, m.String()); m2.String() != m.String() {
				t.Errorf("edited module does not round-trip")
			}
		})
	}
}

func TestRemoveUnusedConsts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		deadOps  bool // run RemoveDeadOps first
		wantN    int
		wantLeft []string
	}{
		{"only the unused one", false, 1, []string{"c", "v", "s", "out"}},
		{"after dead ops go, what only they read", true, 3, []string{"c", "out"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mustParse(t, `const @c : f32[2] = [1.0, 2.0]
const @unused : f32[] = 5.0
const @v : f32[1] = [2.0]
const @s : i64[1] = [2]
const @out : f32[2] = [3.0, 4.0]

func @main(%x: f32[2], %cond: bool[]) -> ("y": f32[2], "z": f32[2]) {
  %k = ConstantOfShape(@s) {value = @v} : f32[2]
  %r = If(%cond) : f32[2] {
    then_branch() {
      %b = Add(%x, @c) : f32[2]
      return %b
    }
    else_branch() {
      return %k
    }
  }
  return %r, @out
}
`)
			if tc.deadOps {
				// The If's else branch no longer reads %k.
				m.Funcs[0].Body.Ops[1].Regions[1].Results[0] = named(t, m, "x")
				if n := RemoveDeadOps(m.Funcs[0].Body); n != 1 {
					t.Errorf("RemoveDeadOps = %d, want 1", n)
				}
			}
			if n := RemoveUnusedConsts(m); n != tc.wantN {
				t.Errorf("RemoveUnusedConsts = %d, want %d", n, tc.wantN)
			}
			var left []string
			for _, c := range m.Consts {
				left = append(left, c.Const.Name)
			}
			if !slices.Equal(left, tc.wantLeft) {
				t.Errorf("constants left %v, want %v", left, tc.wantLeft)
			}
			if err := Verify(m); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestReInfer(t *testing.T) {
	// One source: a Conv whose output channels a pass may shrink, read
	// directly, inside an If branch and inside a Loop body.
	const src = `const @w : f32[4,1,1,1] = [1.0, 2.0, 3.0, 4.0]
const @w2 : f32[2,1,1,1] = [1.0, 2.0]
const @w3 : f32[2,1,1] = [1.0, 2.0]

func @main(%x: f32[1,1,3,3], %c: bool[]) -> ("y": f32[1,4,3,3], "z": f32[1,4,3,3]) {
  %conv = Conv(%x, @w) : f32[1,4,3,3]
  %relu = Relu(%conv) : f32[1,4,3,3]
  %if = If(%c) : f32[1,4,3,3] {
    then_branch() {
      %neg = Neg(%relu) : f32[1,4,3,3]
      return %neg
    }
    else_branch() {
      return %relu
    }
  }
  %loop = Loop(_, %c, %if) : f32[1,4,3,3] {
    body(%i: i64[], %k: bool[], %v: f32[1,4,3,3]) {
      %sum = Add(%v, %relu) : f32[1,4,3,3]
      return %k, %sum
    }
  }
  %other = Neg(%x) : f32[1,1,3,3]
  return %if, %loop
}
`
	for _, tc := range []struct {
		name    string
		edit    func(t *testing.T, m *Module) []*Value // returns ReInfer's changed values
		want    []string                               // "name: type" after ReInfer
		wantErr string
	}{{
		name: "shrinking a Conv's output channels reaches every consumer",
		edit: func(t *testing.T, m *Module) []*Value {
			ReplaceAllUses(m.Funcs[0].Body, m.Const("w"), m.Const("w2"))
			return []*Value{m.Const("w2")}
		},
		// The Loop carries %if in but its body params keep their types
		// (ReInfer does not retype params), so the body's Add joins
		// f32[1,4,3,3] with f32[1,2,3,3]: the Loop's result dims differ
		// and become unknown.
		want: []string{"conv: f32[1,2,3,3]", "relu: f32[1,2,3,3]", "neg: f32[1,2,3,3]", "if: f32[1,2,3,3]",
			"other: f32[1,1,3,3]", "x: f32[1,1,3,3]"},
		wantErr: "re-infer Add: ",
	}, {
		name: "a changed param type: the old, more specific type is not kept",
		edit: func(t *testing.T, m *Module) []*Value {
			x := named(t, m, "x")
			x.Type = TensorType(F32, Shape{Ranked: true, Dims: []Dim{Static(1), Static(1), Unknown(), Unknown()}})
			return []*Value{x}
		},
		// The Loop body's Add broadcasts its param f32[1,4,3,3] with
		// %relu and keeps the static dims; the Loop joins its carried
		// f32[1,4,?,?] with that.
		want: []string{"conv: f32[1,4,?,?]", "relu: f32[1,4,?,?]", "neg: f32[1,4,?,?]", "if: f32[1,4,?,?]",
			"sum: f32[1,4,3,3]", "loop: f32[1,4,?,?]", "other: f32[1,1,?,?]"},
	}, {
		name: "a change inference refuses",
		edit: func(t *testing.T, m *Module) []*Value {
			ReplaceAllUses(m.Funcs[0].Body, m.Const("w"), m.Const("w3"))
			return []*Value{m.Const("w3")}
		},
		wantErr: "re-infer Conv: ",
	}, {
		name: "nothing changed",
		edit: func(t *testing.T, m *Module) []*Value { return nil },
		want: []string{"conv: f32[1,4,3,3]", "relu: f32[1,4,3,3]", "neg: f32[1,4,3,3]", "if: f32[1,4,3,3]",
			"loop: f32[1,4,3,3]", "sum: f32[1,4,3,3]", "other: f32[1,1,3,3]"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			m := mustParse(t, src)
			changed := tc.edit(t, m)
			err := ReInfer(m.Funcs[0].Body, changed...)
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("got error %v, want %q", err, tc.wantErr)
			}
			if tc.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				name, typ, _ := strings.Cut(w, ": ")
				if got := named(t, m, name).Type.String(); got != typ {
					t.Errorf("%%%s: %s, want %s", name, got, typ)
				}
			}
		})
	}
}

// A Loop whose body params are retyped by the pass re-infers cleanly.
func TestReInferLoopParams(t *testing.T) {
	m := mustParse(t, `const @w : f32[4,1,1,1] = [1.0, 2.0, 3.0, 4.0]
const @w2 : f32[2,1,1,1] = [1.0, 2.0]

func @main(%x: f32[1,1,3,3], %c: bool[]) -> ("y": f32[1,4,3,3]) {
  %conv = Conv(%x, @w) : f32[1,4,3,3]
  %loop = Loop(_, %c, %conv) : f32[1,4,3,3] {
    body(%i: i64[], %k: bool[], %v: f32[1,4,3,3]) {
      %sum = Add(%v, %conv) : f32[1,4,3,3]
      return %k, %sum
    }
  }
  return %loop
}
`)
	f := m.Funcs[0]
	ReplaceAllUses(f.Body, m.Const("w"), m.Const("w2"))
	v := named(t, m, "v")
	v.Type = TensorType(F32, ShapeOf(1, 2, 3, 3))
	if err := ReInfer(f.Body, m.Const("w2"), v); err != nil {
		t.Fatal(err)
	}
	if err := Verify(m); err != nil {
		t.Fatal(err)
	}
	want := `func @main(%x: f32[1,1,3,3], %c: bool[]) -> ("y": f32[1,2,3,3]) {
  %conv = Conv(%x, @w2) : f32[1,2,3,3]
  %loop = Loop(_, %c, %conv) : f32[1,2,3,3] {
    body(%i: i64[], %k: bool[], %v: f32[1,2,3,3]) {
      %sum = Add(%v, %conv) : f32[1,2,3,3]
      return %k, %sum
    }
  }
  return %loop
}
`
	if got := m.String(); !strings.HasSuffix(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestClone(t *testing.T) {
	m := mustParse(t, rewriteSrc)
	text := m.String()

	// Module: the same text, no shared values or ops, shared payloads.
	mc := m.Clone()
	if got := mc.String(); got != text {
		t.Fatalf("module clone prints differently:\n%s", got)
	}
	orig := map[*Value]bool{}
	walkValues(m.Funcs[0].Body, func(v *Value) { orig[v] = true })
	walkValues(mc.Funcs[0].Body, func(v *Value) {
		if orig[v] {
			t.Errorf("clone shares value %%%s", v.Name)
		}
	})
	for v := range Uses(mc.Funcs[0].Body) {
		if orig[v] || (v.IsConst() && slices.Contains(m.Consts, v)) {
			t.Errorf("clone reads a value of the original: %s", v.Name)
		}
	}
	if &mc.Const("c").Const.Bytes[0] != &m.Const("c").Const.Bytes[0] {
		t.Errorf("constant payload copied, want shared")
	}
	// Editing the clone leaves the original alone.
	if err := EraseOp(named(t, mc, "dead").Def); err != nil {
		t.Fatal(err)
	}
	mc.Const("c").Const.Name = "renamed"
	if m.String() != text {
		t.Errorf("editing the clone changed the original")
	}
	if err := Verify(mc); err != nil {
		t.Fatal(err)
	}
	// New values in the clone count on from the original's fresh names.
	if got, want := mc.Funcs[0].Body.FreshName(), m.Funcs[0].Body.FreshName(); got != want {
		t.Errorf("clone's next fresh name %s, original's %s", got, want)
	}

	// Function: reads the same module constants.
	fc := m.Funcs[0].Clone()
	fc.Name = "copy"
	m.Funcs = append(m.Funcs, fc)
	if err := Verify(m); err != nil {
		t.Fatal(err)
	}
	if Uses(fc.Body)[m.Const("c")] == nil {
		t.Errorf("the function clone does not read the module's @c")
	}
	if want := strings.Replace(text[strings.Index(text, "func "):], "@main", "@copy", 1); !strings.HasSuffix(m.String(), want) {
		t.Errorf("function clone prints differently:\n%s", m.String())
	}

	// Region: remapped outer values, its own params and ops.
	then := named(t, m, "r").Def.Regions[0]
	rc := then.Clone(map[*Value]*Value{named(t, m, "a"): named(t, m, "x")})
	if rc.Parent != nil || rc.Ops[0] == then.Ops[0] || rc.Ops[0].Parent != rc {
		t.Errorf("region clone is not detached and deep")
	}
	if rc.Ops[0].Args[0] != named(t, m, "x") || then.Ops[0].Args[0] != named(t, m, "a") {
		t.Errorf("region clone does not read the remapped value")
	}
	if rc.Results[0] != rc.Ops[0].Results[0] {
		t.Errorf("region clone returns the original's value")
	}
}

// lineDiff returns the lines only in a and only in b, by a longest common
// subsequence of lines.
func lineDiff(a, b string) (onlyA, onlyB []string) {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] == y[j]:
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			onlyA, i = append(onlyA, x[i]), i+1
		default:
			onlyB, j = append(onlyB, y[j]), j+1
		}
	}
	return append(onlyA, x[i:]...), append(onlyB, y[j:]...)
}

// Adding or removing one op changes only the lines it touches: the names of
// every other value stay, whether they came from the source or were
// numbered when created.
func TestStableNames(t *testing.T) {
	m := mustParse(t, `func @main(%x: f32[2]) -> ("y": f32[2]) {
  %0 = Neg(%x) : f32[2]
  %a = Relu(%0) : f32[2]
  %1 = Neg(%a) : f32[2]
  %2 = Sqrt(%1) : f32[2]
  return %2
}
`)
	f := m.Funcs[0]
	step := func(what string, edit func() error, wantGone, wantNew []string) {
		t.Helper()
		before := m.String()
		if err := edit(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if err := Verify(m); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		gone, added := lineDiff(before, m.String())
		if !slices.Equal(gone, wantGone) || !slices.Equal(added, wantNew) {
			t.Errorf("%s: lines removed %q, added %q; want %q, %q", what, gone, added, wantGone, wantNew)
		}
	}
	step("add an op at the start", func() error {
		_, err := BuildBefore(f.Body.Ops[0]).Build("Abs", []*Value{named(t, m, "x")}, nil, 1)
		return err
	}, nil, []string{"  %3 = Abs(%x) : f32[2]"})
	step("erase it", func() error { return EraseOp(f.Body.Ops[0]) },
		[]string{"  %3 = Abs(%x) : f32[2]"}, nil)
	step("bypass and erase %1", func() error {
		one := named(t, m, "1")
		ReplaceAllUses(f.Body, one, named(t, m, "a"))
		return EraseOp(one.Def)
	}, []string{"  %1 = Neg(%a) : f32[2]", "  %2 = Sqrt(%1) : f32[2]"}, []string{"  %2 = Sqrt(%a) : f32[2]"})
	// Numbers are never given out twice: the erased %3 stays unused.
	step("add another", func() error {
		_, err := BuildAtEnd(f.Body).Build("Abs", []*Value{named(t, m, "2")}, nil, 1)
		return err
	}, nil, []string{"  %4 = Abs(%2) : f32[2]"})
}
