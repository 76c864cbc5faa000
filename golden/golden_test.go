package golden

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
)

var update = flag.Bool("update", false, "rewrite the expected outputs of the golden cases")

// TestGolden runs every testdata/*.txtar case. An archive holds one input
// and one expectation:
//
//	-- input.kir --  text to parse and print back (the kiln fmt round trip)
//	-- want.kir --   the printed text
//	-- want.err --   instead of want.kir: the parse error
//
//	-- model --      a model file: a name under ../shared/models/onnx, or an
//	                 absolute path; the case is skipped while the model does
//	                 not import (ops still being added) or is absent
//	-- want.kir --   the dump of the imported module, its constants of more
//	                 than 16 elements in "data.bin" (kiln dump --data-out)
//
// Text cases resolve and print file references relative to the archive's
// folder; dumps relative to the data file's, so they read the same on
// every machine.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden cases in testdata")
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) { runCase(t, path) })
	}
}

func runCase(t *testing.T, path string) {
	ar, err := ReadArchive(path)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range ar.ar.Files {
		files[f.Name] = string(f.Data)
	}
	base, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	opts := ir.PrintOptions{BaseDir: base}
	var got, wantName string
	switch {
	case hasFile(files, "input.kir"):
		m, err := ir.Parse("input.kir", []byte(files["input.kir"]), ir.ParseOptions{BaseDir: base})
		if hasFile(files, "want.err") {
			wantName = "want.err"
			if err == nil {
				m.Close()
				got = "no error\n"
			} else {
				got = err.Error() + "\n"
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		wantName, got = "want.kir", printed(t, m, opts)
		// Formatting is idempotent: the output, comments included,
		// formats to itself.
		m2, err := ir.Parse("want.kir", []byte(got), ir.ParseOptions{BaseDir: base})
		if err != nil {
			t.Fatalf("the output does not parse: %v", err)
		}
		defer m2.Close()
		if again := printed(t, m2, opts); again != got {
			t.Fatalf("the output does not format to itself (-once +twice):\n%s", LineDiff(got, again))
		}
	case hasFile(files, "model"):
		model := modelPath(t, strings.TrimSpace(files["model"]))
		m, err := onnx.Import(model)
		if err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		defer m.Close()
		// Large constants go to a data file of their own, as with `kiln
		// dump --data-out`: the dump then refers to "data.bin" with offsets
		// and checksums that depend only on the module, not on where the
		// model lies or how the importer points into it.
		data := t.TempDir()
		if err := ir.WriteDataFile(m, filepath.Join(data, "data.bin")); err != nil {
			t.Fatal(err)
		}
		opts = ir.PrintOptions{BaseDir: data}
		wantName, got = "want.kir", printed(t, m, opts)
		// A dump must itself be valid text that prints back identically.
		m2, err := ir.Parse("dump.kir", []byte(got), ir.ParseOptions{BaseDir: data})
		if err != nil {
			t.Fatalf("the dump does not parse: %v", err)
		}
		defer m2.Close()
		if again := printed(t, m2, opts); again != got {
			t.Fatalf("the dump does not round-trip (-dump +reprinted):\n%s", LineDiff(got, again))
		}
	default:
		t.Fatalf("%s: needs an input.kir or a model file", path)
	}
	if err := ar.Check(wantName, got, *update); err != nil {
		t.Error(err)
	}
}

func hasFile(files map[string]string, name string) bool { _, ok := files[name]; return ok }

func printed(t *testing.T, m *ir.Module, opts ir.PrintOptions) string {
	t.Helper()
	var b strings.Builder
	if err := ir.Print(&b, m, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// modelPath resolves a model name: absolute paths stay, other names are
// files under ../shared/models/onnx beside the folder holding go.mod.
func modelPath(t *testing.T, name string) string {
	if filepath.IsAbs(name) {
		if _, err := os.Stat(name); err != nil {
			t.Skipf("%s is absent", name)
		}
		return name
	}
	return testenv.SharedONNXModel(t, name)
}

func TestLineDiff(t *testing.T) {
	want := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	got := "a\nb\nc\nd\ne\nF\ng\nh\ni\nj\nk\n"
	diff := LineDiff(want, got)
	exp := "@@ line 3 @@\n c\n d\n e\n-f\n+F\n g\n h\n i\n j\n+k\n"
	if diff != exp {
		t.Errorf("LineDiff:\n%s\nwant:\n%s", diff, exp)
	}
	if d := LineDiff("x\n", "x\n"); d != "" {
		t.Errorf("equal texts gave %q", d)
	}
}
