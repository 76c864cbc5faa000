package viz

import (
	"encoding/binary"
	"flag"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/golden"
	"github.com/kiln-ml/kiln/ir"
)

var update = flag.Bool("update", false, "rewrite the want.dot of the testdata cases")

// builders make the cases the parser cannot express (hostile region
// names, undeclared ops); the other cases hold an input.kir.
var builders = map[string]func() *ir.Module{
	"hostile": hostileModule,
}

// TestDOTGolden compares the DOT text of every testdata/*.txtar case with
// its want.dot (go test ./viz -update rewrites them).
func TestDOTGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no cases in testdata")
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := golden.ReadArchive(path)
			if err != nil {
				t.Fatal(err)
			}
			m := caseModule(t, name, ar)
			got, err := DOT(m, Options{Title: name})
			if err != nil {
				t.Fatal(err)
			}
			again, err := DOT(m, Options{Title: name})
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(got) {
				t.Fatal("two DOT runs on one module differ")
			}
			if err := ar.Check("want.dot", string(got), *update); err != nil {
				t.Error(err)
			}
		})
	}
}

// caseModule returns the module of a testdata case: its input.kir
// parsed, or the module its builder makes.
func caseModule(t *testing.T, name string, ar *golden.Archive) *ir.Module {
	t.Helper()
	if src, ok := ar.File("input.kir"); ok {
		m, err := ir.Parse(name+".kir", []byte(src), ir.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	b, ok := builders[name]
	if !ok {
		t.Fatalf("case %s has no input.kir and no builder", name)
	}
	return b()
}

// Hostile names used by hostileModule and the checks on its output.
const (
	hostileInput  = "in \"q\"\n<x>&\\y\t"
	hostileOutput = "out</svg><script>\""
	hostileConst  = "w\"<b>&\n\\"
	hostileLoc    = "node \"a\"\n<b>&\\c]"
	hostileSym    = "n\"<&>\\"
	hostileOp     = "my.Op<&>\""
)

// hostileModule builds a module whose every name is hostile to DOT, to
// HTML-like labels and to the SVG and HTML around them.
func hostileModule() *ir.Module {
	m := ir.NewModule()
	t := ir.TensorType(ir.F32, ir.Shape{Ranked: true, Dims: []ir.Dim{ir.Symbolic(hostileSym), ir.Static(1)}})
	w := m.AddConst(hostileConst, ir.TensorType(ir.F32, ir.ShapeOf(1)),
		&ir.Constant{Bytes: binary.LittleEndian.AppendUint32(nil, math.Float32bits(2))})
	f := m.NewFunc("main\"<>")
	x := f.AddInput(hostileInput, t)
	c := f.AddInput("c\x00", ir.TensorType(ir.Bool, ir.ShapeOf()))
	mul := f.Body.NewOp("Mul", []*ir.Value{x, w}, nil, []ir.Type{t})
	mul.Loc = ir.Locs{hostileLoc}
	cond := f.Body.NewOp("If", []*ir.Value{c}, nil, []ir.Type{t})
	cond.Loc = ir.Locs{"if\"<>"}
	then := cond.AddRegion("then\"<>\n")
	then.Results = []*ir.Value{mul.Results[0]}
	els := cond.AddRegion("else&")
	odd := els.NewOp(hostileOp, []*ir.Value{mul.Results[0]},
		[]ir.Attr{{Name: "s\"", Value: ir.StringAttr("a\"<\n>")}}, []ir.Type{t})
	els.Results = []*ir.Value{odd.Results[0]}
	f.AddOutput(hostileOutput, cond.Results[0])
	return m
}

// TestDOTHostileNames checks what the hostile names turn into: DOT
// strings that never end early, HTML-like label text without a raw < or
// &, and control characters shown as escapes. (TestSVGHostileNames
// checks the tooltips as the SVG carries them.)
func TestDOTHostileNames(t *testing.T) {
	dot, err := DOT(hostileModule(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := string(dot)
	// Every line is one complete statement: raw newlines from names would
	// split one.
	stmt := regexp.MustCompile(`^(digraph kiln \{|\}|\s*subgraph cluster_n\d+ \{|\s*\}|\s*graph \[.*\]|\s*(node|edge) \[.*\]|\s*n\d+ \[.*\]|\s*n\d+ -> n\d+ \[.*\]|\s*\{rank=(min|max); [n0-9; ]+\})$`)
	for i, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if !stmt.MatchString(line) {
			t.Errorf("line %d is not a whole statement: %s", i+1, line)
		}
	}
	for _, want := range []string{
		// The input's label: bold name with its escapes, its type.
		`label=<<B>in &quot;q&quot;\n&lt;x&gt;&amp;\y\t</B><BR/><FONT POINT-SIZE="9" COLOR="#374151">f32[n&quot;&lt;&amp;&gt;\,1]</FONT>>`,
		// The undeclared op is grey and named safely.
		`fillcolor="#eeeeee", label=<<B>my.Op&lt;&amp;&gt;&quot;</B>>`,
		// Region clusters are labelled with their names, escaped.
		`graph [label="then\"<>\\n", style="rounded,dashed,filled"`,
		`graph [label="If \"if\\\"<>\"", style="rounded,filled"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("DOT lacks %s", want)
		}
	}
}

// TestDOTErrors checks that modules DOT cannot draw give errors, not
// panics.
func TestDOTErrors(t *testing.T) {
	noBody := ir.NewModule()
	noBody.Funcs = append(noBody.Funcs, &ir.Func{Name: "f"})
	tests := []struct {
		name string
		m    *ir.Module
		want string
	}{
		{"nil", nil, "no module"},
		{"no function", ir.NewModule(), "module has no function"},
		{"no body", noBody, "function 0 has no body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DOT(tt.m, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestDOTUndefinedValue draws a module the verifier would refuse: an op
// reading a value defined nowhere gets an "undefined value" node.
func TestDOTUndefinedValue(t *testing.T) {
	m := ir.NewModule()
	f := m.NewFunc("main")
	stray := &ir.Value{Type: ir.TensorType(ir.F32, ir.ShapeOf(2))}
	op := f.Body.NewOp("Relu", []*ir.Value{stray, nil}, nil, []ir.Type{stray.Type})
	f.AddOutput("y", op.Results[0])
	dot, err := DOT(m, Options{NoEdgeTypes: true})
	if err != nil {
		t.Fatal(err)
	}
	s := string(dot)
	for _, want := range []string{
		`n1 [id="n1", shape=note, fillcolor="#eeeeee", fontsize=9, label="undefined value"`,
		`n1 -> n0 [tooltip="%?: f32[2]"]`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("DOT lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, "label=\"f32[2]\"") {
		t.Errorf("NoEdgeTypes left a type label:\n%s", s)
	}
}

func TestTypeLabel(t *testing.T) {
	long := ir.Symbolic("p2o.DynamicDimension.0")
	tensor := func(dims ...ir.Dim) ir.Type {
		return ir.TensorType(ir.F32, ir.Shape{Ranked: true, Dims: dims})
	}
	tests := []struct {
		t    ir.Type
		want string
	}{
		{tensor(ir.Static(1), ir.Static(3)), "f32[1,3]"},
		{tensor(), "f32[]"},
		{ir.TensorType(ir.I64, ir.UnrankedShape()), "i64[*]"},
		{tensor(ir.Symbolic("batch"), ir.Unknown()), "f32[batch,?]"},
		{tensor(long, ir.Static(3)), "f32[p2o.D…ion.0,3]"},
		{tensor(ir.Symbolic("twelve_chars")), "f32[twelve_chars]"},
		{tensor(ir.Symbolic("a\nb")), `f32[a\nb]`},
		{ir.SequenceOf(tensor(long)), "seq<f32[p2o.D…ion.0]>"},
		{ir.OptionalOf(ir.SequenceOf(tensor(ir.Static(2)))), "opt<seq<f32[2]>>"},
		{ir.Type{Kind: ir.SequenceKind}, "seq<?>"},
	}
	for _, tt := range tests {
		if got := typeLabel(tt.t); got != tt.want {
			t.Errorf("typeLabel(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

func TestConstSummary(t *testing.T) {
	le32 := func(xs ...uint32) []byte {
		var b []byte
		for _, x := range xs {
			b = binary.LittleEndian.AppendUint32(b, x)
		}
		return b
	}
	le64 := func(xs ...int64) []byte {
		var b []byte
		for _, x := range xs {
			b = binary.LittleEndian.AppendUint64(b, uint64(x))
		}
		return b
	}
	c := func(d ir.DType, shape []int64, b []byte) *ir.Value {
		return &ir.Value{Type: ir.TensorType(d, ir.ShapeOf(shape...)), Const: &ir.Constant{Name: "c", Bytes: b}}
	}
	tests := []struct {
		v    *ir.Value
		want string
	}{
		{c(ir.I64, []int64{2}, le64(1, -1)), "x = [1, -1]"},
		{c(ir.I64, []int64{}, le64(7)), "x = 7"},
		{c(ir.I32, []int64{1}, le32(0xffffffff)), "x = [-1]"},
		{c(ir.F32, []int64{}, le32(math.Float32bits(0.5))), "x = 0.5"},
		{c(ir.F64, []int64{}, binary.LittleEndian.AppendUint64(nil, math.Float64bits(0.25))), "x = 0.25"},
		// More than maxInlineElems elements: the type.
		{c(ir.I64, []int64{9}, le64(1, 2, 3, 4, 5, 6, 7, 8, 9)), "x: i64[9]"},
		// Values longer than maxValuesText: the type.
		{c(ir.F32, []int64{8}, le32(0x3eaaaaab, 0x3eaaaaab, 0x3eaaaaab, 0x3eaaaaab, 0x3eaaaaab, 0x3eaaaaab, 0x3eaaaaab, 0x3eaaaaab)), "x: f32[8]"},
		// Other dtypes and byte counts that do not match: the type.
		{c(ir.U8, []int64{2}, []byte{1, 2}), "x: u8[2]"},
		{c(ir.I64, []int64{2}, le64(1)), "x: i64[2]"},
	}
	for _, tt := range tests {
		if got := constSummary("x", tt.v); got != tt.want {
			t.Errorf("constSummary(%v) = %q, want %q", tt.v.Type, got, tt.want)
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`a"b`, `"a\"b"`},
		{`a\b`, `"a\\b"`},
		{"a\nb", `"a\nb"`},
		{"a\rb", `"a\\rb"`},
		{"a\x00b", `"a\\x00b"`},
		{"ünï", `"ünï"`},
	}
	for _, tt := range tests {
		if got := quote(tt.in); got != tt.want {
			t.Errorf("quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
