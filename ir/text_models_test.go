package ir_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// Round trips of real models: print(parse(print(m))) == print(m) for every
// shared model and every ONNX backend test model that imports, and parsed
// backend models compute exactly what the imported ones do.

const backendData = "/usr/share/libonnx-testdata/data"

// sharedModels returns the ONNX models under ../shared/models/onnx (relative
// to the folder holding go.mod), none when that folder is absent.
func sharedModels() []string {
	dir, err := filepath.Abs(".")
	if err != nil {
		return nil
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
	models, _ := filepath.Glob(filepath.Join(dir, "..", "shared", "models", "onnx", "*.onnx"))
	sort.Strings(models)
	return models
}

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
// module. Large constants go to a data file in dir first so the text stays
// small and file(...) references are exercised.
func roundTrip(t testing.TB, name string, m *ir.Module, dir string) *ir.Module {
	t.Helper()
	if err := ir.WriteDataFile(m, filepath.Join(dir, "data.bin")); err != nil {
		t.Fatal(err)
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
	models := sharedModels()
	if len(models) == 0 {
		t.Skip("../shared/models/onnx is absent")
	}
	for _, path := range models {
		name := strings.TrimSuffix(filepath.Base(path), ".onnx")
		t.Run(name, func(t *testing.T) {
			m, err := onnx.Import(path)
			if err != nil {
				t.Skipf("does not import yet (ops still being added): %v", firstLine(err))
			}
			defer m.Close()
			m2 := roundTrip(t, name, m, t.TempDir())
			defer m2.Close()
			if testing.Short() {
				return
			}
			inputs, ok := syntheticInputs(m.Funcs[0])
			if !ok {
				t.Logf("no synthetic inputs for its input types; interpreter check skipped")
				return
			}
			want, err := interp.New(m, interp.Options{}).Run("", inputs)
			if err != nil {
				t.Logf("the imported module does not run on synthetic inputs (%v); interpreter check skipped", firstLine(err))
				return
			}
			got, err := interp.New(m2, interp.Options{}).Run("", inputs)
			if err != nil {
				t.Fatalf("the original runs but the parsed module fails: %v", err)
			}
			for i := range want {
				if !sameValue(want[i], got[i]) {
					t.Errorf("output %d differs after the round trip", i)
				}
			}
		})
	}
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
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
			if err != nil {
				skipped++
				continue
			}
			imported++
			func() {
				defer m.Close()
				m2 := roundTrip(t, name, m, t.TempDir())
				defer m2.Close()
				if !testing.Short() && sameRun(t, name, dir, m, m2) {
					ran++
				}
			}()
		}
	}
	t.Logf("%d backend models round-tripped, %d ran identically in the interpreter, %d do not import yet", imported, ran, skipped)
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
		if !sameValue(want[i], got[i]) {
			t.Errorf("%s: output %d differs after the round trip", name, i)
		}
	}
	return true
}

// syntheticInputs makes deterministic inputs for f: the first dim of each
// input that is not static becomes 1 (batch), others 8; floats are in
// [0, 1), integers 0, bools false. Models that need meaningful inputs may
// refuse them; the caller then skips the comparison.
func syntheticInputs(f *ir.Func) ([]interp.Value, bool) {
	var out []interp.Value
	seed := uint32(1)
	for _, p := range f.Body.Params {
		if !p.Type.IsTensor() || !p.Type.Shape.Ranked {
			return nil, false
		}
		shape := make([]int, len(p.Type.Shape.Dims))
		for i, d := range p.Type.Shape.Dims {
			switch {
			case d.IsStatic():
				shape[i] = int(d.Size)
			case i == 0:
				shape[i] = 1
			default:
				shape[i] = 8
			}
		}
		t := interp.NewTensor(p.Type.DType, shape)
		switch x := t.Data.(type) {
		case []float32:
			for i := range x {
				seed = seed*1664525 + 1013904223
				x[i] = float32(seed>>8) / (1 << 24)
			}
		case []float64:
			for i := range x {
				seed = seed*1664525 + 1013904223
				x[i] = float64(seed>>8) / (1 << 24)
			}
		}
		out = append(out, t)
	}
	return out, true
}

// sameValue reports whether two interpreter values are bit-identical.
func sameValue(a, b interp.Value) bool {
	switch x := a.(type) {
	case *interp.Tensor:
		y, ok := b.(*interp.Tensor)
		if !ok || x.DType != y.DType || !reflect.DeepEqual(x.Shape, y.Shape) {
			return false
		}
		if x.DType == ir.String {
			return reflect.DeepEqual(x.Data, y.Data)
		}
		xb, err1 := interp.EncodeBytes(x)
		yb, err2 := interp.EncodeBytes(y)
		return err1 == nil && err2 == nil && bytes.Equal(xb, yb)
	case *interp.Sequence:
		y, ok := b.(*interp.Sequence)
		if !ok || len(x.Items) != len(y.Items) {
			return false
		}
		for i := range x.Items {
			if !sameValue(x.Items[i], y.Items[i]) {
				return false
			}
		}
		return true
	case *interp.Optional:
		y, ok := b.(*interp.Optional)
		if !ok || (x.Value == nil) != (y.Value == nil) {
			return false
		}
		return x.Value == nil || sameValue(x.Value, y.Value)
	}
	return reflect.DeepEqual(a, b)
}
