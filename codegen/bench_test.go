package codegen

import (
	"flag"
	"fmt"
	"math/rand"
	"os/exec"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

var (
	benchIters       = flag.Int("models.iters", 10, "timed runs of a compiled model or of ONNX Runtime in BenchmarkModels (after one warm-up run)")
	benchInterpIters = flag.Int("models.interp-iters", 2, "timed runs of the interpreter in BenchmarkModels")
)

// benchModels are the models BenchmarkModels times, with the dims that
// fix their shapes.
var benchModels = []struct {
	pkg, model string
	dims       map[string]int64
}{
	{"mnist", "mnist-8.onnx", nil},
	{"mobilenet", "mobilenetv2.onnx", map[string]int64{"batch": 1}},
	{"minilm", "minilm-like-opset17.onnx", map[string]int64{"batch": 1, "seq": 128}},
	{"paddleocrrec", "paddleocr-rec.onnx", map[string]int64{"p2o.DynamicDimension.0": 1, "p2o.DynamicDimension.1": 320}},
}

// benchThreads are the thread counts of the compiled packages and of ONNX
// Runtime's intra-op pool.
var benchThreads = []int{1, 2}

var (
	benchOnce    sync.Once
	benchHarness harness
)

// BenchmarkModels times the compiled package (at 1 and 2 threads, with
// the scalar micro-kernel and with the vector one, which the harness's
// GOEXPERIMENT=simd build enables), the interpreter and ONNX Runtime (1
// and 2 intra-op threads) on the same
// inputs, in one run, and reports the median wall time per run (ms/run)
// and the CPU time per run (cpu-ms/run). The timings are its own, not
// b.N's: run it with -benchtime 1x.
//
//	go test -run XXX -bench Models -benchtime 1x ./codegen
func BenchmarkModels(b *testing.B) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		b.Skip("no go toolchain on PATH")
	}
	var cases []modelCase
	for _, bm := range benchModels {
		testenv.SharedONNXModel(b, bm.model)
		for _, t := range benchThreads {
			cases = append(cases, modelCase{pkg: benchPkg(bm.pkg, t), model: bm.model, dims: bm.dims, threads: t})
			cases = append(cases, modelCase{pkg: benchPkg(bm.pkg+"simd", t), model: bm.model, dims: bm.dims, threads: t, simd: true})
		}
	}
	benchOnce.Do(func() { newHarness(&benchHarness, goBin, cases) })
	h := &benchHarness
	if h.err != nil {
		b.Fatal(h.err)
	}
	for _, bm := range benchModels {
		m := h.modules[benchPkg(bm.pkg, 1)]
		inputs, names, err := benchInputs(m, bm.dims)
		if err != nil {
			b.Fatal(err)
		}
		for _, kind := range []string{"", "simd"} {
			for _, t := range benchThreads {
				b.Run(bm.pkg+"/compiled"+kind+"/threads="+strconv.Itoa(t), func(b *testing.B) {
					res, err := h.runSpec(benchPkg(bm.pkg+kind, t), inputs, names, *benchIters, "", true)
					if err != nil {
						b.Fatal(err)
					}
					reportRun(b, time.Duration(res.NsPerRun), time.Duration(res.CPUNsPerRun))
				})
			}
		}
		b.Run(bm.pkg+"/interp", func(b *testing.B) {
			in := interp.New(m, interp.Options{})
			named := map[string]interp.Value{}
			for i, x := range inputs {
				named[names[i]] = x
			}
			wall, cpu, err := timeRuns(*benchInterpIters, func() error {
				_, err := in.RunNamed("main", named)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			reportRun(b, wall, cpu)
		})
		for _, t := range benchThreads {
			b.Run(bm.pkg+"/ort/threads="+strconv.Itoa(t), func(b *testing.B) {
				path, _ := testenv.Shared("models", "onnx", bm.model)
				run, closeFn, err := ortRunner(path, names, inputs, t)
				if err != nil {
					b.Skip(err)
				}
				defer closeFn()
				wall, cpu, err := timeRuns(*benchIters, run)
				if err != nil {
					b.Fatal(err)
				}
				reportRun(b, wall, cpu)
			})
		}
	}
}

// benchPkg names the package of a model compiled for threads.
func benchPkg(pkg string, threads int) string { return pkg + "T" + strconv.Itoa(threads) }

// reportRun reports the metrics of BenchmarkModels.
func reportRun(b *testing.B, wall, cpu time.Duration) {
	b.ReportMetric(float64(wall.Microseconds())/1000, "ms/run")
	b.ReportMetric(float64(cpu.Microseconds())/1000, "cpu-ms/run")
}

// timeRuns calls run once to warm up, then iters times, and returns the
// median wall time and the mean CPU time of the process per call.
func timeRuns(iters int, run func() error) (wall, cpu time.Duration, err error) {
	if err := run(); err != nil {
		return 0, 0, err
	}
	iters = max(1, iters)
	times := make([]time.Duration, iters)
	cpu0 := processCPUTime()
	for i := range times {
		start := time.Now()
		if err := run(); err != nil {
			return 0, 0, err
		}
		times[i] = time.Since(start)
	}
	cpu = (processCPUTime() - cpu0) / time.Duration(iters)
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return times[iters/2], cpu, nil
}

// benchInputs draws inputs for function main of m under dims: float32
// standard normal, int64 0 or 1 (valid token ids, masks and types).
func benchInputs(m *ir.Module, dims map[string]int64) ([]*tensor.Tensor, []string, error) {
	f := m.Func("main")
	rng := rand.New(rand.NewSource(1))
	var ins []*tensor.Tensor
	for _, p := range f.Body.Params {
		shape := make([]int, len(p.Type.Shape.Dims))
		for i, d := range p.Type.Shape.Dims {
			n, ok := d.Eval(dims)
			if !ok {
				return nil, nil, fmt.Errorf("input %s: dim %s unbound", p.Name, d)
			}
			shape[i] = int(n)
		}
		t := tensor.New(p.Type.DType, shape)
		switch p.Type.DType {
		case ir.F32:
			for i, x := 0, tensor.Data[float32](t); i < len(x); i++ {
				x[i] = float32(rng.NormFloat64())
			}
		case ir.I64:
			for i, x := 0, tensor.Data[int64](t); i < len(x); i++ {
				x[i] = int64(rng.Intn(2))
			}
		default:
			return nil, nil, fmt.Errorf("input %s: %s", p.Name, p.Type.DType)
		}
		ins = append(ins, t)
	}
	return ins, append([]string(nil), f.InputNames...), nil
}
