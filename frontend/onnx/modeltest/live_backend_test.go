package modeltest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// liveBackendTests are ONNX backend node tests run through ONNX Runtime and
// kiln side by side; they need no model from ../shared, so they check the
// live comparison itself wherever the backend data is installed.
var liveBackendTests = []string{"test_add", "test_add_bcast"}

func TestLiveORTBackend(t *testing.T) {
	const data = "/usr/share/libonnx-testdata/data/node"
	if _, err := os.Stat(data); err != nil {
		t.Skipf("ONNX backend test data not installed: %v", err)
	}
	ortAvailable(t)
	for _, name := range liveBackendTests {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(data, name)
			model := filepath.Join(dir, "model.onnx")
			m := importModel(t, model)
			f := m.Funcs[0]
			inputs := map[string]*interp.Tensor{}
			for i, n := range f.InputNames {
				v, err := onnx.ReadValueFile(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("input_%d.pb", i)), ir.Type{})
				if err != nil {
					t.Fatal(err)
				}
				inputs[n] = v.(*interp.Tensor)
			}
			ref, err := newORTSession(t, model).run(inputs)
			if err != nil {
				t.Fatalf("ONNX Runtime: %v", err)
			}
			got, err := runKiln(m, inputs)
			if err != nil {
				t.Fatalf("kiln: %v", err)
			}
			for i, n := range f.OutputNames {
				v, err := onnx.ReadValueFile(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("output_%d.pb", i)), ir.Type{})
				if err != nil {
					t.Fatal(err)
				}
				want := v.(*interp.Tensor)
				if _, err := compareClose(ref[n], want, modelRTol, modelATol); err != nil {
					t.Errorf("ONNX Runtime vs output_%d.pb: %v", i, err)
				}
				s, err := compareClose(got[n], ref[n], modelRTol, modelATol)
				if err != nil {
					t.Errorf("kiln vs ONNX Runtime, output %q: %v", n, err)
				}
				t.Logf("output %q: kiln vs ONNX Runtime: %v", n, s)
			}
		})
	}
}
