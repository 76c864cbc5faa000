package codegen

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
)

var update = flag.Bool("update", false, "rewrite the expected files of testdata/*.txtar")

func parseKIR(t *testing.T, src string) *ir.Module {
	t.Helper()
	m, err := ir.Parse("test.kir", []byte(src), ir.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDeterministic compiles the same modules twice, from separate
// imports, and wants identical bytes in every file.
func TestDeterministic(t *testing.T) {
	type build func() (*ir.Module, error)
	cases := map[string]struct {
		load build
		dims map[string]int64
	}{
		"ops": {opsModule, map[string]int64{"n": 3}},
		"mobilenetv2": {func() (*ir.Module, error) {
			return onnx.Import(testenv.SharedONNXModel(t, "mobilenetv2.onnx"))
		}, map[string]int64{"batch": 1}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var pkgs [2]*Package
			for i := range pkgs {
				m, err := c.load()
				if err != nil {
					t.Fatal(err)
				}
				if pkgs[i], err = Compile(m, Options{Dims: c.dims, KilnVersion: "test"}); err != nil {
					t.Fatal(err)
				}
			}
			a, b := pkgs[0], pkgs[1]
			if strings.Join(a.FileNames(), ",") != strings.Join(b.FileNames(), ",") {
				t.Fatalf("files %v, then %v", a.FileNames(), b.FileNames())
			}
			for _, f := range a.FileNames() {
				if !bytes.Equal(a.Files[f], b.Files[f]) {
					t.Errorf("%s differs between two compiles", f)
				}
			}
		})
	}
}

// TestCompileErrors checks that what codegen cannot compile is refused with
// one error naming every problem.
func TestCompileErrors(t *testing.T) {
	const dynamic = `
sym n in [1, 4]
func @main(%x: f32[n,3]) -> ("y": f32[n,3]) {
  %y = Relu(%x) : f32[n,3]
  return %y
}
`
	cases := []struct {
		name string
		src  string
		opts Options
		want []string
	}{
		{
			name: "unsupported ops",
			src: `
func @main(%x: f32[2,3]) -> ("a": f32[2,3], "b": f32[2,3], "c": f32[2,3]) {
  %a = Mish(%x) : f32[2,3] loc("mish_1")
  %b = Mish(%a) : f32[2,3] loc("mish_2")
  %c = LpNormalization(%x) : f32[2,3] loc("lpnorm_1")
  return %a, %b, %c
}
`,
			want: []string{"2 op type(s)", `Mish: "mish_1", "mish_2"`, `LpNormalization: "lpnorm_1"`},
		},
		{
			name: "unsupported ops in regions",
			src: `
const @zero : i64[] = 0
func @main(%x: f32[2,3], %s: i64[]) -> ("y": f32[2,3]) {
  %c = Equal(%s, @zero) : bool[]
  %y = If(%c) : f32[2,3] {
    then_branch() {
      %a = Mish(%x) : f32[2,3] loc("mish_then")
      return %a
    }
    else_branch() {
      %b = LpNormalization(%x) : f32[2,3] loc("lpnorm_else")
      return %b
    }
  }
  return %y
}
`,
			want: []string{"2 op type(s)", `Mish: "mish_then"`, `LpNormalization: "lpnorm_else"`},
		},
		{name: "unbound dim", src: strings.Replace(dynamic, "sym n in [1, 4]\n", "", 1), want: []string{"symbolic dim n has no upper bound", "--dim n=LO..HI"}},
		{name: "range above bound", src: dynamic, opts: Options{Ranges: map[string]DimRange{"n": {1, 5}}}, want: []string{"n=1..5", "[1, 4]"}},
		{name: "range of unknown dim", src: dynamic, opts: Options{Ranges: map[string]DimRange{"m": {1, 5}}}, want: []string{"m=1..5", "no input"}},
		{name: "size and range", src: dynamic, opts: Options{Dims: map[string]int64{"n": 2}, Ranges: map[string]DimRange{"n": {1, 3}}}, want: []string{"both a size and a range"}},
		{name: "empty range", src: dynamic, opts: Options{Ranges: map[string]DimRange{"n": {3, 2}}}, want: []string{"n=3..2", "LO ≤ HI"}},
		{name: "dim above bound", src: dynamic, opts: Options{Dims: map[string]int64{"n": 5}}, want: []string{"n=5", "[1, 4]"}},
		{name: "unknown dim", src: dynamic, opts: Options{Dims: map[string]int64{"n": 2, "m": 1}}, want: []string{"no symbol \"m\""}},
		{name: "bad package", src: dynamic, opts: Options{Package: "main", Dims: map[string]int64{"n": 2}}, want: []string{"package name"}},
		{name: "bad weights mode", src: dynamic, opts: Options{Weights: "mmap", Dims: map[string]int64{"n": 2}}, want: []string{"weights mode"}},
		{
			name: "op on strings without a string kernel",
			src: `
func @main(%x: string[2]) -> ("y": string[4]) {
  %y = Concat(%x, %x) {axis = 0} : string[4]
  return %y
}
`,
			want: []string{"Concat on strings", "Cast, CastLike and StringNormalizer"},
		},
		{
			name: "strings in control flow",
			src: `
func @main(%x: string[2], %c: bool[]) -> ("y": string[2]) {
  %y = If(%c) : string[2] {
    then_branch() {
      %a = Identity(%x) : string[2]
      return %a
    }
    else_branch() {
      %b = Identity(%x) : string[2]
      return %b
    }
  }
  return %y
}
`,
			want: []string{"string values in control flow", "no arena"},
		},
		{
			name: "element type not stored",
			src: `
func @main(%x: c64[2]) -> ("y": c64[2]) {
  %y = Identity(%x) : c64[2]
  return %y
}
`,
			want: []string{`input "x"`, "c64", "number, bool and string inputs"},
		},
		{
			name: "arithmetic on half floats",
			src: `
func @main(%x: f16[2]) -> ("y": f16[2]) {
  %y = Relu(%x) : f16[2]
  return %y
}
`,
			want: []string{"Relu on f16", "only by casting"},
		},
		{
			name: "float32 kernel on f64",
			src: `
func @main(%x: f64[2]) -> ("y": f64[2]) {
  %y = Sigmoid(%x) : f64[2]
  return %y
}
`,
			want: []string{"Sigmoid", "f64", "f32 only"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(parseKIR(t, tc.src), tc.opts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestGemmScratchBytes keeps the manifest's scratch size in step with the
// kernel library's blocking constants.
func TestGemmScratchBytes(t *testing.T) {
	consts := map[string]int64{}
	for _, name := range []string{"gemmKC", "gemmMC", "gemmNC"} {
		m := regexp.MustCompile(name + `\s*=\s*(\d+)`).FindStringSubmatch(gemmSource)
		if m == nil {
			t.Fatalf("kernels/gemm.go declares no %s", name)
		}
		var v int64
		for _, c := range m[1] {
			v = v*10 + int64(c-'0')
		}
		consts[name] = v
	}
	if !strings.Contains(gemmSource, "gemmScratchLen = gemmMC*gemmKC + gemmKC*gemmNC") {
		t.Fatal("kernels/gemm.go: gemmScratchLen is no longer gemmMC*gemmKC + gemmKC*gemmNC")
	}
	want := 4 * (consts["gemmMC"]*consts["gemmKC"] + consts["gemmKC"]*consts["gemmNC"])
	if gemmScratchBytes != want {
		t.Fatalf("gemmScratchBytes = %d, kernels/gemm.go needs %d", gemmScratchBytes, want)
	}
}

// TestGolden compiles each testdata/*.txtar's input.kir (with the dims in
// its "dims" file, NAME=N per line) and compares the generated model.go,
// kernels.go and manifest.json with the archive's. -update rewrites them.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden cases in testdata")
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var src []byte
			dims := map[string]int64{}
			for _, f := range ar.Files {
				switch f.Name {
				case "input.kir":
					src = f.Data
				case "dims":
					for _, line := range strings.Fields(string(f.Data)) {
						name, val, _ := strings.Cut(line, "=")
						var n int64
						for _, c := range val {
							n = n*10 + int64(c-'0')
						}
						dims[name] = n
					}
				}
			}
			m, err := ir.Parse("input.kir", src, ir.ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			p, err := Compile(m, Options{Package: "tiny", Dims: dims, Source: Source{Name: "input.kir", Format: "kir", SHA256: "0"}, KilnVersion: "golden"})
			if err != nil {
				t.Fatal(err)
			}
			changed := false
			for _, name := range []string{"model.go", "kernels.go", "manifest.json"} {
				got := p.Files[name]
				found := false
				for i, f := range ar.Files {
					if f.Name != name {
						continue
					}
					found = true
					if !bytes.Equal(f.Data, got) {
						if *update {
							ar.Files[i].Data = got
							changed = true
						} else {
							t.Errorf("%s differs from %s (go test ./codegen -update rewrites it):\n%s", name, path, lineDiff(string(f.Data), string(got)))
						}
					}
				}
				if !found {
					if !*update {
						t.Errorf("%s has no %s (go test ./codegen -update adds it)", path, name)
					}
					ar.Files = append(ar.Files, txtar.File{Name: name, Data: got})
					changed = true
				}
			}
			if changed && *update {
				if err := os.WriteFile(path, txtar.Format(ar), 0o666); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// lineDiff is a short -want +got listing of the lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	n := 0
	for i := 0; i < max(len(w), len(g)) && n < 40; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("-" + wl + "\n+" + gl + "\n")
			n++
		}
	}
	return b.String()
}

// TestMemoryPlan checks the plan of real modules: buffers live at the same
// call never share bytes, every buffer lies inside the arena and is
// aligned, and the arena is at least the largest live set.
func TestMemoryPlan(t *testing.T) {
	cases := map[string]struct {
		load func() (*ir.Module, error)
		dims map[string]int64
	}{
		"ops": {opsModule, map[string]int64{"n": 2}},
		"mobilenetv2": {func() (*ir.Module, error) {
			return onnx.Import(testenv.SharedONNXModel(t, "mobilenetv2.onnx"))
		}, map[string]int64{"batch": 1}},
		"paddleocr-rec": {func() (*ir.Module, error) {
			return onnx.Import(testenv.SharedONNXModel(t, "paddleocr-rec.onnx"))
		}, map[string]int64{"p2o.DynamicDimension.0": 1, "p2o.DynamicDimension.1": 320}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := c.load()
			if err != nil {
				t.Fatal(err)
			}
			p, err := Compile(m, Options{Dims: c.dims})
			if err != nil {
				t.Fatal(err)
			}
			mem := p.Manifest.Memory
			bufs := mem.Buffers
			if len(bufs) == 0 {
				t.Fatal("no buffers")
			}
			for i, a := range bufs {
				if a.Offset%64 != 0 || a.Offset+a.Bytes > mem.ArenaBytes || a.Start > a.End {
					t.Errorf("buffer %d: offset %d, %d bytes, live %d..%d in an arena of %d", i, a.Offset, a.Bytes, a.Start, a.End, mem.ArenaBytes)
				}
				for j := i + 1; j < len(bufs); j++ {
					b := bufs[j]
					if a.Arena == b.Arena && a.Start <= b.End && b.Start <= a.End && a.Offset < b.Offset+b.Bytes && b.Offset < a.Offset+a.Bytes {
						t.Errorf("buffers %d %v and %d %v are live together and overlap", i, a.Values, j, b.Values)
					}
				}
			}
			if mem.ArenaBytes < mem.LiveBytesMax {
				t.Errorf("arena %d bytes < max live %d", mem.ArenaBytes, mem.LiveBytesMax)
			}
			t.Logf("%d buffers, arena %d bytes, max live %d bytes (%.1f%% above), scratch %d bytes",
				len(bufs), mem.ArenaBytes, mem.LiveBytesMax, 100*float64(mem.ArenaBytes-mem.LiveBytesMax)/float64(mem.LiveBytesMax), mem.ScratchBytes)
		})
	}
}

func TestFuncBase(t *testing.T) {
	for in, want := range map[string]string{
		"Conv":               "conv",
		"MaxPool":            "maxPool",
		"kiln.FusedConv":     "kilnFusedConv",
		"com.microsoft.Gelu": "comMicrosoftGelu",
		"9x":                 "op9x",
	} {
		if got := funcBase(in); got != want {
			t.Errorf("funcBase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGoNames(t *testing.T) {
	got := goNames([]string{"input_ids", "Plus214_Output_0", "/a/b:0", "9lives", "x", "X", "", "naïve"})
	want := []string{"InputIds", "Plus214Output0", "AB0", "X9lives", "X", "X_2", "X_3", "NaVe"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("goNames = %q, want %q", got, want)
	}
}
