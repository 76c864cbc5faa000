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

// TestRotaryKVRefused checks that the forms of RotaryEmbedding and cached
// Attention codegen does not write are refused at compile time, naming
// what is wrong.
func TestRotaryKVRefused(t *testing.T) {
	const attn = `
func @main(%q: f32[1,2,16], %k: f32[1,2,8], %v: f32[1,2,8], %pk: f32[1,2,3,4], %pv: f32[1,2,3,4]EXTRA) -> ("y": f32[1,2,16], "pk2": f32[1,2,5,4], "pv2": f32[1,2,5,4]) {
  %y, %pk2, %pv2 = Attention(%q, %k, %v, MASK, %pk, %pvNONPAD) {kv_num_heads = 2, q_num_heads = 4ATTRS} : f32[1,2,16], f32[1,2,5,4], f32[1,2,5,4]
  return %y, %pk2, %pv2
}
`
	// form fills attn's inputs, mask, nonpad_kv_seqlen and attributes.
	form := func(extra, mask, nonpad, attrs string) string {
		return strings.NewReplacer("EXTRA", extra, "MASK", mask, "NONPAD", nonpad, "ATTRS", attrs).Replace(attn)
	}
	cases := []struct {
		name, src string
		want      []string
	}{
		{"softmax_precision not a float type", form("", "_", "", ", softmax_precision = 7"), []string{"softmax_precision 7", "1, 10, 11 or 16"}},
		{"nonpad_kv_seqlen", form(", %n: i64[1]", "_", ", %n", ""), []string{"nonpad_kv_seqlen"}},
		{"bool mask", form(", %m: bool[1,1,2,5]", "%m", "", ""), []string{"bool mask", "float32 only"}},
		{"mask shorter than the kv length", form(", %m: f32[1,1,2,4]", "%m", "", ""), []string{"[1 1 2 4] does not broadcast to [1 4 2 5]"}},
		{"past without presents", `
func @main(%q: f32[1,2,16], %k: f32[1,2,8], %v: f32[1,2,8], %pk: f32[1,2,3,4], %pv: f32[1,2,3,4]) -> ("y": f32[1,2,16]) {
  %y = Attention(%q, %k, %v, _, %pk, %pv) {kv_num_heads = 2, q_num_heads = 4} : f32[1,2,16]
  return %y
}
`, []string{"without present_key/present_value"}},
		{"rotary caches of the wrong shape", `
func @main(%x: f32[1,3,8], %c: f32[1,3,3]) -> ("y": f32[1,3,8]) {
  %y = RotaryEmbedding(%x, %c, %c) {num_heads = 2} : f32[1,3,8]
  return %y
}
`, []string{"without position_ids", "[1, 3, 2]", "[1 3 3]"}},
		{"rotary position_ids with per-position caches", `
func @main(%x: f32[1,3,8], %c: f32[1,3,2], %p: i64[1,3]) -> ("y": f32[1,3,8]) {
  %y = RotaryEmbedding(%x, %c, %c, %p) {num_heads = 2} : f32[1,3,8]
  return %y
}
`, []string{"with position_ids", "[max_position, 2]"}},
		{"rotary odd rotary_embedding_dim", `
func @main(%x: f32[1,3,8], %c: f32[1,3,2]) -> ("y": f32[1,3,8]) {
  %y = RotaryEmbedding(%x, %c, %c) {num_heads = 2, rotary_embedding_dim = 3} : f32[1,3,8]
  return %y
}
`, []string{"rotary_embedding_dim 3", "even"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(parseKIR(t, tc.src), Options{})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
