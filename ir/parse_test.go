package ir

import (
	"strings"
	"testing"
)

// Handwritten text: any %name, regions seeing outer values, and the
// spellings the printer normalizes.
func TestParseHandwritten(t *testing.T) {
	src := `// a comment
const @k : f32[] = -2
const @pair : c64[] = (1, -0.5)
func @main(%x "x": f32[2], %c "c": bool[]) -> ("y": f32[2], "z": f32[*]) {
  %"sum" = Add(%x, @k) : f32[2] loc("a")
  %a, %"b/1" = kirtest.Attrs(%sum) {f = 2, fs = [1, 2], is = [], i = 7} : f32[2], f32[*] loc("a", "b")
  kirtest.Sink(%a) {}
  %r#7 = kirtest.If(%c) : f32[2] {
    then_branch() { return %a }
    else_branch() {
      %inner = Add(%sum, %sum) : f32[2]
      return %inner
    }
  }
  return %r#7, %"b/1"
}
`
	m, err := Parse("hand.kir", []byte(src), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := `// kiln IR

// a comment
const @k : f32[] = -2.0
const @pair : c64[] = (1.0, -0.5)

func @main(%x: f32[2], %c: bool[]) -> ("y": f32[2], "z": f32[*]) {
  %sum = Add(%x, @k) : f32[2] loc("a")
  %a, %"b/1" = kirtest.Attrs(%sum) {f = 2.0, fs = [1.0, 2.0], i = 7, is = []} : f32[2], f32[*] loc("a", "b")
  kirtest.Sink(%a)
  %r = kirtest.If(%c) : f32[2] {
    then_branch() {
      return %a
    }
    else_branch() {
      %inner = Add(%sum, %sum) : f32[2]
      return %inner
    }
  }
  return %r, %"b/1"
}
`
	if got := m.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// An op with regions but no attributes, results or location: the region
// block must not be mistaken for an attribute block.
func TestParseRegionsWithoutAttrs(t *testing.T) {
	src := `func @f(%c "c": bool[]) -> () {
  kirtest.Sink(%c)
  return
}
`
	if _, err := Parse("r.kir", []byte(src), ParseOptions{}); err != nil {
		t.Fatal(err)
	}
	tree, err := parseTree("r.kir", []byte(`func @f() -> () { X(%c) { body(%i: i64[]) { return } } return }`))
	if err != nil {
		t.Fatal(err)
	}
	op := tree.Items[0].Func.Body[0].Op
	if op.Block == nil || len(op.Block.Regions) != 1 || len(op.Attrs) != 0 {
		t.Fatalf("block %v attrs %d", op.Block, len(op.Attrs))
	}
}

func TestParseErrors(t *testing.T) {
	const head = "func @f(%x \"x\": f32[2]) -> (\"y\": f32[2]) {\n"
	for _, tc := range []struct{ src, want string }{
		{"const @a : f32[2] = [1.0]", "e.kir:1:21: 1 values for f32[2] (2 elements)"},
		{"const @a : f32[2] = [1.0, \"x\"]", "e.kir:1:27: expected a number"},
		{"const @a : i8[] = 300", "e.kir:1:19: 300 out of range for i8"},
		{"const @a : u8[] = -1", "e.kir:1:19: expected an unsigned integer"},
		{"const @a : f32[] = nan(0x1)", "nan(0x1) is not the bit pattern of a NaN"},
		{"const @a : q4[1] = [1]", "e.kir:1:12: unknown element type \"q4\""},
		{"const @a : f32[?] = [1.0]", "is not static"},
		{"const @a : f32[] = 1.0\nconst @a : f32[] = 1.0", "e.kir:2:7: constant @a defined twice"},
		{"const @a : f32[4] = file(\"nope.bin\", offset=0, length=16, sha256=\"00\")", "sha256 must be 64 hex digits"},
		{"const @a : f32[4] = file(\"nope.bin\", offset=0, length=12, sha256=\"00\")", "length=12, but the constant's type needs 16 bytes"},
		{"const @a : f32[4] = file(\"nope.bin\", offset=0, length=16, sha256=\"" + strings.Repeat("0", 64) + "\")", "e.kir:1:26: data file: open nope.bin"},
		{"meta \"a\" = 1", "e.kir:1:12: unexpected token \"1\""},
		{"sym n in [4, 2]", "max 2 below min 4"},
		{"bogus", "e.kir:1:1: unexpected token \"bogus\""},
		{head + "  %1 = Add(%x %x) : f32[2]\n  return %1\n}", "e.kir:2:15: unexpected token \"%x\" (expected \")\")"},
		{"const @a : f32[2] = file(\"x\", offset=1)", "e.kir:1:39: unexpected token \")\" (expected \",\")"},
		{"const @a : f32[] = \"unterminated", "e.kir:1:20: unterminated string literal"},
		{"const @a : f32[] = 1.0 $", "e.kir:1:24: unexpected character '$'"},
		{head + "  %1 = Add(%x, %nope) : f32[2]\n  return %1\n}", "e.kir:2:16: undefined value %nope"},
		{head + "  %1 = Add(%x, @nope) : f32[2]\n  return %1\n}", "e.kir:2:16: undefined constant @nope"},
		{head + "  %x = Add(%x, %x) : f32[2]\n  return %x\n}", "e.kir:2:3: value %x already defined"},
		{head + "  %1 = Add(%x, %x)\n  return %1\n}", "1 results but 0 result types"},
		{head + "  %1 = kirtest.Attrs(%x) : f32[3]\n  return %1\n}", "output \"y\" declared f32[2], but the returned value is f32[3]"},
		{head + "  return %x, %x\n}", "return gives 2 values, @f declares 1 outputs"},
		{head + "  %1 = Add(%x, %x) : f32[2]\n}", "region must end with a return"},
		{head + "  return %x\n  return %x\n}", "return must be the last statement"},
		{head + "  %1 = Nope(%x) : f32[2]\n  return %1\n}", "e.kir:2:8: unknown op \"Nope\""},
		{head + "  %1 = Add(%x, %x) : f32[9]\n  return %x\n}", "e.kir:2:22: Add result 0: declared f32[9], inferred f32[2]"},
		{head + "  %1 = Add(%x, %x) {bogus = 1} : f32[2]\n  return %1\n}", "e.kir:2:21: Add has no attribute \"bogus\""},
		{head + "  %1 = Reul(%x) : f32[2]\n  return %1\n}", "e.kir:2:8: unknown op \"Reul\" (did you mean \"Relu\"?)"},
		{head + "  %1 = relu(%x) : f32[2]\n  return %1\n}", "e.kir:2:8: unknown op \"relu\" (did you mean \"Relu\"?)"},
		{head + "  %1 = Softmax(%x) {axsi = 0} : f32[2]\n  return %1\n}", "e.kir:2:21: Softmax has no attribute \"axsi\" (did you mean \"axis\"?)"},
		{head + "  %1, %2 = kirtest.Attrs(%x) {is = [1.5]} : f32[2], f32[2]\n  return %x\n}", "expected an integer"},
		{head + "  %1, %2 = kirtest.Attrs(%x) {i = 1, i = 2} : f32[2], f32[2]\n  return %x\n}", "attribute \"i\" given twice"},
		{head + "  %1, %2 = kirtest.Attrs(%x) {s = 2} : f32[2], f32[2]\n  return %x\n}", "attribute \"s\" of kirtest.Attrs is string, got a number"},
		{head + "  %1, %2 = kirtest.Attrs(%x) {d = f32[1]} : f32[2], f32[2]\n  return %x\n}", "attribute \"d\" of kirtest.Attrs is dtype, got a type"},
		{head + "  %1# = Add(%x, %x) : f32[2]\n  return %1\n}", "e.kir:2:3: expected digits after # in a value name"},
		{head + "  %\"\" = Add(%x, %x) : f32[2]\n  return %x\n}", "e.kir:2:3: empty value name"},
		{head + "  %1 = Add(%x, %x) : f32[2] loc()\n  return %1\n}", "e.kir:2:33: unexpected token \")\" (expected location string)"},
		{head + "  %y#1 = Add(%x, %x) : f32[2]\n  return %y\n}", "e.kir:3:10: undefined value %y"},
		{head + "  %1, %2 = kirtest.Attrs(%x) {f = 1e999} : f32[2], f32[2]\n  return %x\n}", "e.kir:2:35: 1e999 out of range for f32"},
		{head + "  %1, %2 = kirtest.Attrs(%x) {fs = [1.0, -3.5e38]} : f32[2], f32[2]\n  return %x\n}", "-3.5e38 out of range for f32"},
		{"func @f(%c: bool[], %x: f32[2], %y: i64[2]) -> (\"z\": f32[2]) {\n  %z = If(%c) : f32[2] {\n    then_branch() {\n      return %x\n    }\n    else_branch() {\n      return %y\n    }\n  }\n  return %z\n}",
			"If: output 0: then_branch gives f32[2], else_branch i64[2]"},
		{strings.Repeat("seq<", 300), "nesting deeper than 200"},
		// A literal list is one token whose literals are read afterwards:
		// errors inside it keep their positions and their order (a bad
		// literal, then the count, then a value of the wrong type).
		{"const @a : f32[2] = [1.0, \"x\", 3.0]", "e.kir:1:21: 3 values for f32[2] (2 elements)"},
		{"const @a : f32[3] = [1.0, \"x\", 3.0]", "e.kir:1:27: expected a number"},
		{"const @a : f32[2] = [1.0,\n $]", "e.kir:2:2: unexpected character '$'"},
		{"const @a : f32[2] = [1.0, 2.0", "e.kir:1:21: list not closed by ]"},
		{"const @a : f32[2] = [1.0, 2.0 // ]", "e.kir:1:21: list not closed by ]"},
		{"const @a : string[1] = [\"ab\ncd\"]", "e.kir:1:25: unterminated string literal"},
		{"const @a : f32[1000000000000] = [1.0]", "e.kir:1:33: 1 values for f32[1000000000000] (1000000000000 elements)"},
		{"const @a : f32[2] = [1.0,]", "e.kir:1:21: expected a value"},
		{head + "  %1 = Transpose(%x) {perm = [0, (1]} : f32[2]\n  return %1\n}", "e.kir:2:34: expected (re, im)"},
	} {
		_, err := Parse("e.kir", []byte(tc.src), ParseOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q):\n got error %v\nwant error containing %q", tc.src, err, tc.want)
		}
	}
}

func TestFormatFloat32(t *testing.T) {
	for _, tc := range []struct {
		f    float32
		want string
	}{{1, "1.0"}, {1e-5, "1e-05"}, {0.1, "0.1"}, {123456, "123456.0"}, {1e20, "1e+20"}, {-2.5, "-2.5"}, {16777216, "1.6777216e+07"}} {
		if got := FormatFloat32(tc.f); got != tc.want {
			t.Errorf("FormatFloat32(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

// TestParseLists reads literal lists that span lines, hold comments, and
// hold strings with brackets, quotes and slashes: the list token ends at
// the first "]" outside strings and comments.
func TestParseLists(t *testing.T) {
	for _, tc := range []struct {
		src, want string
	}{
		{"const @a : f32[3] = [1.0,\n  2.0,\n  3]", "const @a : f32[3] = [1.0, 2.0, 3.0]\n"},
		{"const @a : f32[2] = [1.0, // a ] in a comment\n 2.0]", "const @a : f32[2] = [1.0, 2.0] // a ] in a comment\n"},
		{"const @a : string[3] = [\"]\", \"//\", \"\\\"]\"]", "const @a : string[3] = [\"]\", \"//\", \"\\\"]\"]\n"},
		{"const @a : c64[2] = [(1.0, -2.0), (inf, nan)]", "const @a : c64[2] = [(1.0, -2.0), (inf, nan)]\n"},
		{"const @a : i64[0] = []", "const @a : i64[0] = []\n"},
	} {
		m, err := Parse("l.kir", []byte(tc.src), ParseOptions{})
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.src, err)
			continue
		}
		want := "// kiln IR\n\n" + tc.want
		if got := m.String(); got != want {
			t.Errorf("Parse(%q) prints\n%s\nwant\n%s", tc.src, got, want)
		}
	}
}
