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
