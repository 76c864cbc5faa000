package ir

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Test-only ops that exercise every piece of syntax: regions, absent
// operands, zero results and every attribute kind. Their names carry a
// prefix no real op uses.
func init() {
	keep := func(op *Op) ([]Type, error) {
		out := make([]Type, len(op.Results))
		for i, r := range op.Results {
			out[i] = r.Type
		}
		return out, nil
	}
	// The test ops take any value anywhere, each of its own type.
	anyValue := []TypeConstraint{TCOf("V", AnyKind, AllTypes)}
	Register(&OpDef{Name: "kirtest.Attrs", Doc: "test op with every attribute kind", Kind: Opaque,
		Inputs: []Operand{VarOptMixed("x:V")}, Outputs: []Operand{VarOptMixed("y:V")}, Types: anyValue, Infer: keep,
		Attrs: []AttrDef{
			AInt("i", 0), AFloat("f", 0), AString("s", ""), AInts("is"), AFloats("fs"), AStrings("ss"),
			AOptional("t", AttrTensor), AOptional("d", AttrDType), AOptional("ty", AttrType),
			AFloat("f2", 0), AFloat("f3", 0), AFloat("f4", 0), AFloat("f5", 0), AInts("empty_is"), AFloats("empty_fs"),
			AStrings("empty_ss"), AFloat("f6", 0),
		}})
	Register(&OpDef{Name: "kirtest.Sink", Doc: "test op without results", Kind: Opaque,
		Inputs: []Operand{VarOptMixed("x:V")}, Types: anyValue, Infer: keep})
	Register(&OpDef{Name: "kirtest.Block", Doc: "test op with a region and no results", Kind: Opaque,
		Inputs: []Operand{VarOptMixed("x:V")}, Types: anyValue, Regions: []string{"body"}, RegionSig: AnyRegion, Infer: keep})
	Register(&OpDef{Name: "kirtest.If", Doc: "test op with two regions", Kind: Opaque,
		Inputs: In("cond:V"), Outputs: []Operand{VarMixed("out:V")}, Types: anyValue,
		Regions: []string{"then_branch", "else_branch"}, RegionSig: AnyRegion, Infer: keep})
	Register(&OpDef{Name: "kirtest.Loop", Doc: "test op with a region with params", Kind: Opaque,
		Inputs: []Operand{Opt("M:V"), Opt("cond:V"), VarOptMixed("v:V")}, Outputs: []Operand{VarOptMixed("out:V")},
		Types: anyValue, Regions: []string{"body"}, RegionSig: AnyRegion, Infer: keep})
}

func bytesOf(vals ...any) []byte {
	var b bytes.Buffer
	for _, v := range vals {
		binary.Write(&b, binary.LittleEndian, v)
	}
	return b.Bytes()
}

func t32(d DType, dims ...int64) Type { return TensorType(d, ShapeOf(dims...)) }

// sampleModule builds a module using every feature of the text form.
// dataDir, when set, receives a data file that its large constant lives in.
func sampleModule(t testing.TB, dataDir string) *Module {
	m := NewModule()
	m.SetMeta("source.format", "onnx")
	m.SetMeta("odd key\n", "tab\tand \"quote\" and é")
	m.Syms = []SymBound{{Name: "batch", Min: 1, Max: 64}, {Name: "p2o.DynamicDimension.0", Min: 0, Max: -1}, {Name: "weird name", Min: 2, Max: 2}}
	nanPayload := math.Float32frombits(0x7fc00001)
	m.AddConst("f", t32(F32, 8), &Constant{Bytes: bytesOf([]float32{1, -0.0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), nanPayload, 1e-5})})
	m.AddConst("sig", t32(F32, 2), &Constant{Bytes: bytesOf([]uint32{0x7f800001, 0xffc00000})})
	m.AddConst("d", t32(F64, 4), &Constant{Bytes: bytesOf([]float64{0.1, -1e300, math.NaN(), math.Float64frombits(0x7ff0000000000001)})})
	m.AddConst("h", t32(F16, 5), &Constant{Bytes: bytesOf([]uint16{0x3c00, 0x8000, 0x7e00, 0x7c01, 0x0001})})
	m.AddConst("bh", t32(BF16, 4), &Constant{Bytes: bytesOf([]uint16{0x3f80, 0x7fc0, 0x7f81, 0xff80})})
	m.AddConst("ints", t32(I64, 3), &Constant{Bytes: bytesOf([]int64{math.MinInt64, -1, math.MaxInt64})})
	m.AddConst("i8", t32(I8, 2), &Constant{Bytes: bytesOf([]int8{-128, 127})})
	m.AddConst("i16", t32(I16, 1), &Constant{Bytes: bytesOf([]int16{-32768})})
	m.AddConst("i32", t32(I32, 1), &Constant{Bytes: bytesOf([]int32{-7})})
	m.AddConst("u8", t32(U8, 1), &Constant{Bytes: []byte{255}})
	m.AddConst("u16", t32(U16, 1), &Constant{Bytes: bytesOf([]uint16{65535})})
	m.AddConst("u32", t32(U32, 1), &Constant{Bytes: bytesOf([]uint32{4294967295})})
	m.AddConst("u64", t32(U64, 1), &Constant{Bytes: bytesOf([]uint64{math.MaxUint64})})
	m.AddConst("b", t32(Bool, 3), &Constant{Bytes: []byte{1, 0, 7}})
	m.AddConst("names", t32(String, 2), &Constant{Strings: []string{"a", "b\"\n\x00"}})
	m.AddConst("c", t32(C64, 1), &Constant{Bytes: bytesOf([]float32{1, -2.5})})
	m.AddConst("cc", t32(C128, 1), &Constant{Bytes: bytesOf([]float64{math.Inf(1), 3})})
	m.AddConst("scalar", t32(F32), &Constant{Bytes: bytesOf(float32(3))})
	m.AddConst("empty", t32(I64, 0), &Constant{Bytes: []byte{}})
	m.AddConst("onnx::Conv_1", t32(F32, 2, 2), &Constant{Bytes: bytesOf([]float32{1, 2, 3, 4})})
	big := make([]float32, 40)
	for i := range big {
		big[i] = float32(i) / 3
	}
	m.AddConst("big.inline", t32(F32, 40), &Constant{Bytes: bytesOf(big)})
	w := m.AddConst("w", t32(F32, 4, 10), &Constant{Bytes: bytesOf(big)})
	if dataDir != "" {
		if err := WriteDataFile(m, filepath.Join(dataDir, "data.bin")); err != nil {
			t.Fatal(err)
		}
		// Only w is meant to live in the file; the other large constant
		// shows the inline form of constants without a source.
		m.Const("big.inline").Const.Source = nil
	}

	f := m.NewFunc("main")
	x := f.AddInput("Input:0", TensorType(F32, Shape{Ranked: true, Dims: []Dim{Symbolic("batch"), Static(4), Unknown(), Symbolic("p2o.DynamicDimension.0")}}))
	cond := f.AddInput("cond", t32(Bool))
	s := f.AddInput("seq", SequenceOf(TensorType(F32, UnrankedShape())))
	o := f.AddInput("opt", OptionalOf(SequenceOf(TensorType(I64, UnrankedShape()))))
	f.AddInput("unknown_elem", Type{Kind: SequenceKind})
	b := f.Body
	add, err := b.Build("Add", []*Value{x, m.Const("scalar")}, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	add.Loc = Locs{`node "quoted"`, "fused/with"}
	attrs := b.NewOp("kirtest.Attrs", []*Value{add.Results[0], nil, w}, []Attr{
		{"i", IntAttr(-3)}, {"f", FloatAttr(1)}, {"f2", FloatAttr(1e-5)}, {"f3", FloatAttr(float32(math.Inf(-1)))},
		{"f4", FloatAttr(float32(math.NaN()))}, {"f5", FloatAttr(float32(math.Copysign(0, -1)))},
		{"f6", FloatAttr(nanPayload)},
		{"s", StringAttr("SAME_UPPER")}, {"is", IntsAttr([]int64{5, -5})}, {"fs", FloatsAttr([]float32{1, 2.5, 1e20})},
		{"ss", StringsAttr([]string{"a", ""})}, {"t", TensorAttr(w)}, {"d", DTypeAttr(BF16)},
		{"ty", TypeAttr(SequenceOf(OptionalOf(TensorType(F16, ShapeOf(1)))))},
		{"empty_is", IntsAttr([]int64{})}, {"empty_fs", FloatsAttr(nil)}, {"empty_ss", StringsAttr([]string{})},
	}, []Type{t32(F32, 2), TensorType(F32, UnrankedShape())})
	b.NewOp("kirtest.Sink", nil, nil, nil) // no operands, no results
	blk := b.NewOp("kirtest.Block", []*Value{cond}, nil, nil)
	blk.AddRegion("body").Results = []*Value{cond}
	ifop := b.NewOp("kirtest.If", []*Value{cond}, nil, []Type{t32(F32, 2), TensorType(F32, Shape{Ranked: true, Dims: []Dim{Unknown(), Symbolic("weird name")}})})
	ifop.Loc = Locs{"If_0"}
	then := ifop.AddRegion("then_branch")
	then.Results = []*Value{attrs.Results[0], attrs.Results[1]}
	els := ifop.AddRegion("else_branch")
	id, _ := els.Build("Identity", []*Value{attrs.Results[0]}, nil, 1)
	id.Results[0].Name = "/layers.0/Shape_output_0" // quoted when printed
	els.Results = []*Value{id.Results[0], m.Const("onnx::Conv_1")}
	loop := b.NewOp("kirtest.Loop", []*Value{nil, cond, s, o}, nil, []Type{s.Type})
	body := loop.AddRegion("body")
	it := body.AddParam(t32(I64))
	body.AddParam(t32(Bool))
	bs := body.AddParam(s.Type)
	inner := body.NewOp("kirtest.If", []*Value{cond}, nil, []Type{s.Type})
	inner.AddRegion("then_branch").Results = []*Value{bs}
	ie := inner.AddRegion("else_branch")
	ie.Results = []*Value{s}
	body.Results = []*Value{it, inner.Results[0]}
	// Colliding names print with suffixes (%dup, %dup#1, %dup#2); a name
	// that contains '#' itself is quoted and cannot be mistaken for one.
	attrs.Results[1].Name, it.Name, inner.Results[0].Name = "dup", "dup", "dup"
	bs.Name = "dup#1"
	f.AddOutput("out", ifop.Results[0])
	f.AddOutput("const_out", m.Const("names"))
	f.AddOutput("loop", loop.Results[0])

	g := m.NewFunc("second fn")
	gx := g.AddInput("x", t32(F32))
	g.AddOutput("y", gx)
	if err := Verify(m); err != nil {
		t.Fatal(err)
	}
	return m
}

func printString(t testing.TB, m *Module, opts PrintOptions) string {
	t.Helper()
	var b strings.Builder
	if err := Print(&b, m, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestPrintParseRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := sampleModule(t, dir)
	text := printString(t, m, PrintOptions{BaseDir: dir})
	if testing.Verbose() {
		t.Logf("\n%s", text)
	}
	m2, err := Parse("sample.kir", []byte(text), ParseOptions{BaseDir: dir})
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	defer m2.Close()
	text2 := printString(t, m2, PrintOptions{BaseDir: dir})
	if text != text2 {
		t.Fatalf("round trip differs:\n--- first\n%s\n--- second\n%s", text, text2)
	}
	for i, c := range m.Consts {
		c2 := m2.Consts[i]
		if !bytes.Equal(c.Const.Bytes, c2.Const.Bytes) || strings.Join(c.Const.Strings, "\x01") != strings.Join(c2.Const.Strings, "\x01") {
			t.Errorf("constant @%s: payload differs after round trip", c.Const.Name)
		}
	}
	if src := m2.Const("w").Const.Source; src == nil || src.Path != filepath.Join(dir, "data.bin") {
		t.Errorf("@w source = %+v", src)
	}
	if !strings.Contains(text, `file("data.bin", offset=192, length=160, sha256=`) {
		t.Errorf("data file reference not relative to BaseDir:\n%s", text)
	}
}

func TestPrintGolden(t *testing.T) {
	m := sampleModule(t, "")
	got := printString(t, m, PrintOptions{})
	want, err := os.ReadFile("testdata/sample.kir")
	if err != nil || string(want) != got {
		os.WriteFile("testdata/sample.kir.got", []byte(got), 0o644)
		t.Errorf("printed sample module differs from testdata/sample.kir (see testdata/sample.kir.got)")
	}
}

func TestRelPath(t *testing.T) {
	wd, _ := os.Getwd()
	for _, tc := range []struct{ base, path, want string }{
		{"", "x/data.bin", "x/data.bin"},
		{"a/b", "a/c/d.bin", "../c/d.bin"},
		{"/tmp/out", "/tmp/out/w.bin", "w.bin"},
		{wd, "m/w.bin", "m/w.bin"},
		{"m", filepath.Join(wd, "w.bin"), "../w.bin"},
	} {
		p := &printer{opts: PrintOptions{BaseDir: tc.base}}
		if got := p.relPath(tc.path); got != tc.want {
			t.Errorf("relPath(base %q, %q) = %q, want %q", tc.base, tc.path, got, tc.want)
		}
	}
}

// A constant whose file bytes changed since printing is refused.
func TestParseFileChecksum(t *testing.T) {
	dir := t.TempDir()
	m := sampleModule(t, dir)
	text := printString(t, m, PrintOptions{BaseDir: dir})
	data := filepath.Join(dir, "data.bin")
	b, _ := os.ReadFile(data)
	b[200] ^= 1
	os.WriteFile(data, b, 0o644)
	if _, err := Parse("s.kir", []byte(text), ParseOptions{BaseDir: dir}); err == nil || !strings.Contains(err.Error(), "sha256 mismatch") {
		t.Errorf("got %v, want a sha256 mismatch", err)
	}
	os.WriteFile(data, b[:100], 0o644)
	if _, err := Parse("s.kir", []byte(text), ParseOptions{BaseDir: dir}); err == nil || !strings.Contains(err.Error(), "beyond the end") {
		t.Errorf("got %v, want a range error", err)
	}
}
