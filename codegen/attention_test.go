package codegen

import (
	"math/rand"
	"testing"

	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// TestCompiledAttention runs testdata/attention.kir.tmpl (Gelu exact and
// tanh; RMSNormalization; a fused MatMul and a fused Conv whose epilogues
// codegen writes into their kernels; Attention without mask, with a float
// mask, and causal with grouped-query heads) compiled and in the interpreter on seeded random
// inputs. Tolerance: the compiled kernels sum dot products in float32 on
// the GEMM and use the float32 erff/tanhf/expf (relative errors up to
// 2.3e-7), the interpreter accumulates in float64.
func TestCompiledAttention(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages with the Go toolchain")
	}
	h := buildHarness(t)
	rng := rand.New(rand.NewSource(9))
	rnd := func(shape ...int) *tensor.Tensor {
		x := make([]float32, tensor.NumElements(shape))
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return tensor.FromSlice(shape, x)
	}
	names := []string{"x", "q", "k", "v", "qs", "kg", "vg", "fx", "cx", "dx", "dr"}
	in := []*tensor.Tensor{rnd(2, 6), rnd(2, 3, 8), rnd(2, 5, 8), rnd(2, 5, 8), rnd(2, 5, 8), rnd(2, 5, 4), rnd(2, 5, 4), rnd(2, 3, 4), rnd(2, 2, 5, 5), rnd(2, 2, 6, 20), rnd(2, 2, 6, 20)}
	for _, pkg := range []string{"attention", "attentionsimd"} {
		t.Run(pkg, func(t *testing.T) { checkAttention(t, h, pkg, names, in) })
	}
}

// checkAttention runs the compiled package pkg of the attention module on
// inputs in and compares every output with the interpreter's.
func checkAttention(t *testing.T, h *harness, pkg string, names []string, in []*tensor.Tensor) {
	res := h.run(t, pkg, in, names, 1)
	m := h.modules[pkg]
	feeds := map[string]interp.Value{}
	for i, n := range names {
		feeds[n] = in[i]
	}
	ref, err := interp.New(m, interp.Options{}).RunNamed("main", feeds)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range m.Func("main").OutputNames {
		want := ref[i].(*tensor.Tensor)
		d, err := compareClose(res.Outputs[name], tensor.Data[float32](want), 1e-5, 1e-6)
		if err != nil {
			t.Errorf("output %q %v: %v", name, want.Shape, err)
			continue
		}
		t.Logf("output %q %v: max |diff| %.3g", name, want.Shape, d)
	}
}
