package codegen

import (
	"bytes"
	"fmt"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// rangeStep is one run of a package whose dims are read at run time.
type rangeStep struct {
	dims map[string]int
	// ref names a reference case (stored ONNX Runtime outputs) these
	// sizes reproduce, run on its inputs instead of random ones.
	ref string
}

// TestCompiledRanges runs each package compiled for a range of sizes at
// several sizes in it, against the interpreter on the same inputs and,
// where a reference case has those sizes, against ONNX Runtime's stored
// outputs; sizes past the bounds and inputs disagreeing on a dim must be
// errors.
func TestCompiledRanges(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages with the Go toolchain")
	}
	h := buildHarness(t)
	steps := map[string][]rangeStep{
		"minilmdyn": {
			{ref: "minilm-like-opset17"},
			{dims: map[string]int{"batch": 1, "seq": 1}},
			{dims: map[string]int{"batch": 2, "seq": 7}},
			{dims: map[string]int{"batch": 3, "seq": 64}},
		},
		"mobilenetdyn": {
			{ref: "mobilenetv2"},
			{dims: map[string]int{"batch": 2}},
		},
		"storiesdyn": {
			{ref: "stories260K-decoder-prefill"},
			{ref: "stories260K-decoder-step"},
			{dims: map[string]int{"batch": 2, "seq": 16, "past_seq": 32}},
		},
	}
	// The same decoder after the default pipeline (its cached Attention
	// and RotaryEmbedding kernels), at the same sizes and at chunked
	// prefill (seq and past_seq both above 1).
	steps["storiesdynopt"] = append(steps["storiesdyn"], rangeStep{dims: map[string]int{"batch": 1, "seq": 3, "past_seq": 7}})
	for _, pkg := range []string{"minilmdyn", "mobilenetdyn", "storiesdyn", "storiesdynopt"} {
		t.Run(pkg, func(t *testing.T) {
			m := h.modules[pkg]
			for _, st := range steps[pkg] {
				var inputs []*tensor.Tensor
				var names []string
				var refOut map[string]*tensor.Tensor
				if st.ref != "" {
					inputs, names, refOut = readRefTensors(t, st.ref)
				} else {
					inputs, names = randomInputs(t, m, st.dims, 1)
				}
				label := st.ref
				if label == "" {
					label = fmt.Sprint(st.dims)
				}
				checkAgainstInterp(t, h, pkg, m, inputs, names, refOut, label)
			}
			// Past the bounds, and inputs disagreeing on a dim.
			f := m.Func("main")
			big := map[string]int{}
			for _, r := range modelCaseRanges(pkg) {
				big[r.name] = int(r.hi) + 1
			}
			inputs, names := randomInputs(t, m, big, 2)
			if _, err := h.runSpec(pkg, inputs, names, 1, "", false); err == nil || !strings.Contains(err.Error(), "outside its bounds") {
				t.Errorf("sizes past the bounds: error %v, want one saying a dim is outside its bounds", err)
			}
			if len(f.Body.Params) > 1 {
				small := map[string]int{}
				for _, r := range modelCaseRanges(pkg) {
					small[r.name] = int(max(r.lo, 1))
				}
				inputs, names = randomInputs(t, m, small, 3)
				// Grow the last dim of the last input that has a run-time
				// dim there: it now disagrees with the first.
				for i := len(inputs) - 1; i >= 0; i-- {
					if dimName(f.Body.Params[i].Type.Shape, len(inputs[i].Shape)-1, pkg) != "" {
						inputs[i] = grownLast(inputs[i])
						break
					}
				}
				if _, err := h.runSpec(pkg, inputs, names, 1, "", false); err == nil || !strings.Contains(err.Error(), "earlier input gives") {
					t.Errorf("inputs disagreeing on a dim: error %v, want one naming the earlier input's size", err)
				}
			}
		})
	}
	for _, pkg := range []string{"storiesdyn", "storiesdynopt"} {
		t.Run("decode/"+pkg, func(t *testing.T) { decodeSteps(t, h, pkg) })
	}
}

// decodeSteps runs a prefill then decode steps through one decoder
// package, the KV cache growing: each step's presents are the next one's
// pasts.
func decodeSteps(t *testing.T, h *harness, pkg string) {
	m := h.modules[pkg]
	f := m.Func("main")
	inputs, names := randomInputs(t, m, map[string]int{"batch": 1, "seq": 5, "past_seq": 0}, 4)
	for step := 0; step < 4; step++ {
		got := checkAgainstInterp(t, h, pkg, m, inputs, names, nil, fmt.Sprintf("step %d", step))
		past := inputs[2].Shape[2] + inputs[0].Shape[1]
		next := []*tensor.Tensor{
			tensor.FromSlice([]int{1, 1}, []int64{int64(17 + step)}),
			tensor.FromSlice([]int{1, 1}, []int64{int64(past)}),
		}
		for _, n := range f.OutputNames[1:] {
			kv := inputs[2].Shape
			next = append(next, tensor.FromSlice([]int{1, kv[1], past, kv[3]}, got[n]))
		}
		inputs = next
	}
	if inputs[2].Shape[2] != 8 {
		t.Errorf("the cache holds %d positions after 4 steps, want 8", inputs[2].Shape[2])
	}
}

// checkAgainstInterp runs a package and the interpreter on inputs and
// compares every output, and the stored ONNX Runtime outputs when given.
func checkAgainstInterp(t *testing.T, h *harness, pkg string, m *ir.Module, inputs []*tensor.Tensor, names []string, refOut map[string]*tensor.Tensor, label string) map[string][]float32 {
	t.Helper()
	res, err := h.runSpec(pkg, inputs, names, 1, "", false)
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	in := map[string]interp.Value{}
	for i, x := range inputs {
		in[names[i]] = x
	}
	want, err := interp.New(m, interp.Options{}).RunNamed("main", in)
	if err != nil {
		t.Fatalf("%s: interpreter: %v", label, err)
	}
	f := m.Func("main")
	for i, n := range f.OutputNames {
		got, ok := res.Outputs[n]
		if !ok {
			t.Fatalf("%s: no output %q", label, n)
		}
		w := want[i].(*tensor.Tensor)
		d, err := compareClose(got, asF32(w), refRTol, refATol)
		if err != nil {
			t.Errorf("%s: output %q vs interpreter: %v", label, n, err)
			continue
		}
		msg := fmt.Sprintf("%s: output %q %v: max |diff| %.3g vs interpreter", label, n, w.Shape, d)
		if r, ok := refOut[n]; ok {
			d, err := compareClose(got, asF32(r), refRTol, refATol)
			if err != nil {
				t.Errorf("%s: output %q vs ONNX Runtime: %v", label, n, err)
				continue
			}
			msg += fmt.Sprintf(", %.3g vs ONNX Runtime", d)
		}
		t.Log(msg)
	}
	return res.Outputs
}

func asF32(x *tensor.Tensor) []float32 {
	if x.DType == ir.I64 {
		out := make([]float32, x.Len())
		for i, v := range tensor.Data[int64](x) {
			out[i] = float32(v)
		}
		return out
	}
	return tensor.Data[float32](x)
}

// readRefTensors reads a reference case's inputs and outputs.
func readRefTensors(t *testing.T, name string) ([]*tensor.Tensor, []string, map[string]*tensor.Tensor) {
	c, dir := readRefCase(t, name)
	var inputs []*tensor.Tensor
	var names []string
	for _, x := range c.Inputs {
		v, err := tensor.ReadNPYFile(filepath.Join(dir, x.File))
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, v)
		names = append(names, x.Name)
	}
	outs := map[string]*tensor.Tensor{}
	for _, o := range c.Outputs {
		v, err := tensor.ReadNPYFile(filepath.Join(dir, o.File))
		if err != nil {
			t.Fatal(err)
		}
		outs[o.Name] = v
	}
	return inputs, names, outs
}

// modelCaseRanges returns a harness case's run-time dims.
func modelCaseRanges(pkg string) []runDim {
	var out []runDim
	for _, c := range modelCases {
		if c.pkg == pkg {
			for n, r := range c.ranges {
				out = append(out, runDim{name: n, lo: r.Min, hi: r.Max})
			}
		}
	}
	return out
}

// dimName returns the run-time dim an input's axis is, or "".
func dimName(s ir.Shape, axis int, pkg string) string {
	if axis < 0 || axis >= len(s.Dims) {
		return ""
	}
	for _, r := range modelCaseRanges(pkg) {
		if s.Dims[axis].String() == r.name {
			return r.name
		}
	}
	return ""
}

// grownLast returns x with its last dim one larger (zeros appended).
func grownLast(x *tensor.Tensor) *tensor.Tensor {
	shape := append([]int(nil), x.Shape...)
	last := shape[len(shape)-1]
	shape[len(shape)-1]++
	rows := x.Len() / max(last, 1)
	switch x.DType {
	case ir.I64:
		src := tensor.Data[int64](x)
		var d []int64
		for r := 0; r < rows; r++ {
			d = append(append(d, src[r*last:(r+1)*last]...), 0)
		}
		return tensor.FromSlice(shape, d)
	default:
		src := tensor.Data[float32](x)
		var d []float32
		for r := 0; r < rows; r++ {
			d = append(append(d, src[r*last:(r+1)*last]...), 0)
		}
		return tensor.FromSlice(shape, d)
	}
}

// randomInputs makes inputs for f's params with the symbols sized by
// dims: floats standard normal, integers small (valid token ids,
// positions counting from past_seq, masks of ones).
func randomInputs(t *testing.T, m *ir.Module, dims map[string]int, seed int64) ([]*tensor.Tensor, []string) {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	f := m.Func("main")
	bind := map[string]int64{}
	for k, v := range dims {
		bind[k] = int64(v)
	}
	var out []*tensor.Tensor
	for i, p := range f.Body.Params {
		shape := make([]int, len(p.Type.Shape.Dims))
		for j, d := range p.Type.Shape.Dims {
			n, ok := d.Eval(bind)
			if !ok {
				t.Fatalf("input %q: dim %v not sized by %v", f.InputNames[i], d, dims)
			}
			shape[j] = int(n)
		}
		size := tensor.NumElements(shape)
		name := f.InputNames[i]
		switch p.Type.DType {
		case ir.I64:
			d := make([]int64, size)
			for k := range d {
				switch {
				case strings.Contains(name, "mask"):
					d[k] = 1
				case strings.Contains(name, "position"):
					d[k] = int64(dims["past_seq"] + k%max(dims["seq"], 1))
				case strings.Contains(name, "type"):
					d[k] = int64(rng.Intn(2))
				default:
					d[k] = int64(rng.Intn(200))
				}
			}
			out = append(out, tensor.FromSlice(shape, d))
		case ir.F32:
			d := make([]float32, size)
			for k := range d {
				d[k] = float32(rng.NormFloat64())
			}
			out = append(out, tensor.FromSlice(shape, d))
		default:
			t.Fatalf("input %q: %s", name, p.Type.DType)
		}
	}
	return out, f.InputNames
}

// TestRangesDeterministic compiles a package with ranges twice: the
// same bytes.
func TestRangesDeterministic(t *testing.T) {
	m := parseKIR(t, `func @main(%x: f32[n,3], %y: f32[n,3]) -> ("z": f32[n,3]) {
  %z = Add(%x, %y) : f32[n,3]
  return %z
}
`)
	opts := Options{Ranges: map[string]DimRange{"n": {1, 9}}}
	a, err := Compile(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compile(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, x := range a.Files {
		if !bytes.Equal(x, b.Files[name]) {
			t.Errorf("%s differs between two compiles", name)
		}
	}
	if !bytes.Contains(a.Files["model.go"], []byte("readDim(")) {
		t.Errorf("model.go does not read n from its inputs")
	}
}

// TestRangesThreads compiles a module with its dim read at run time for
// two threads: elementwise kernels split over goroutines whatever the
// size (parallelFor runs small ones on the caller), so their form does
// not change inside the range; the manifest marks the dim and the plan.
func TestRangesThreads(t *testing.T) {
	m := parseKIR(t, `func @main(%x: f32[n,3], %y: f32[n,3]) -> ("z": f32[n,3]) {
  %a = Add(%x, %y) : f32[n,3]
  %z = Relu(%a) : f32[n,3]
  return %z
}
`)
	p, err := Compile(m, Options{Threads: 2, Ranges: map[string]DimRange{"n": {1, 100000}}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(p.Files["kernels.go"], []byte("parallelFor(")) {
		t.Errorf("no kernel splits over goroutines")
	}
	var rt []string
	for _, d := range p.Manifest.Dims {
		if d.Runtime {
			rt = append(rt, fmt.Sprintf("%s=%d..%d", d.Name, d.Min, d.Max))
		}
	}
	if got := strings.Join(rt, ","); got != "n=1..100000" || !p.Manifest.Memory.AtUpperBounds {
		t.Errorf("manifest: run-time dims %q, at upper bounds %v", got, p.Manifest.Memory.AtUpperBounds)
	}
	// The plan holds the upper bound: x, y and z of 300,000 floats, the
	// sum in place over one operand and z over the sum.
	if got, want := p.Manifest.Memory.ArenaBytes, int64(4*300000); got != want {
		t.Errorf("arena %d bytes, want %d", got, want)
	}
}

// TestRangesRefused checks that what cannot read a dim at run time is
// refused at compile time, naming the op, the node and the dim, or the
// size, and saying how to bind it.
func TestRangesRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles shared models at many sizes")
	}
	cases := []struct {
		model  string
		dims   map[string]int64
		ranges map[string]DimRange
		want   []string
	}{
		// Pad's kernel is written differently for each chunk length.
		{"silero-vad-v4.onnx", map[string]int64{"batch": 1}, map[string]DimRange{"sequence": {256, 512}},
			[]string{"the Pad kernel", `node "Pad_63"`, "dim sequence", "--dim NAME=N"}},
		// A stride-2 convolution halves the width, rounding up: no
		// polynomial.
		{"paddleocr-rec.onnx", map[string]int64{"p2o.DynamicDimension.0": 1}, map[string]DimRange{"p2o.DynamicDimension.1": {160, 640}},
			[]string{"cannot be computed at run time from p2o.DynamicDimension.1", "320 at p2o.DynamicDimension.1=640", "129 at p2o.DynamicDimension.1=257", "bind p2o.DynamicDimension.1 with --dim"}},
		// Silero VAD v5 takes two chunk lengths, not the sizes between:
		// a size inside the range gives another computation.
		{"silero-vad-v5.onnx", map[string]int64{"input.0": 1, "state.1": 1}, map[string]DimRange{"input.1": {256, 512}},
			[]string{"compiling for input.1=", "to read input.1 at run time", "narrow the range or bind the dim"}},
	}
	for _, c := range cases {
		m, err := onnx.Import(testenv.SharedONNXModel(t, c.model))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Compile(m, Options{Dims: c.dims, Ranges: c.ranges})
		if err == nil {
			t.Errorf("%s: compiled", c.model)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.model, err, w)
			}
		}
	}
}
