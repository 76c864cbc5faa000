package ir

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestVerifyContracts: Verify refuses modules that break the op table's
// contracts (element types, shared type variables, value kinds, attribute
// enums and ranges, region signatures) with a positioned error, and accepts
// their well-typed twins.
func TestVerifyContracts(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want string // "" when the module must verify
	}{
		{"relu on strings", `
func @main(%x "x": string[3]) -> ("y": string[3]) {
  %y = Relu(%x) : string[3] loc("r0")
  return %y
}`, `@main: Relu "r0": operand 0 (X) is string[3], want a signed numeric type (T)`},
		{"relu on f32", `
func @main(%x "x": f32[3]) -> ("y": f32[3]) {
  %y = Relu(%x) : f32[3] loc("r0")
  return %y
}`, ""},
		{"softmax on bool", `
func @main(%x "x": bool[2,3]) -> ("y": bool[2,3]) {
  %y = Softmax(%x) : bool[2,3] loc("sm")
  return %y
}`, `@main: Softmax "sm": operand 0 (input) is bool[2,3], want a float type (T)`},
		{"matmul f32 i64", `
func @main(%a "a": f32[2,3], %b "b": i64[3,4]) -> ("y": f32[2,4]) {
  %y = MatMul(%a, %b) : f32[2,4] loc("mm")
  return %y
}`, `@main: MatMul "mm": operand 1 (B) is i64[3,4], but T is f32[2,3] from operand 0 (A)`},
		{"matmul result differs", `
func @main(%a "a": f32[2,3], %b "b": f32[3,4]) -> ("y": f64[2,4]) {
  %y = MatMul(%a, %b) : f64[2,4] loc("mm")
  return %y
}`, `@main: MatMul "mm": result 0 (Y) is f64[2,4], but T is f32[2,3] from operand 0 (A)`},
		{"gather f32 indices", `
func @main(%d "d": f32[4], %i "i": f32[2]) -> ("y": f32[2]) {
  %y = Gather(%d, %i) : f32[2] loc("g")
  return %y
}`, `@main: Gather "g": operand 1 (indices) is f32[2], want i32 or i64 (Tind)`},
		{"where i64 condition", `
func @main(%c "c": i64[2], %x "x": f32[2]) -> ("y": f32[2]) {
  %y = Where(%c, %x, %x) : f32[2] loc("w")
  return %y
}`, `@main: Where "w": operand 0 (condition) is i64[2], want bool (B)`},
		{"sequence op on a tensor", `
func @main(%s "s": f32[2]) -> ("n": i64[]) {
  %n = SequenceLength(%s) : i64[] loc("len")
  return %n
}`, `@main: SequenceLength "len": operand 0 (input_sequence) is f32[2], want a sequence (S)`},
		{"identity of a sequence", `
func @main(%s "s": seq<f32[2]>) -> ("t": seq<f32[2]>) {
  %t = Identity(%s) : seq<f32[2]>
  return %t
}`, ""},
		{"auto_pad not an enum value", `
func @main(%x "x": f32[1,1,4,4], %w "w": f32[1,1,3,3]) -> ("y": f32[*]) {
  %y = Conv(%x, %w) {auto_pad = "SAME"} : f32[*] loc("c")
  return %y
}`, `@main: Conv "c": attribute "auto_pad" is "SAME", want one of "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"`},
		{"group below 1", `
func @main(%x "x": f32[1,1,4,4], %w "w": f32[1,1,3,3]) -> ("y": f32[*]) {
  %y = Conv(%x, %w) {group = 0} : f32[*] loc("c")
  return %y
}`, `@main: Conv "c": attribute "group" is 0, want >= 1`},
		{"negative pads", `
func @main(%x "x": f32[1,1,4,4], %w "w": f32[1,1,3,3]) -> ("y": f32[*]) {
  %y = Conv(%x, %w) {pads = [0, -1, 0, 0]} : f32[*] loc("c")
  return %y
}`, `@main: Conv "c": attribute "pads" has -1, want every value >= 0`},
		{"blocksize 0", `
func @main(%x "x": f32[1,4,2,2]) -> ("y": f32[*]) {
  %y = DepthToSpace(%x) {blocksize = 0} : f32[*] loc("d2s")
  return %y
}`, `@main: DepthToSpace "d2s": attribute "blocksize" is 0, want >= 1`},
		{"flag stated as 0 or 1", `
func @main(%x "x": f32[1,8,1]) -> ("y": f32[*]) {
  %y = DFT(%x) {onesided = 2} : f32[*] loc("dft")
  return %y
}`, `@main: DFT "dft": attribute "onesided" is 2, want in [0, 1]`},
		{"flag read as non-zero", `
func @main(%a "a": f32[3,2], %b "b": f32[3,4]) -> ("y": f32[2,4]) {
  %y = Gemm(%a, %b) {transA = 2} : f32[2,4] loc("gemm")
  return %y
}`, ""},
		{"required enum", `
func @main(%a "a": u8[2], %b "b": u8[2]) -> ("y": u8[2]) {
  %y = BitShift(%a, %b) {direction = "UP"} : u8[2] loc("bs")
  return %y
}`, `@main: BitShift "bs": attribute "direction" is "UP", want one of "LEFT", "RIGHT"`},
		{"loop body with a float iteration number", `
const @m : i64[] = 3
func @main(%v "v": f32[2]) -> ("r": f32[2]) {
  %r = Loop(@m, _, %v) : f32[2] loc("loop") {
    body(%i: f32[], %c: bool[], %x: f32[2]) {
      return %c, %x
    }
  }
  return %r
}`, `@main: Loop "loop": body: param 0 is f32[], want i64[]`},
		{"loop body carrying the wrong type", `
const @m : i64[] = 3
func @main(%v "v": f32[2]) -> ("r": f32[2]) {
  %r = Loop(@m, _, %v) : f32[2] loc("loop") {
    body(%i: i64[], %c: bool[], %x: i32[2]) {
      return %c, %v
    }
  }
  return %r
}`, `@main: Loop "loop": body: param 2 is i32[2], want f32[?]`},
		{"loop body without the condition param", `
const @m : i64[] = 3
func @main(%v "v": f32[2]) -> ("r": f32[2]) {
  %r = Loop(@m, _, %v) : f32[2] loc("loop") {
    body(%i: i64[], %x: f32[2]) {
      return %x, %x
    }
  }
  return %r
}`, `@main: Loop "loop": body: 2 params, want 3 (i64[], bool[], f32[?])`},
		{"loop body returning a float condition", `
const @m : i64[] = 3
func @main(%v "v": f32[2]) -> ("r": f32[2]) {
  %r = Loop(@m, _, %v) : f32[2] loc("loop") {
    body(%i: i64[], %c: bool[], %x: f32[2]) {
      return %x, %x
    }
  }
  return %r
}`, `@main: Loop "loop": body: result 0 is f32[2], want bool[]`},
		{"well-typed loop", `
const @m : i64[] = 3
func @main(%v "v": f32[2]) -> ("r": f32[2]) {
  %r = Loop(@m, _, %v) : f32[2] loc("loop") {
    body(%i: i64[], %c: bool[], %x: f32[2]) {
      %y = Add(%x, %x) : f32[2]
      return %c, %y
    }
  }
  return %r
}`, ""},
		{"scan slice of the wrong rank", `
func @main(%s "s": f32[], %xs "xs": f32[5,3]) -> ("r": f32[]) {
  %r = Scan(%s, %xs) {num_scan_inputs = 1} : f32[] loc("scan") {
    body(%a: f32[], %x: f32[5,3]) {
      return %a
    }
  }
  return %r
}`, `@main: Scan "scan": body: param 1 is f32[5,3], want f32[3]`},
		{"scan with too many scan inputs", `
func @main(%xs "xs": f32[5,3]) -> ("r": f32[*]) {
  %r = Scan(%xs) {num_scan_inputs = 2} : f32[*] loc("scan") {
    body(%x: f32[3]) {
      return %x
    }
  }
  return %r
}`, `@main: Scan "scan": body: num_scan_inputs 2 does not fit 1 operands`},
		{"if branch with params", `
func @main(%c "c": bool[], %x "x": f32[2]) -> ("r": f32[2]) {
  %r = If(%c) : f32[2] loc("if") {
    then_branch(%p: f32[2]) { return %x }
    else_branch() { return %x }
  }
  return %r
}`, `@main: If "if": then_branch: 1 params, want 0 ()`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Verify, on its own, names the op by its location.
			_, err := Parse("t.kir", []byte(tc.src), ParseOptions{verifyOnly: true})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Verify: want no error, got %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("Verify: want error %q, got none", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("Verify: error\n  %v\nwant it to contain\n  %s", err, tc.want)
			}
			// The parser reports the same problem at the op's line.
			_, err = Parse("t.kir", []byte(tc.src), ParseOptions{})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Parse: want no error, got %v", err)
				}
				return
			}
			op, problem, _ := strings.Cut(strings.TrimPrefix(tc.want, "@main: "), ": ")
			op, _, _ = strings.Cut(op, " ")
			if err == nil || !strings.HasPrefix(err.Error(), "t.kir:") || !strings.Contains(err.Error(), op+": "+problem) {
				t.Fatalf("Parse: error\n  %v\nwant t.kir:LINE:COL: %s: %s", err, op, problem)
			}
		})
	}
}

// TestEveryPositionTyped: every operand and result of every op names a
// type constraint the op declares, with at least one kind and one element
// type, and every declared constraint is used. An op that takes anything
// says so with AllTypes and AnyKind.
func TestEveryPositionTyped(t *testing.T) {
	for _, d := range Ops() {
		used := map[string]bool{}
		for _, o := range append(append([]Operand(nil), d.Inputs...), d.Outputs...) {
			c := d.Typed(o.Type)
			switch {
			case o.Type == "" || c == nil:
				t.Errorf("%s: %s has no type constraint", d.Name, o.Name)
			case c.Kinds == 0 || c.Types == 0:
				t.Errorf("%s: constraint %s allows nothing", d.Name, c.Name)
			}
			used[o.Type] = true
		}
		seen := map[string]bool{}
		for _, c := range d.Types {
			if !used[c.Name] {
				t.Errorf("%s: constraint %s is declared but no position takes it", d.Name, c.Name)
			}
			if seen[c.Name] {
				t.Errorf("%s: constraint %s declared twice", d.Name, c.Name)
			}
			seen[c.Name] = true
		}
	}
}

// TestTraits pins the traits the issue names; passes rely on them.
func TestTraits(t *testing.T) {
	for _, tc := range []struct {
		trait Trait
		ops   string
	}{
		{Commutative, "Add Mul Max Min Sum Mean And Or Xor Equal"},
		{Random, "RandomUniform RandomNormal RandomUniformLike RandomNormalLike Multinomial Bernoulli Dropout"},
		{View, "Identity Reshape Squeeze Unsqueeze Flatten"},
		{InPlace, "Relu Exp Sigmoid Add Sub Mul Div Clip Not"},
		{EpilogueFusable, "Conv ConvTranspose Gemm MatMul"},
	} {
		for _, name := range strings.Fields(tc.ops) {
			if d := Lookup(name); d == nil || !d.Has(tc.trait) {
				t.Errorf("%s should be %v", name, tc.trait)
			}
		}
	}
	for _, tc := range []struct {
		trait Trait
		ops   string
	}{
		{Commutative, "Sub Div Pow Greater MatMul Concat"},
		{Random, "Add Identity Cast"},
		{View, "Transpose Slice Gather Concat"},
		{InPlace, "Greater Cast MatMul Reshape"},
		{EpilogueFusable, "Add Relu Softmax"},
	} {
		for _, name := range strings.Fields(tc.ops) {
			if Lookup(name).Has(tc.trait) {
				t.Errorf("%s should not be %v", name, tc.trait)
			}
		}
	}
}

// TestAttrAccessors walks every declared attribute of every op: the typed
// accessor of its kind returns the declared default when the op does not
// carry it, and the carried value when it does; an undeclared name or the
// accessor of another kind panics.
func TestAttrAccessors(t *testing.T) {
	read := map[AttrKind]func(op *Op, name string) any{
		AttrInt:     func(op *Op, n string) any { return op.Int(n) },
		AttrFloat:   func(op *Op, n string) any { return op.Float(n) },
		AttrString:  func(op *Op, n string) any { return op.Str(n) },
		AttrInts:    func(op *Op, n string) any { return op.Ints(n) },
		AttrFloats:  func(op *Op, n string) any { return op.Floats(n) },
		AttrStrings: func(op *Op, n string) any { return op.Strings(n) },
	}
	carried := map[AttrKind]AttrValue{
		AttrInt: IntAttr(7), AttrFloat: FloatAttr(0.25), AttrString: StringAttr("x"),
		AttrInts: IntsAttr([]int64{3}), AttrFloats: FloatsAttr([]float32{0.5}), AttrStrings: StringsAttr([]string{"s"}),
	}
	panics := func(f func()) (p bool) {
		defer func() { p = recover() != nil }()
		f()
		return false
	}
	for _, d := range Ops() {
		op := &Op{Name: d.Name}
		if !panics(func() { op.Int("no_such_attribute") }) {
			t.Errorf("%s: reading an undeclared attribute does not panic", d.Name)
		}
		for _, a := range d.Attrs {
			get := read[a.Kind]
			if get == nil {
				continue // tensor, dtype and type attributes are read with Attr
			}
			got := get(op, a.Name)
			want := attrField(AttrValue{Kind: a.Kind}) // no default: the zero value
			if a.Default != nil {
				want = attrField(*a.Default)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s.%s: absent reads %v, want the default %v", d.Name, a.Name, got, want)
			}
			c := carried[a.Kind]
			if got := get(&Op{Name: d.Name, Attrs: []Attr{{a.Name, c}}}, a.Name); !reflect.DeepEqual(got, attrField(c)) {
				t.Errorf("%s.%s: carrying %v reads %v", d.Name, a.Name, attrField(c), got)
			}
			for k, other := range read {
				if k != a.Kind && !panics(func() { other(op, a.Name) }) {
					t.Errorf("%s.%s (%v): reading as %v does not panic", d.Name, a.Name, a.Kind, k)
				}
			}
		}
	}
}

// attrField is the Go value an accessor returns for v.
func attrField(v AttrValue) any {
	switch v.Kind {
	case AttrInt:
		return v.Int
	case AttrFloat:
		return v.Float
	case AttrString:
		return v.Str
	case AttrInts:
		return v.Ints
	case AttrFloats:
		return v.Floats
	case AttrStrings:
		return v.Strings
	}
	return nil
}

// TestAccessorNamesDeclared reads the source of package ir and the
// interpreter: every typed accessor call with a literal name (op.Int("axis"))
// must name an attribute that some op declares with that accessor's kind,
// so a misspelt or stale name fails here rather than at run time.
func TestAccessorNamesDeclared(t *testing.T) {
	kinds := map[string]AttrKind{"Int": AttrInt, "Float": AttrFloat, "Str": AttrString,
		"Ints": AttrInts, "Floats": AttrFloats, "Strings": AttrStrings}
	declared := map[string]map[AttrKind]bool{}
	for _, d := range Ops() {
		for _, a := range d.Attrs {
			if declared[a.Name] == nil {
				declared[a.Name] = map[AttrKind]bool{}
			}
			declared[a.Name][a.Kind] = true
		}
	}
	calls := 0
	for _, dir := range []string{".", "interp"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) != 1 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if recv, ok := sel.X.(*ast.Ident); !ok || recv.Name != "op" {
					return true
				}
				k, ok := kinds[sel.Sel.Name]
				lit, ok2 := call.Args[0].(*ast.BasicLit)
				if !ok || !ok2 || lit.Kind != token.STRING {
					return true
				}
				name, _ := strconv.Unquote(lit.Value)
				calls++
				if !declared[name][k] {
					t.Errorf("%s: op.%s(%q): no op declares a %v attribute %q", fset.Position(call.Pos()), sel.Sel.Name, name, k, name)
				}
				return true
			})
		}
	}
	if calls < 100 {
		t.Errorf("found only %d accessor calls; is the scan still looking at the right code?", calls)
	}
}
