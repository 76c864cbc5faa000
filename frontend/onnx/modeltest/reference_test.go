package modeltest

import (
	"path/filepath"
	"testing"

	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// readCaseTensors reads a case's .npy files.
func readCaseTensors(t *testing.T, c refCase, ts []refTensor) map[string]*interp.Tensor {
	t.Helper()
	out := map[string]*interp.Tensor{}
	for _, x := range ts {
		v, err := tensor.ReadNPYFile(filepath.Join(c.Dir, x.File))
		if err != nil {
			t.Fatal(err)
		}
		out[x.Name] = v
	}
	return out
}

// TestReferenceOutputs runs every reference case (ONNX Runtime 1.30's
// inputs and outputs, stored as .npy) through the importer and the
// interpreter and compares each output.
func TestReferenceOutputs(t *testing.T) {
	root := sharedModels(t)
	for _, c := range refCases(t) {
		t.Run(c.Case, func(t *testing.T) {
			t.Parallel()
			m := importModel(t, filepath.Join(root, c.Model))
			inputs := readCaseTensors(t, c, c.Inputs)
			want := readCaseTensors(t, c, c.Outputs)
			got, err := runKiln(m, inputs)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			for _, o := range c.Outputs {
				s, err := compareClose(got[o.Name], want[o.Name], modelRTol, modelATol)
				if err != nil {
					t.Errorf("output %q: %v", o.Name, err)
					continue
				}
				t.Logf("output %q %v: %v", o.Name, o.Shape, s)
			}
		})
	}
}
