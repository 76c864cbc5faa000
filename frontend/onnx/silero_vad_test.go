package onnx_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/frontend/onnx/onnxtest"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// Silero VAD v4 and v5 nest If 2 to 4 deep, with branches reading outer
// values, and run LSTMs: they check control flow and recurrent layers on
// real models against ONNX Runtime's outputs. The test skips while the
// importer still lacks ops of other families.
func TestSileroVAD(t *testing.T) {
	for _, c := range []string{"silero-vad-v4", "silero-vad-v4-sr8000", "silero-vad-v5", "silero-vad-v5-sr8000"} {
		t.Run(c, func(t *testing.T) {
			dir, ok := testenv.Shared("models", "reference", "onnx", c)
			if !ok {
				t.Skip("no go.mod above the test's folder")
			}
			var cs struct {
				Model  string `json:"model"`
				Inputs []struct {
					Name, File string
				} `json:"inputs"`
				Outputs []struct {
					Name, File string
				} `json:"outputs"`
			}
			b, err := os.ReadFile(filepath.Join(dir, "case.json"))
			if err != nil {
				t.Skipf("reference data not available: %v", err)
			}
			if err := json.Unmarshal(b, &cs); err != nil {
				t.Fatal(err)
			}
			m, err := onnx.Import(filepath.Join(dir, "..", "..", "..", cs.Model))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			inputs := map[string]interp.Value{}
			for _, in := range cs.Inputs {
				v, err := tensor.ReadNPYFile(filepath.Join(dir, in.File))
				if err != nil {
					t.Fatal(err)
				}
				inputs[in.Name] = v
			}
			got, err := interp.New(m, interp.Options{}).RunNamed("", inputs)
			if err != nil {
				t.Fatal(err)
			}
			f := m.Funcs[0]
			for _, out := range cs.Outputs {
				want, err := tensor.ReadNPYFile(filepath.Join(dir, out.File))
				if err != nil {
					t.Fatal(err)
				}
				i := slices.Index(f.OutputNames, out.Name)
				if i < 0 {
					t.Fatalf("model has no output %q", out.Name)
				}
				if err := onnxtest.Compare(got[i], want); err != nil {
					t.Errorf("output %q: %v", out.Name, err)
				}
			}
		})
	}
}
