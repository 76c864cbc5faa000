package codegen

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

func rotaryKVModule() (*ir.Module, error) { return templateModule("testdata/rotarykv.kir.tmpl") }

// TestCompiledRotaryKV runs testdata/rotarykv.kir.tmpl (RotaryEmbedding in
// both pairings, 3-D and 4-D, with and without position_ids, whole and
// partial; Attention with a KV cache: grouped-query heads, past 3 and 0,
// seq 1 and above, a mask, softcap, softmax_precision 16 and 10; heads
// of 4 and of 20, the loop and the GEMM forms) compiled
// for n = 2 and for n in 1..8 read at run time, and in the interpreter,
// on seeded random inputs, then position_ids outside the caches, which
// must be an error of Run. Tolerance as TestCompiledAttention's: the
// compiled scores are float32 dot products on the GEMM, the interpreter's
// float64; the rotations are the interpreter's float64 arithmetic.
func TestCompiledRotaryKV(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages with the Go toolchain")
	}
	h := buildHarness(t)
	m := h.modules["rotarykv"]
	f := m.Func("main")
	for _, tc := range []struct {
		pkg string
		n   int
	}{{"rotarykv", 2}, {"rotarykvdyn", 1}, {"rotarykvdyn", 3}} {
		rng := rand.New(rand.NewSource(int64(5 + tc.n)))
		var in []*tensor.Tensor
		feeds := map[string]interp.Value{}
		for i, p := range f.Body.Params {
			shape := []int{tc.n}
			for _, d := range p.Type.Shape.Dims[1:] {
				shape = append(shape, int(d.Size))
			}
			var x *tensor.Tensor
			if p.Type.DType == ir.I64 {
				pos := make([]int64, tensor.NumElements(shape))
				for j := range pos {
					pos[j] = rng.Int63n(10)
				}
				x = tensor.FromSlice(shape, pos)
			} else {
				d := make([]float32, tensor.NumElements(shape))
				for j := range d {
					d[j] = float32(rng.NormFloat64())
				}
				x = tensor.FromSlice(shape, d)
			}
			in = append(in, x)
			feeds[f.InputNames[i]] = x
		}
		res := h.run(t, tc.pkg, in, f.InputNames, 1)
		ref, err := interp.New(m, interp.Options{}).RunNamed("main", feeds)
		if err != nil {
			t.Fatal(err)
		}
		for i, name := range f.OutputNames {
			want := ref[i].(*tensor.Tensor)
			d, err := compareClose(res.Outputs[name], tensor.Data[float32](want), 1e-5, 1e-6)
			if err != nil {
				t.Errorf("%s n=%d: output %q %v: %v", tc.pkg, tc.n, name, want.Shape, err)
				continue
			}
			t.Logf("%s n=%d: output %q %v: max |diff| %.3g", tc.pkg, tc.n, name, want.Shape, d)
		}
		// A position past the caches' 10 rows.
		for i, p := range f.Body.Params {
			if p.Type.DType == ir.I64 {
				bad := tensor.Data[int64](in[i])
				bad[len(bad)-1] = 10
			}
		}
		if _, err := h.runSpec(tc.pkg, in, f.InputNames, 1, "", false); err == nil || !strings.Contains(err.Error(), "outside the caches' 10 rows") {
			t.Errorf("%s: position 10: error %v, want one saying it is outside the caches' 10 rows", tc.pkg, err)
		}
	}
}
