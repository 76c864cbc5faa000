package codegen

import (
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

func groupModule() (*ir.Module, error) { return templateModule("testdata/group.kir.tmpl") }

// TestGroupEmittable: the groups with a scalar form for every op are
// written as one loop; the one with Softsign is unfused.
func TestGroupEmittable(t *testing.T) {
	m, err := groupModule()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"logmag": true, "bc": true, "dag": true, "soft": false}
	for _, op := range m.Func("main").Body.Ops {
		if got := groupEmittable(op); got != want[op.Results[0].Name] {
			t.Errorf("%s: groupEmittable = %v, want %v", op.Results[0].Name, got, want[op.Results[0].Name])
		}
	}
}

// TestCompiledGroups runs the compiled groups (one thread, and two with
// the parallel loop) on seeded random inputs and compares each output
// with the interpreter's; Log is logf there (relative error under 2e-7).
func TestCompiledGroups(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages with the Go toolchain")
	}
	h := buildHarness(t)
	rng := rand.New(rand.NewSource(7))
	randn := func(shape ...int) *tensor.Tensor {
		x := make([]float32, numel(shape))
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return tensor.FromSlice(shape, x)
	}
	a, b, c := randn(2, 256, 130), randn(2, 256, 130), randn(2, 1, 130)
	m := h.modules["group"]
	ref, err := interp.New(m, interp.Options{}).RunNamed("main", map[string]interp.Value{"a": a, "b": b, "c": c})
	if err != nil {
		t.Fatal(err)
	}
	for pkg, par := range map[string]bool{"group": false, "group2": true} {
		src, err := os.ReadFile(filepath.Join(h.dir, pkg, "kernels.go"))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(src), "elementwise in one loop"); n != 3 {
			t.Errorf("%s: kernels.go has %d group kernels, want 3", pkg, n)
		}
		if got := strings.Contains(string(src), "parallelFor("); got != par {
			t.Errorf("%s: parallel loop written %v, want %v", pkg, got, par)
		}
	}
	for _, pkg := range []string{"group", "group2"} {
		res := h.run(t, pkg, []*tensor.Tensor{a, b, c}, []string{"a", "b", "c"}, 1)
		for i, name := range m.Func("main").OutputNames {
			want := ref[i].(*tensor.Tensor)
			d, err := compareClose(res.Outputs[name], tensor.Data[float32](want), 1e-5, 1e-6)
			if err != nil {
				t.Errorf("%s: output %q: %v", pkg, name, err)
				continue
			}
			t.Logf("%s: output %q: max |diff| %.3g", pkg, name, d)
		}
	}
}
