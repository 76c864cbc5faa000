package codegen

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
	"github.com/kiln-ml/kiln/passes"
)

// Tolerances against the stored ONNX Runtime outputs and the interpreter.
const (
	refRTol = 1e-3
	refATol = 1e-4
)

// modelCase is a shared model compiled and run by the harness.
type modelCase struct {
	pkg     string // Go package name in the harness module
	model   string // file under ../shared/models/onnx, or "" for module
	module  func() (*ir.Module, error)
	ref     string              // reference case under ../shared/models/reference/onnx
	dims    map[string]int64    // --dim binding
	ranges  map[string]DimRange // dims read at run time
	file    bool                // --weights file: the harness calls LoadFile
	threads int                 // Options.Threads
	simd    bool                // Options.SIMD
	// passes is a pipeline (as --passes takes it) run before Compile;
	// the interpreter still runs the module as imported.
	passes string
}

var modelCases = []modelCase{
	{pkg: "mnist", model: "mnist-8.onnx", ref: "mnist-8"},
	{pkg: "mobilenet", model: "mobilenetv2.onnx", ref: "mobilenetv2", dims: map[string]int64{"batch": 1}},
	{pkg: "paddleocrcls", model: "paddleocr-cls.onnx", ref: "paddleocr-cls", dims: map[string]int64{"p2o.DynamicDimension.0": 1, "p2o.DynamicDimension.1": 48, "p2o.DynamicDimension.2": 192}},
	{pkg: "paddleocrrec", model: "paddleocr-rec.onnx", ref: "paddleocr-rec", dims: map[string]int64{"p2o.DynamicDimension.0": 1, "p2o.DynamicDimension.1": 320}},
	{pkg: "minilm", model: "minilm-like-opset17.onnx", ref: "minilm-like-opset17", dims: map[string]int64{"batch": 1, "seq": 16}},
	{pkg: "paddleocrdet", model: "paddleocr-det.onnx", ref: "paddleocr-det", dims: map[string]int64{"p2o.DynamicDimension.0": 1, "p2o.DynamicDimension.1": 320, "p2o.DynamicDimension.2": 320}},
	{pkg: "minilm14", model: "minilm-like-opset14.onnx", ref: "minilm-like-opset14", dims: map[string]int64{"batch": 1, "seq": 16}},
	{pkg: "vad4", model: "silero-vad-v4.onnx", ref: "silero-vad-v4", dims: map[string]int64{"batch": 1, "sequence": 512}},
	{pkg: "vad4k8", model: "silero-vad-v4.onnx", ref: "silero-vad-v4-sr8000", dims: map[string]int64{"batch": 1, "sequence": 256}},
	{pkg: "vad5", model: "silero-vad-v5.onnx", ref: "silero-vad-v5", dims: map[string]int64{"input.0": 1, "input.1": 512, "state.1": 1}},
	{pkg: "vad5k8", model: "silero-vad-v5.onnx", ref: "silero-vad-v5-sr8000", dims: map[string]int64{"input.0": 1, "input.1": 256, "state.1": 1}},
	// After the default pipeline the VADs' 1-D convolutions carry fused
	// epilogues, lowered to 2-D with their region (lower.go).
	{pkg: "vad4opt", model: "silero-vad-v4.onnx", ref: "silero-vad-v4", dims: map[string]int64{"batch": 1, "sequence": 512}, passes: "default"},
	{pkg: "vad5k8opt", model: "silero-vad-v5.onnx", ref: "silero-vad-v5-sr8000", dims: map[string]int64{"input.0": 1, "input.1": 256, "state.1": 1}, passes: "default"},
	{pkg: "storiesprefill", model: "stories260K-decoder.onnx", ref: "stories260K-decoder-prefill", dims: map[string]int64{"batch": 1, "seq": 5, "past_seq": 0}},
	{pkg: "storiesstep", model: "stories260K-decoder.onnx", ref: "stories260K-decoder-step", dims: map[string]int64{"batch": 2, "seq": 1, "past_seq": 6}},
	// The vector micro-kernel: the harness is built with GOEXPERIMENT=simd.
	// mnist's second conv has 14×14 outputs, not a multiple of the 16
	// columns of a panel: im2col pads the last one.
	{pkg: "mnistsimd", model: "mnist-8.onnx", ref: "mnist-8", simd: true},
	{pkg: "mobilenetsimd", model: "mobilenetv2.onnx", ref: "mobilenetv2", dims: map[string]int64{"batch": 1}, simd: true, threads: 2},
	{pkg: "minilmsimd", model: "minilm-like-opset17.onnx", ref: "minilm-like-opset17", dims: map[string]int64{"batch": 1, "seq": 16}, simd: true},
	// The vector units after the default pipeline: implicit-GEMM
	// convolutions and fused epilogues on vectors (emit_epivec.go).
	{pkg: "mnistsimdopt", model: "mnist-8.onnx", ref: "mnist-8", simd: true, passes: "default"},
	{pkg: "mobilenetsimdopt", model: "mobilenetv2.onnx", ref: "mobilenetv2", dims: map[string]int64{"batch": 1}, simd: true, threads: 2, passes: "default"},
	{pkg: "paddleocrrecsimdopt", model: "paddleocr-rec.onnx", ref: "paddleocr-rec", dims: map[string]int64{"p2o.DynamicDimension.0": 1, "p2o.DynamicDimension.1": 320}, simd: true, threads: 2, passes: "default"},
	// The VADs' LSTM gates through the vector math unit's dotRow.
	{pkg: "vad4simdopt", model: "silero-vad-v4.onnx", ref: "silero-vad-v4", dims: map[string]int64{"batch": 1, "sequence": 512}, simd: true, passes: "default"},
	{pkg: "vad5simdopt", model: "silero-vad-v5.onnx", ref: "silero-vad-v5", dims: map[string]int64{"input.0": 1, "input.1": 512, "state.1": 1}, simd: true, passes: "default"},
	// One package for a range of sizes (ranges_test.go).
	{pkg: "minilmdyn", model: "minilm-like-opset17.onnx", ranges: map[string]DimRange{"batch": {1, 3}, "seq": {1, 64}}},
	{pkg: "storiesdyn", model: "stories260K-decoder.onnx", ranges: map[string]DimRange{"batch": {1, 2}, "seq": {1, 16}, "past_seq": {0, 32}}},
	{pkg: "mobilenetdyn", model: "mobilenetv2.onnx", ranges: map[string]DimRange{"batch": {1, 2}}, threads: 2},
	// After the default pipeline: the decoder's RotaryEmbedding,
	// RMSNormalization and Attention with a KV cache (emit_rotary.go,
	// emit_attention_kv.go).
	{pkg: "storiesprefillopt", model: "stories260K-decoder.onnx", ref: "stories260K-decoder-prefill", dims: map[string]int64{"batch": 1, "seq": 5, "past_seq": 0}, passes: "default"},
	{pkg: "storiesstepopt", model: "stories260K-decoder.onnx", ref: "stories260K-decoder-step", dims: map[string]int64{"batch": 2, "seq": 1, "past_seq": 6}, passes: "default"},
	{pkg: "storiesdynopt", model: "stories260K-decoder.onnx", ranges: map[string]DimRange{"batch": {1, 2}, "seq": {1, 16}, "past_seq": {0, 32}}, passes: "default"},
	{pkg: "ops", module: opsModule, dims: map[string]int64{"n": 2}},
	{pkg: "opssimd", module: opsModule, dims: map[string]int64{"n": 2}, simd: true},
	{pkg: "control", module: controlModule, dims: map[string]int64{"n": 2}},
	{pkg: "attention", module: attentionModule, dims: map[string]int64{"n": 2}},
	{pkg: "attentionsimd", module: attentionModule, dims: map[string]int64{"n": 2}, simd: true, threads: 2},
	{pkg: "rotarykv", module: rotaryKVModule, dims: map[string]int64{"n": 2}},
	{pkg: "rotarykvdyn", module: rotaryKVModule, ranges: map[string]DimRange{"n": {1, 8}}},
	{pkg: "opsfile", module: opsModule, dims: map[string]int64{"n": 2}, file: true},
	{pkg: "group", module: groupModule, dims: map[string]int64{"n": 2}},
	{pkg: "group2", module: groupModule, dims: map[string]int64{"n": 2}, threads: 2},
}

// harness is one temporary Go module holding every compiled model case and
// a main program that runs them, built once for all subtests.
type harness struct {
	dir, bin string
	modules  map[string]*ir.Module
	err      error
}

var (
	harnessOnce sync.Once
	theHarness  harness
)

// buildHarness compiles the model cases into packages of a module
// "x" in a temporary folder, writes cmd/run, and builds it with the Go
// toolchain. It skips when the models or the toolchain are missing.
func buildHarness(t *testing.T) *harness {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	for _, c := range modelCases {
		if c.model != "" {
			testenv.SharedONNXModel(t, c.model)
		}
	}
	harnessOnce.Do(func() { newHarness(&theHarness, goBin, modelCases) })
	if theHarness.err != nil {
		t.Fatal(theHarness.err)
	}
	return &theHarness
}

// newHarness fills h: cases compiled into one module, its cmd/run built
// with the Go toolchain goBin and vetted. h.err says what failed.
func newHarness(h *harness, goBin string, modelCases []modelCase) {
	func() {
		h.modules = map[string]*ir.Module{}
		dir, err := os.MkdirTemp("", "kiln-codegen-test-")
		if err != nil {
			h.err = err
			return
		}
		h.dir = dir
		files := map[string][]byte{"go.mod": []byte("module x\n\ngo 1.22\n")}
		var imports, cases strings.Builder
		for _, c := range modelCases {
			var m *ir.Module
			var err error
			if c.module != nil {
				m, err = c.module()
			} else {
				path, _ := testenv.Shared("models", "onnx", c.model)
				m, err = onnx.Import(path)
			}
			if err != nil {
				h.err = err
				return
			}
			h.modules[c.pkg] = m
			if c.passes != "" {
				m = m.Clone()
				pipeline, err := passes.ParsePipeline(c.passes, nil)
				if err == nil {
					_, err = passes.Run(m, pipeline, passes.Instrument{})
				}
				if err != nil {
					h.err = fmt.Errorf("%s: --passes %s: %w", c.model, c.passes, err)
					return
				}
			}
			opts := Options{Package: c.pkg, Dims: c.dims, Ranges: c.ranges, Source: Source{Name: c.model, Format: "onnx"}, KilnVersion: "test", Threads: c.threads, SIMD: c.simd}
			load := c.pkg + ".Load()"
			if c.file {
				opts.Weights = WeightsFile
				load = c.pkg + ".LoadFile(spec.WeightsPath)"
			}
			p, err := Compile(m, opts)
			if err != nil {
				h.err = fmt.Errorf("%s: %w", c.model, err)
				return
			}
			for name, b := range p.Files {
				files[c.pkg+"/"+name] = b
			}
			fmt.Fprintf(&imports, "%q\n", "x/"+c.pkg)
			fmt.Fprintf(&cases, `case %q:
	m, err := %[2]s
	if err != nil {
		return nil, 0, nil, err
	}
	s := m.NewSession()
	in := map[string]%[1]s.Tensor{}
	for _, x := range spec.Inputs {
		in[x.Name] = %[1]s.Tensor{Shape: x.Shape, F32: x.Data, I64: x.I64}
	}
	var out map[string]%[1]s.Tensor
	if spec.Bench {
		// One run to warm up, then the median wall time of Iters runs;
		// cpuPerRun is the process's CPU time over them.
		if _, err := s.RunNamed(in); err != nil {
			return nil, 0, nil, err
		}
		times := make([]time.Duration, spec.Iters)
		cpu0 := cpuTime()
		for i := range times {
			start := time.Now()
			if out, err = s.RunNamed(in); err != nil {
				return nil, 0, nil, err
			}
			times[i] = time.Since(start)
		}
		cpuPerRun = (cpuTime() - cpu0) / time.Duration(spec.Iters)
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		return nil, times[len(times)/2], nil, nil
	}
	start := time.Now()
	for i := 0; i < spec.Iters; i++ {
		if out, err = s.RunNamed(in); err != nil {
			return nil, 0, nil, err
		}
	}
	per := time.Since(start) / time.Duration(spec.Iters)
	res := map[string][]float32{}
	for k, v := range out {
		res[k] = v.F32
		if v.I64 != nil {
			// Small integers, exact as float32.
			res[k] = make([]float32, len(v.I64))
			for i, x := range v.I64 {
				res[k][i] = float32(x)
			}
		}
	}
	// Sessions on other goroutines sharing the model give the same bits.
	var wg sync.WaitGroup
	same := make([]bool, 2)
	for g := range same {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := m.NewSession().RunNamed(in)
			if err != nil {
				return
			}
			ok := len(o) == len(out)
			for k, v := range o {
				w := out[k].F32
				if len(v.F32) != len(w) {
					ok = false
					continue
				}
				for i := range w {
					if math.Float32bits(v.F32[i]) != math.Float32bits(w[i]) {
						ok = false
					}
				}
			}
			same[g] = ok
		}()
	}
	wg.Wait()
	if !same[0] || !same[1] {
		return nil, 0, nil, fmt.Errorf("concurrent sessions gave different outputs")
	}
	// Bad inputs must give errors, not panics.
	var errs []string
	if _, err := s.Run(%[1]s.Inputs{}); err != nil {
		errs = append(errs, err.Error())
	}
	bad := map[string]%[1]s.Tensor{}
	for k, v := range in {
		shape := append([]int(nil), v.Shape...)
		if len(shape) == 0 {
			shape = []int{1}
		} else {
			shape[len(shape)-1]++
		}
		bad[k] = %[1]s.Tensor{Shape: shape, F32: v.F32, I64: v.I64}
	}
	if _, err := s.RunNamed(bad); err != nil {
		errs = append(errs, err.Error())
	}
	if _, err := s.RunNamed(map[string]%[1]s.Tensor{"no such input": {}}); err != nil {
		errs = append(errs, err.Error())
	}
	return res, per, errs, nil
`, c.pkg, load)
		}
		files["cmd/run/main.go"] = []byte(fmt.Sprintf(harnessMain, imports.String(), cases.String()))
		for name, b := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
				h.err = err
				return
			}
			if err := os.WriteFile(p, b, 0o666); err != nil {
				h.err = err
				return
			}
		}
		h.bin = filepath.Join(dir, "run")
		cmd := exec.Command(goBin, "build", "-o", h.bin, "./cmd/run")
		cmd.Dir = dir
		env := append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GOPROXY=off", "CGO_ENABLED=0")
		// Built with the vector micro-kernel's experiment, vetted without
		// it, so both of its build-constrained files are checked.
		cmd.Env = append(env, "GOEXPERIMENT=simd")
		if out, err := cmd.CombinedOutput(); err != nil {
			h.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		vet := exec.Command(goBin, "vet", "./...")
		vet.Dir = dir
		vet.Env = append(env, "GOEXPERIMENT=")
		if out, err := vet.CombinedOutput(); err != nil {
			h.err = fmt.Errorf("go vet: %v\n%s", err, out)
		}
	}()
}

// harnessMain is the program that runs a compiled model: it reads a JSON
// spec (model package, inputs, iterations) on stdin and writes a JSON
// result (outputs, time per run, the errors bad inputs gave). It fails
// when two sessions run concurrently on other goroutines disagree with
// the first one.
const harnessMain = `package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"sync"
	"syscall"
	"time"

%s)

// cpuPerRun is the CPU time per run a benchmark measured.
var cpuPerRun time.Duration

// cpuTime returns the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type input struct {
	Name  string
	Shape []int
	Data  []float32
	I64   []int64
}

type spec struct {
	Pkg         string
	Inputs      []input
	Iters       int
	WeightsPath string
	Bench       bool
}

type result struct {
	Outputs map[string][]float32
	NsPerRun int64
	CPUNsPerRun int64
	Errors   []string
}

func run(spec spec) (map[string][]float32, time.Duration, []string, error) {
	switch spec.Pkg {
%s	}
	return nil, 0, nil, fmt.Errorf("unknown package %%q", spec.Pkg)
}

func main() {
	var s spec
	if err := json.NewDecoder(os.Stdin).Decode(&s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, per, errs, err := run(s)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(result{Outputs: out, NsPerRun: per.Nanoseconds(), CPUNsPerRun: cpuPerRun.Nanoseconds(), Errors: errs}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`

// harnessResult is what the harness prints.
type harnessResult struct {
	Outputs     map[string][]float32
	NsPerRun    int64 // mean wall time per run; the median in a benchmark
	CPUNsPerRun int64 // CPU time per run, in a benchmark
	Errors      []string
}

// refCaseFile is the part of a reference case.json the tests read.
type refCaseFile struct {
	Inputs []struct {
		Name, File string
	}
	Outputs []struct {
		Name, File string
	}
}

func readRefCase(t *testing.T, name string) (refCaseFile, string) {
	t.Helper()
	dir, ok := testenv.Shared("models", "reference", "onnx", name)
	if !ok {
		t.Skip("no ../shared")
	}
	b, err := os.ReadFile(filepath.Join(dir, "case.json"))
	if err != nil {
		t.Skipf("reference case %s: %v", name, err)
	}
	var c refCaseFile
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c, dir
}

// runHarness runs one compiled case on inputs, iters times.
func (h *harness) run(t *testing.T, pkg string, inputs []*tensor.Tensor, names []string, iters int) harnessResult {
	t.Helper()
	res, err := h.runWeights(pkg, inputs, names, iters, "")
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// runWeights runs the harness; weights is the path LoadFile reads for a
// --weights file package.
func (h *harness) runWeights(pkg string, inputs []*tensor.Tensor, names []string, iters int, weights string) (harnessResult, error) {
	return h.runSpec(pkg, inputs, names, iters, weights, false)
}

// runSpec runs the harness; with bench set it times iters runs after a
// warm-up and checks nothing.
func (h *harness) runSpec(pkg string, inputs []*tensor.Tensor, names []string, iters int, weights string, bench bool) (harnessResult, error) {
	type input struct {
		Name  string
		Shape []int
		Data  []float32
		I64   []int64
	}
	spec := struct {
		Pkg         string
		Inputs      []input
		Iters       int
		WeightsPath string
		Bench       bool
	}{Pkg: pkg, Iters: iters, WeightsPath: weights, Bench: bench}
	var res harnessResult
	for i, x := range inputs {
		in := input{Name: names[i], Shape: x.Shape}
		switch x.DType {
		case ir.F32:
			// Empty but not nil: a zero-size input (an empty KV cache)
			// still has float32 data.
			in.Data = append([]float32{}, tensor.Data[float32](x)...)
		case ir.I64:
			in.I64 = append([]int64{}, tensor.Data[int64](x)...)
		default:
			return res, fmt.Errorf("input %q: %s", names[i], x.DType)
		}
		spec.Inputs = append(spec.Inputs, in)
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return res, err
	}
	cmd := exec.Command(h.bin)
	cmd.Stdin = strings.NewReader(string(b))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("harness: %v: %s", err, stderr.String())
	}
	err = json.Unmarshal(out, &res)
	return res, err
}

// compareClose checks got against want elementwise within
// |got-want| <= atol + rtol·|want|, and returns the largest error.
func compareClose(got, want []float32, rtol, atol float64) (float64, error) {
	if len(got) != len(want) {
		return 0, fmt.Errorf("%d elements, want %d", len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		d := math.Abs(g - w)
		if !(d <= atol+rtol*math.Abs(w)) {
			return d, fmt.Errorf("element %d: %v, want %v (|diff| %g)", i, g, w, d)
		}
		worst = max(worst, d)
	}
	return worst, nil
}

// maxRelative returns the largest |got-want|/|want| over the elements
// with |want| of at least 1e-3, where a relative error means something.
func maxRelative(got, want []float32) float64 {
	worst := 0.0
	for i := range want {
		if w := math.Abs(float64(want[i])); w >= 1e-3 && i < len(got) {
			worst = max(worst, math.Abs(float64(got[i])-float64(want[i]))/w)
		}
	}
	return worst
}

// TestCompiledModels compiles the shared models, builds them with the Go
// toolchain and checks their outputs against ONNX Runtime's stored ones
// and the interpreter's, then that bad inputs give errors. It logs the
// compiled and interpreted latencies measured in the same run.
func TestCompiledModels(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated packages with the Go toolchain")
	}
	h := buildHarness(t)
	for _, mc := range modelCases {
		if mc.ref == "" {
			continue
		}
		t.Run(mc.pkg, func(t *testing.T) {
			c, dir := readRefCase(t, mc.ref)
			var inputs []*tensor.Tensor
			var names []string
			interpIn := map[string]interp.Value{}
			for _, x := range c.Inputs {
				v, err := tensor.ReadNPYFile(filepath.Join(dir, x.File))
				if err != nil {
					t.Fatal(err)
				}
				inputs = append(inputs, v)
				names = append(names, x.Name)
				interpIn[x.Name] = v
			}
			iters := 20
			if mc.pkg != "mnist" {
				iters = 3
			}
			res := h.run(t, mc.pkg, inputs, names, iters)
			m := h.modules[mc.pkg]
			in := interp.New(m, interp.Options{})
			start := time.Now()
			ref, err := in.RunNamed("main", interpIn)
			interpTime := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: compiled %v per run, interpreter %v (one run)", mc.model, time.Duration(res.NsPerRun), interpTime)
			f := m.Func("main")
			for _, o := range c.Outputs {
				want, err := tensor.ReadNPYFile(filepath.Join(dir, o.File))
				if err != nil {
					t.Fatal(err)
				}
				got, ok := res.Outputs[o.Name]
				if !ok {
					t.Fatalf("no output %q", o.Name)
				}
				d, err := compareClose(got, tensor.Data[float32](want), refRTol, refATol)
				if err != nil {
					t.Errorf("output %q vs ONNX Runtime: %v", o.Name, err)
				} else {
					t.Logf("output %q: max |diff| %.3g, max relative %.3g vs ONNX Runtime", o.Name, d, maxRelative(got, tensor.Data[float32](want)))
				}
				for i, n := range f.OutputNames {
					if n != o.Name {
						continue
					}
					d, err := compareClose(got, tensor.Data[float32](ref[i].(*tensor.Tensor)), refRTol, refATol)
					if err != nil {
						t.Errorf("output %q vs interpreter: %v", o.Name, err)
					} else {
						t.Logf("output %q: max |diff| %.3g vs interpreter", o.Name, d)
					}
				}
			}
			wantErrs := []string{"is missing", "shape", "unknown input"}
			if len(res.Errors) != len(wantErrs) {
				t.Fatalf("bad inputs gave %d errors, want %d: %q", len(res.Errors), len(wantErrs), res.Errors)
			}
			for i, e := range res.Errors {
				if !strings.Contains(e, wantErrs[i]) {
					t.Errorf("bad input %d: error %q, want one mentioning %q", i, e, wantErrs[i])
				}
			}
		})
	}
}

// TestMain removes the harness module after the tests.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	for _, h := range []*harness{&theHarness, &benchHarness} {
		if h.dir != "" {
			os.RemoveAll(h.dir)
		}
	}
	if theCross != nil {
		os.RemoveAll(theCross.dir)
	}
	os.Exit(code)
}
