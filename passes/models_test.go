package passes

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// Translation validation on the shared models: each pass of the default
// pipeline, run one after another with the verifier after each, leaves
// the interpreter's outputs on the model's reference inputs bit for bit
// as they were. The tolerance is zero because no pass here changes
// arithmetic: fold runs the interpreter's own kernels on the same
// operands, and the others only redirect reads.
func TestDefaultPipelineOnSharedModels(t *testing.T) {
	models := testenv.SharedONNXModels()
	if len(models) == 0 {
		t.Skip("no shared models")
	}
	for _, path := range models {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			files, ok := testenv.ReferenceInputFiles(path)
			if !ok {
				t.Skip("no reference case")
			}
			var inputs []interp.Value
			for _, f := range files {
				x, err := tensor.ReadNPYFile(f)
				if err != nil {
					t.Fatal(err)
				}
				inputs = append(inputs, x)
			}
			m, err := onnx.Import(path)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			want, err := interp.New(m, interp.Options{}).Run("", inputs)
			if err != nil {
				t.Fatal(err)
			}
			before := CountOps(m)
			pipeline, err := ParsePipeline("default", nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pipeline {
				if _, err := Run(m, []*Pass{p}, Instrument{Verify: true}); err != nil {
					t.Fatal(err)
				}
				got, err := interp.New(m, interp.Options{}).Run("", inputs)
				if err != nil {
					t.Fatalf("after %s: %v", p.Name, err)
				}
				if err := identical(want, got); err != nil {
					t.Fatalf("after %s: %v", p.Name, err)
				}
			}
			t.Logf("%d ops imported, %d after %v", before, CountOps(m), Default)
			// The optimized module survives its text form.
			text := m.String()
			m2, err := ir.Parse(name+".kir", []byte(text), ir.ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := m2.String(); got != text {
				t.Errorf("the text form does not round-trip (%d bytes printed, %d after parsing)", len(text), len(got))
			}
		})
	}
}

// identical compares outputs bit for bit (NaNs of one payload equal).
func identical(want, got []interp.Value) error {
	if len(want) != len(got) {
		return fmt.Errorf("%d outputs, want %d", len(got), len(want))
	}
	for i := range want {
		w, ok1 := want[i].(*tensor.Tensor)
		g, ok2 := got[i].(*tensor.Tensor)
		if !ok1 || !ok2 {
			continue
		}
		if !w.Type().Equal(g.Type()) {
			return fmt.Errorf("output %d: %v, want %v", i, g.Type(), w.Type())
		}
		if w.DType == ir.F32 {
			a, b := tensor.Data[float32](w), tensor.Data[float32](g)
			for j := range a {
				if math.Float32bits(a[j]) != math.Float32bits(b[j]) {
					return fmt.Errorf("output %d element %d: %v, want %v", i, j, b[j], a[j])
				}
			}
			continue
		}
		wb, err1 := tensor.EncodeBytes(w)
		gb, err2 := tensor.EncodeBytes(g)
		if err1 != nil || err2 != nil || string(wb) != string(gb) {
			return fmt.Errorf("output %d differs", i)
		}
	}
	return nil
}
