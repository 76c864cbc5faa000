package modeltest

import (
	"path/filepath"
	"testing"
)

// TestLiveORT runs every reference case's inputs through ONNX Runtime, live,
// and through kiln, and compares the two. ONNX Runtime's own outputs are
// first checked against the stored ones, which shows the live setup is the
// runtime that made them.
func TestLiveORT(t *testing.T) {
	root := sharedModels(t)
	ortAvailable(t)
	for _, c := range refCases(t) {
		t.Run(c.Case, func(t *testing.T) {
			model := filepath.Join(root, c.Model)
			inputs := readCaseTensors(t, c, c.Inputs)
			stored := readCaseTensors(t, c, c.Outputs)
			ref, err := newORTSession(t, model).run(inputs)
			if err != nil {
				t.Fatalf("ONNX Runtime: %v", err)
			}
			for _, o := range c.Outputs {
				if _, err := compareClose(ref[o.Name], stored[o.Name], modelRTol, modelATol); err != nil {
					t.Errorf("ONNX Runtime live vs stored output %q: %v", o.Name, err)
				}
			}
			m := importModel(t, model)
			got, err := runKiln(m, inputs)
			if err != nil {
				t.Fatalf("kiln run: %v", err)
			}
			for name, want := range ref {
				s, err := compareClose(got[name], want, modelRTol, modelATol)
				if err != nil {
					t.Errorf("output %q: kiln vs ONNX Runtime: %v", name, err)
					continue
				}
				t.Logf("output %q: kiln vs ONNX Runtime: %v", name, s)
			}
		})
	}
}
