package ir_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// Round trips of real models: print(parse(print(m))) == print(m) for every
// shared model and every ONNX backend test model that imports, and parsed
// backend models compute exactly what the imported ones do.

const backendData = "/usr/share/libonnx-testdata/data"

// printed prints m and fails the test on error.
func printed(t testing.TB, m *ir.Module, opts ir.PrintOptions) string {
	t.Helper()
	var b strings.Builder
	if err := ir.Print(&b, m, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// roundTrip checks print(parse(print(m))) == print(m) and returns the parsed
// module. With dataFile, large constants go to a data file in dir first (as
// `kiln dump --data-out` does); without, they refer to the model file the
// importer mapped, as a default `kiln dump` prints them.
func roundTrip(t testing.TB, name string, m *ir.Module, dir string, dataFile bool) *ir.Module {
	t.Helper()
	if dataFile {
		if err := ir.WriteDataFile(m, filepath.Join(dir, "data.bin")); err != nil {
			t.Fatal(err)
		}
	}
	opts := ir.PrintOptions{BaseDir: dir}
	text := printed(t, m, opts)
	m2, err := ir.Parse(name+".kir", []byte(text), ir.ParseOptions{BaseDir: dir})
	if err != nil {
		t.Fatalf("%s: parse of printed module: %v", name, err)
	}
	if text2 := printed(t, m2, opts); text2 != text {
		m2.Close()
		t.Fatalf("%s: round trip differs:\n%s", name, firstDiff(text, text2))
	}
	return m2
}

// firstDiff shows the first differing line of two texts.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n-%s\n+%s", i+1, x, y)
		}
	}
	return "(no difference)"
}

func TestRoundTripSharedModels(t *testing.T) {
	models := testenv.SharedONNXModels()
	if len(models) == 0 {
		t.Skip("../shared/models/onnx is absent")
	}
	for _, path := range models {
		name := strings.TrimSuffix(filepath.Base(path), ".onnx")
		t.Run(name, func(t *testing.T) {
			m, err := onnx.Import(path)
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			defer m.Close()
			inputs := referenceInputs(t, path)
			want, err := interp.New(m, interp.Options{}).Run("", inputs)
			if err != nil {
				t.Fatalf("the imported module does not run on its reference inputs: %v", err)
			}
			// First with references into the model file, then with a data
			// file: both must re-print identically and compute the same.
			for _, dataFile := range []bool{false, true} {
				m2 := roundTrip(t, name, m, t.TempDir(), dataFile)
				defer m2.Close()
				got, err := interp.New(m2, interp.Options{}).Run("", inputs)
				if err != nil {
					t.Fatalf("the original runs but the parsed module fails: %v", err)
				}
				for i := range want {
					if !tensor.Identical(want[i], got[i]) {
						t.Errorf("data file %v: output %d differs after the round trip", dataFile, i)
					}
				}
			}
		})
	}
}

// referenceInputs reads the inputs of the first reference case of the model
// at path (../shared/models/reference/onnx/*/case.json).
func referenceInputs(t *testing.T, path string) []interp.Value {
	t.Helper()
	files, ok := testenv.ReferenceInputFiles(path)
	if !ok {
		t.Fatalf("no reference case for %s", path)
	}
	var out []interp.Value
	for _, f := range files {
		x, err := tensor.ReadNPYFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, x)
	}
	return out
}

func TestRoundTripBackendModels(t *testing.T) {
	if _, err := os.Stat(backendData); err != nil {
		t.Skip(backendData + " is absent")
	}
	var imported, skipped, ran int
	for _, suite := range []string{"node", "simple", "pytorch-converted", "pytorch-operator"} {
		dirs, _ := filepath.Glob(filepath.Join(backendData, suite, "*", "model.onnx"))
		for _, model := range dirs {
			dir := filepath.Dir(model)
			name := suite + "/" + filepath.Base(dir)
			m, err := onnx.Import(model)
			var unsup *onnx.UnsupportedError
			if errors.As(err, &unsup) {
				skipped++ // the Gradient op of the simple suite
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			imported++
			func() {
				defer m.Close()
				m2 := roundTrip(t, name, m, t.TempDir(), true)
				defer m2.Close()
				if !testing.Short() && sameRun(t, name, dir, m, m2) {
					ran++
				}
			}()
		}
	}
	t.Logf("%d backend models round-tripped, %d ran identically in the interpreter, %d use unsupported ops", imported, ran, skipped)
}

// sameRun runs both modules on the test case's first input set and checks
// the outputs are identical. It reports whether the original ran at all.
func sameRun(t *testing.T, name, dir string, m, m2 *ir.Module) bool {
	f := m.Funcs[0]
	set := filepath.Join(dir, "test_data_set_0")
	inputs := make([]interp.Value, len(f.Body.Params))
	for i, p := range f.Body.Params {
		v, err := onnx.ReadValueFile(filepath.Join(set, fmt.Sprintf("input_%d.pb", i)), p.Type)
		if err != nil {
			return false
		}
		inputs[i] = v
	}
	want, err := interp.New(m, interp.Options{}).Run("", inputs)
	if err != nil {
		return false
	}
	got, err := interp.New(m2, interp.Options{}).Run("", inputs)
	if err != nil {
		t.Errorf("%s: the original runs but the parsed module fails: %v", name, err)
		return true
	}
	for i := range want {
		if !tensor.Identical(want[i], got[i]) {
			t.Errorf("%s: output %d differs after the round trip", name, i)
		}
	}
	return true
}
