package codegen

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// TestCompiledControl runs the compiled control module (If, Loop, Scan and
// the kernels added for the shared models) on seeded random input, taking
// each branch of the run-time If and several trip counts, and compares
// every output with the interpreter's.
func TestCompiledControl(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages with the Go toolchain")
	}
	h := buildHarness(t)
	rng := rand.New(rand.NewSource(7))
	x := make([]float32, 2*6)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	img := make([]float32, 9)
	for i := range img {
		img[i] = float32(rng.NormFloat64())
	}
	m := h.modules["control"]
	f := m.Func("main")
	for _, tc := range []struct{ sel, steps int64 }{{16000, 3}, {8000, 0}, {8000, 5}} {
		t.Run(fmt.Sprintf("sel=%d,steps=%d", tc.sel, tc.steps), func(t *testing.T) {
			in := []*tensor.Tensor{
				tensor.FromSlice([]int{2, 6}, x),
				tensor.FromSlice([]int{}, []int64{tc.sel}),
				tensor.FromSlice([]int{}, []int64{tc.steps}),
				tensor.FromSlice([]int{1, 1, 3, 3}, img),
			}
			names := []string{"x", "sel", "steps", "img"}
			res := h.run(t, "control", in, names, 1)
			feeds := map[string]interp.Value{}
			for i, n := range names {
				feeds[n] = in[i]
			}
			ref, err := interp.New(m, interp.Options{}).RunNamed("main", feeds)
			if err != nil {
				t.Fatal(err)
			}
			for i, name := range f.OutputNames {
				want := ref[i].(*tensor.Tensor)
				var w []float32
				switch want.DType {
				case ir.F32:
					w = tensor.Data[float32](want)
				case ir.I64:
					for _, v := range tensor.Data[int64](want) {
						w = append(w, float32(v))
					}
				}
				d, err := compareClose(res.Outputs[name], w, 1e-5, 1e-6)
				if err != nil {
					t.Errorf("output %q %v: %v", name, want.Shape, err)
					continue
				}
				t.Logf("output %q %v: max |diff| %.3g", name, want.Shape, d)
			}
		})
	}
}

// TestControlRefusals checks the errors for control flow codegen does not
// compile yet: a Loop whose carried value changes shape per iteration, and
// an If whose branches give a result different shapes.
func TestControlRefusals(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{
			name: "loop carried shape changes",
			src: `
const @ax : i64[1] = [0]
func @main(%x: f32[2], %m: i64[]) -> ("y": f32[?]) {
  %y = Loop(%m, _, %x) : f32[?] {
    body(%i: i64[], %k: bool[], %v: f32[?]) {
      %w = Concat(%v, %v) {axis = 0} : f32[?]
      return %k, %w
    }
  }
  return %y
}
`,
			want: []string{"Loop", "carried value 0", "shapes change per iteration"},
		},
		{
			name: "if branches differ",
			src: `
const @zero : i64[] = 0
func @main(%x: f32[2], %s: i64[]) -> ("y": f32[?]) {
  %c = Equal(%s, @zero) : bool[]
  %y = If(%c) : f32[?] {
    then_branch() {
      %a = Concat(%x, %x) {axis = 0} : f32[4]
      return %a
    }
    else_branch() {
      return %x
    }
  }
  return %y
}
`,
			want: []string{"If", "different shapes"},
		},
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
