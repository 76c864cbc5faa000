package codegen

import (
	"math"
	"math/rand"
	"path/filepath"

	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// opsModule reads testdata/ops.kir.tmpl and fills its {{name:count}}
// placeholders with seeded random values (standard normal; {{name+:count}}
// positive, for variances and divisors).
func opsModule() (*ir.Module, error) { return templateModule("testdata/ops.kir.tmpl") }

// controlModule is testdata/control.kir.tmpl filled as opsModule fills
// ops.kir.tmpl.
func controlModule() (*ir.Module, error) { return templateModule("testdata/control.kir.tmpl") }

// attentionModule is testdata/attention.kir.tmpl filled as opsModule
// fills ops.kir.tmpl.
func attentionModule() (*ir.Module, error) { return templateModule("testdata/attention.kir.tmpl") }

// templateModule reads a .kir template and fills its {{name:count}}
// placeholders with seeded random values (standard normal; {{name+:count}}
// positive, for variances and divisors).
func templateModule(path string) (*ir.Module, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewSource(11))
	re := regexp.MustCompile(`\{\{(\w+)(\+?):(\d+)\}\}`)
	text := re.ReplaceAllStringFunc(string(src), func(s string) string {
		m := re.FindStringSubmatch(s)
		n, _ := strconv.Atoi(m[3])
		vals := make([]string, n)
		for i := range vals {
			v := float32(rng.NormFloat64())
			if m[2] == "+" {
				v = 0.5 + float32(rng.Float64())
			}
			vals[i] = ir.FormatFloat32(v)
		}
		return "[" + strings.Join(vals, ", ") + "]"
	})
	return ir.Parse(filepath.Base(strings.TrimSuffix(path, ".tmpl")), []byte(text), ir.ParseOptions{})
}

// TestCompiledOps runs the compiled ops module on seeded random input and
// compares every output with the interpreter's.
func TestCompiledOps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages with the Go toolchain")
	}
	h := buildHarness(t)
	rng := rand.New(rand.NewSource(5))
	x := make([]float32, 2*4*9*9)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	in := tensor.FromSlice([]int{2, 4, 9, 9}, x)
	ids := tensor.FromSlice([]int{2, 3}, []int64{0, -1, 6, 3, -7, 2})
	// ops is the portable package; opssimd has the vector units (its
	// small depthwise planes go through dwRow over a padded copy).
	for _, pkg := range []string{"ops", "opssimd"} {
		res := h.run(t, pkg, []*tensor.Tensor{in, ids}, []string{"x", "ids"}, 1)
		m := h.modules[pkg]
		ref, err := interp.New(m, interp.Options{}).RunNamed("main", map[string]interp.Value{"x": in, "ids": ids})
		if err != nil {
			t.Fatal(err)
		}
		f := m.Func("main")
		for i, name := range f.OutputNames {
			want := ref[i].(*tensor.Tensor)
			got := res.Outputs[name]
			d, err := compareClose(got, tensor.Data[float32](want), 1e-5, 1e-6)
			if err != nil {
				t.Errorf("%s: output %q %v: %v", pkg, name, want.Shape, err)
				continue
			}
			t.Logf("%s: output %q %v: max |diff| %.3g", pkg, name, want.Shape, d)
		}
	}
	// An index out of range is an error of Run, naming the node.
	bad := tensor.FromSlice([]int{2, 3}, []int64{0, 1, 7, 0, 0, 0})
	if _, err := h.runWeights("ops", []*tensor.Tensor{in, bad}, []string{"x", "ids"}, 1, ""); err == nil || !strings.Contains(err.Error(), "index 7 out of range [-7, 7)") || !strings.Contains(err.Error(), "Gather") {
		t.Errorf("index out of range: error %v", err)
	}
}

// TestWeightsFile runs the ops module compiled with --weights file: the
// weights read from weights.bin give the embedded package's outputs bit
// for bit, and a blob with one byte changed is refused.
func TestWeightsFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages with the Go toolchain")
	}
	h := buildHarness(t)
	data := make([]float32, 2*4*9*9)
	for i := range data {
		data[i] = float32(i%13) / 7
	}
	in := tensor.FromSlice([]int{2, 4, 9, 9}, data)
	ids := tensor.FromSlice([]int{2, 3}, []int64{1, 2, 3, 4, 5, 6})
	args, names := []*tensor.Tensor{in, ids}, []string{"x", "ids"}
	path := filepath.Join(h.dir, "opsfile", WeightsFileName)
	got, err := h.runWeights("opsfile", args, names, 1, path)
	if err != nil {
		t.Fatal(err)
	}
	want := h.run(t, "ops", args, names, 1)
	for name, w := range want.Outputs {
		g := got.Outputs[name]
		if len(g) != len(w) {
			t.Fatalf("output %q: %d elements, want %d", name, len(g), len(w))
		}
		for i := range w {
			if math.Float32bits(g[i]) != math.Float32bits(w[i]) {
				t.Fatalf("output %q element %d: %v from the file, %v embedded", name, i, g[i], w[i])
			}
		}
	}
	blob, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blob[len(blob)/2] ^= 1
	bad := filepath.Join(t.TempDir(), WeightsFileName)
	if err := os.WriteFile(bad, blob, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := h.runWeights("opsfile", args, names, 1, bad); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("changed weights: error %v, want a sha256 mismatch", err)
	}
	if _, err := h.runWeights("opsfile", args, names, 1, bad+".missing"); err == nil {
		t.Fatal("missing weights file: no error")
	}
}
