package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kiln-ml/kiln/internal/compiled"
	"github.com/kiln-ml/kiln/ir/tensor"
	"github.com/kiln-ml/kiln/targets"
)

// benchChildCommand is the hidden command kiln bench runs the interpreter
// and ONNX Runtime in, each in a process of its own.
const benchChildCommand = "bench-child"

func init() {
	commands = append(commands, command{
		name:    "bench",
		usage:   "kiln bench MODEL [[NAME=]FILE]... [--input [NAME=]FILE]... [--engine compiled|interp] [--threads N] [--simd] [--passes LIST | --target PROFILE] [--dim NAME=N]... [-n N] [--warmup N] [--seed S] [--vs-ort] [--json] [--timeout D] [-v]",
		summary: "time a model's runs (median, p90) and peak memory, each engine in its own process; --vs-ort beside ONNX Runtime",
		run:     runBench,
	})
	commands = append(commands, command{
		name:    benchChildCommand,
		usage:   "kiln " + benchChildCommand + " --engine interp|ort [--threads N] MODEL INDIR WARMUP N",
		summary: "time one engine on the inputs in INDIR and print the run times as JSON (used by kiln bench)",
		run:     runBenchChild,
		hidden:  true,
	})
}

// benchResult is one engine's measurements.
type benchResult struct {
	Engine  string
	RunNS   []int64
	PeakRSS int64 // bytes; 0 when unknown
}

// median and p90 are nearest-rank percentiles of the run times, in ms.
func (r *benchResult) percentile(p float64) float64 {
	s := slices.Clone(r.RunNS)
	slices.Sort(s)
	k := int(math.Ceil(p*float64(len(s)))) - 1
	k = max(0, min(k, len(s)-1))
	return float64(s[k]) / 1e6
}

// benchReport is kiln bench --json's output.
type benchReport struct {
	Model           string  `json:"model"`
	Engine          string  `json:"engine"`
	Dims            string  `json:"dims,omitempty"`
	Threads         int     `json:"threads"`
	SIMD            bool    `json:"simd,omitempty"`
	Passes          string  `json:"passes,omitempty"`
	Warmup          int     `json:"warmup"`
	Runs            int     `json:"runs"`
	MedianMS        float64 `json:"median_ms"`
	P90MS           float64 `json:"p90_ms"`
	PeakRSSBytes    int64   `json:"peak_rss_bytes"`
	ORTMedianMS     float64 `json:"ort_median_ms,omitempty"`
	ORTP90MS        float64 `json:"ort_p90_ms,omitempty"`
	ORTPeakRSSBytes int64   `json:"ort_peak_rss_bytes,omitempty"`
	MedianRatio     float64 `json:"median_ratio,omitempty"`   // engine / ONNX Runtime
	PeakRSSRatio    float64 `json:"peak_rss_ratio,omitempty"` // engine / ONNX Runtime
}

func runBench(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench", stderr)
	var inputs, dims listFlag
	fs.Var(&inputs, "input", "an input `[NAME=]FILE` (.npy or .pb); inputs not given are seeded random values of their dtype and shape")
	fs.Var(&dims, "dim", "size of a symbolic dim of the random inputs, as `NAME=N`; repeat")
	engine := fs.String("engine", engineCompiled, "the engine to time: `compiled` or interp")
	threads := fs.Int("threads", 1, "threads: the compiled kernels' goroutines (kiln compile --threads), ONNX Runtime's intra-op threads and GOMAXPROCS of kiln's engines (default: the --target profile's count when it names one, else 1)")
	simd := fs.Bool("simd", false, "compiled engine: the GEMM's vector micro-kernel, built with GOEXPERIMENT=simd (kiln compile --simd; default: on for a --target profile with avx2 and fma on amd64)")
	pf := addPipelineFlags(fs, "none")
	n := fs.Int("n", 20, "timed runs")
	warmup := fs.Int("warmup", 3, "untimed runs before the timed ones")
	seed := fs.Int64("seed", 0, "seed of the random inputs")
	vsORT := fs.Bool("vs-ort", false, "also time ONNX Runtime on the same inputs and threads, and give the ratios")
	asJSON := fs.Bool("json", false, "print one JSON object")
	timeout := fs.Duration("timeout", 0, "time limit of each engine's process (0: none)")
	verbose := fs.Bool("v", false, "report compiling and building even when stderr is not a terminal")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() < 1 {
		return usageError(fs, "want a model")
	}
	if *engine != engineCompiled && *engine != engineInterp {
		return usageError(fs, "--engine %s: want compiled or interp", *engine)
	}
	if *n < 1 || *warmup < 0 || *threads < 1 || *timeout < 0 {
		return usageError(fs, "-n and --threads must be at least 1, --warmup and --timeout not negative")
	}
	pipeline, err := pf.pipeline()
	if err != nil {
		return pipelineFailure(fs, stderr, "bench", err)
	}
	if *pf.target != "" {
		prof, err := targets.Lookup(*pf.target)
		if err != nil {
			return usageError(fs, "%v", err)
		}
		applyTargetDefaults(fs, prof, threads, simd)
	}
	model := fs.Arg(0)
	if *vsORT {
		if strings.HasSuffix(model, ".kir") {
			return usageError(fs, "--vs-ort: ONNX Runtime runs ONNX models; give the .onnx file")
		}
		if err := initORT(); err != nil {
			return fail(stderr, "bench", err)
		}
	}
	inputs = append(fs.Args()[1:], inputs...)
	m, err := loadModel(model)
	if err != nil {
		return fail(stderr, "bench", err)
	}
	f := m.Funcs[0]
	b, err := bindInputs(f, inputs)
	if err != nil {
		m.Close()
		return fail(stderr, "bench", err)
	}
	sizes, ranges, err := splitDimSpecs(dims)
	if err != nil {
		m.Close()
		return usageError(fs, "%v", err)
	}
	notes, err := randomInputs(m, f, b, sizes, *seed)
	if err != nil {
		m.Close()
		return fail(stderr, "bench", err)
	}
	for _, s := range notes {
		fmt.Fprintf(stderr, "kiln bench: %s\n", s)
	}
	in, err := tensorInputs(f, b.values)
	if err != nil {
		m.Close()
		return fail(stderr, "bench", err)
	}
	bound, err := compiled.BindDims(m, f, in, nil)
	if err != nil {
		m.Close()
		return fail(stderr, "bench", err)
	}
	work, err := os.MkdirTemp("", "kiln-bench-")
	if err != nil {
		m.Close()
		return fail(stderr, "bench", err)
	}
	defer os.RemoveAll(work)
	inDir := filepath.Join(work, "in")
	if err := writeBenchInputs(inDir, f.InputNames, in); err != nil {
		m.Close()
		return fail(stderr, "bench", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var cmds []*exec.Cmd
	names := []string{*engine}
	counts := []string{strconv.Itoa(*warmup), strconv.Itoa(*n)}
	if *engine == engineCompiled {
		p, err := buildCompiled(ctx, m, f, model, b.values, nil, engineOpts{threads: *threads, simd: *simd, pipeline: pipeline, ranges: ranges}, progressTo(stderr, *verbose))
		if err != nil {
			m.Close()
			return verifyFailedAs(stderr, "bench", err)
		}
		cmds = append(cmds, p.Command(ctx, append([]string{"bench", "model", inDir}, counts...)...))
	}
	// The parent's copy of the model is not needed while children run.
	m.Close()
	exe, err := os.Executable()
	if err != nil {
		return fail(stderr, "bench", fmt.Errorf("finding kiln's own binary: %w", err))
	}
	child := func(eng string) *exec.Cmd {
		return exec.CommandContext(ctx, exe, append([]string{benchChildCommand, "--engine", eng, "--threads", strconv.Itoa(*threads), "--", model, inDir}, counts...)...)
	}
	if *engine == engineInterp {
		cmds = append(cmds, child(engineInterp))
	}
	if *vsORT {
		names = append(names, "ort")
		cmds = append(cmds, child("ort"))
	}
	var results []*benchResult
	for i, cmd := range cmds {
		r, err := runBenchProcess(cmd, names[i], *threads, *timeout)
		if err != nil {
			if ctx.Err() != nil {
				fmt.Fprintln(stderr, "kiln bench: interrupted")
				return exitInterrupted
			}
			return fail(stderr, "bench", err)
		}
		results = append(results, r)
	}

	var passNames []string
	for _, p := range pipeline {
		passNames = append(passNames, p.Name)
	}
	rep := benchReport{Model: model, Engine: *engine, Dims: compiled.DimsList(bound), Threads: *threads, SIMD: *simd, Passes: strings.Join(passNames, ","), Warmup: *warmup, Runs: *n,
		MedianMS: results[0].percentile(0.5), P90MS: results[0].percentile(0.9), PeakRSSBytes: results[0].PeakRSS}
	if *vsORT {
		o := results[1]
		rep.ORTMedianMS, rep.ORTP90MS, rep.ORTPeakRSSBytes = o.percentile(0.5), o.percentile(0.9), o.PeakRSS
		if rep.ORTMedianMS > 0 {
			rep.MedianRatio = rep.MedianMS / rep.ORTMedianMS
		}
		if rep.ORTPeakRSSBytes > 0 {
			rep.PeakRSSRatio = float64(rep.PeakRSSBytes) / float64(rep.ORTPeakRSSBytes)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fail(stderr, "bench", err)
		}
		return exitOK
	}
	printBench(stdout, rep, results)
	return exitOK
}

// printBench prints the table of kiln bench.
func printBench(w io.Writer, rep benchReport, results []*benchResult) {
	dims := ""
	if rep.Dims != "" {
		dims = " (" + rep.Dims + ")"
	}
	threads := "1 thread"
	if rep.Threads != 1 {
		threads = fmt.Sprintf("%d threads", rep.Threads)
	}
	fmt.Fprintf(w, "%s%s: %s, %d warm-up and %d timed runs\n", filepath.Base(rep.Model), dims, threads, rep.Warmup, rep.Runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "engine\tmedian\tp90\tpeak RSS\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", r.Engine, msText(r.percentile(0.5)), msText(r.percentile(0.9)), mibText(r.PeakRSS))
	}
	tw.Flush()
	if rep.MedianRatio > 0 {
		fmt.Fprintf(w, "%s / ort: median %.2fx", rep.Engine, rep.MedianRatio)
		if rep.PeakRSSRatio > 0 {
			fmt.Fprintf(w, ", peak RSS %.2fx", rep.PeakRSSRatio)
		}
		fmt.Fprintln(w)
	}
}

func msText(ms float64) string {
	if ms < 1 {
		return fmt.Sprintf("%.3f ms", ms)
	}
	return fmt.Sprintf("%.2f ms", ms)
}

func mibText(b int64) string {
	if b == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// writeBenchInputs writes the inputs as the children read them: .npy
// files in input order and inputs.json with their names.
func writeBenchInputs(dir string, names []string, in []*tensor.Tensor) error {
	if err := compiled.WriteInputs(dir, in); err != nil {
		return err
	}
	b, err := json.Marshal(names)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "inputs.json"), b, 0o666)
}

// readBenchInputs reads what writeBenchInputs wrote.
func readBenchInputs(dir string) ([]string, []*tensor.Tensor, error) {
	b, err := os.ReadFile(filepath.Join(dir, "inputs.json"))
	if err != nil {
		return nil, nil, err
	}
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return nil, nil, fmt.Errorf("inputs.json: %w", err)
	}
	in := make([]*tensor.Tensor, len(names))
	for i := range names {
		if in[i], err = tensor.ReadNPYFile(filepath.Join(dir, strconv.Itoa(i)+".npy")); err != nil {
			return nil, nil, err
		}
	}
	return names, in, nil
}

// runBenchProcess runs one engine's process, with GOMAXPROCS set to the
// thread count, and reads its run times and peak RSS.
func runBenchProcess(cmd *exec.Cmd, engine string, threads int, timeout time.Duration) (*benchResult, error) {
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(threads))
	out, errOut := &capped{max: 16 << 20}, &capped{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = out, errOut
	cmd.WaitDelay = time.Second
	var timer *time.Timer
	if timeout > 0 {
		timer = time.AfterFunc(timeout, func() {
			if cmd.Process != nil {
				cmd.Process.Kill()
			}
		})
	}
	err := cmd.Run()
	if timer != nil && !timer.Stop() {
		return nil, fmt.Errorf("%s: no result within %v", engine, timeout)
	}
	if err != nil {
		msg := strings.TrimSpace(errOut.String())
		if i := strings.Index(msg, "\n\ngoroutine "); i >= 0 {
			msg = msg[:i]
		}
		return nil, fmt.Errorf("%s: %v: %s", engine, err, msg)
	}
	var r benchChildReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || len(r.RunNS) == 0 {
		return nil, fmt.Errorf("%s: no run times in its output %q", engine, strings.TrimSpace(out.String()))
	}
	if r.PeakRSS <= 0 {
		// Where the child cannot read its own peak: the rusage of the
		// wait, which on Linux would also count the parent's pages the
		// child started with, before its exec.
		r.PeakRSS = peakRSS(cmd.ProcessState)
	}
	return &benchResult{Engine: engine, RunNS: r.RunNS, PeakRSS: r.PeakRSS}, nil
}

// benchChildReport is what every engine's process prints: its run times
// and its own peak RSS (VmHWM of /proc/self/status, 0 when unknown).
type benchChildReport struct {
	RunNS   []int64 `json:"run_ns"`
	PeakRSS int64   `json:"peak_rss_bytes"`
}

// runBenchChild is the child side of kiln bench for the interpreter and
// ONNX Runtime: it prints a benchChildReport.
func runBenchChild(args []string, stdout, stderr io.Writer) int {
	fs := newFlags(benchChildCommand, stderr)
	engine := fs.String("engine", engineInterp, "interp or ort")
	threads := fs.Int("threads", 1, "threads")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 4 {
		return usageError(fs, "want MODEL INDIR WARMUP N")
	}
	warmup, err1 := strconv.Atoi(fs.Arg(2))
	n, err2 := strconv.Atoi(fs.Arg(3))
	if err1 != nil || err2 != nil || warmup < 0 || n < 1 {
		return usageError(fs, "WARMUP and N must be counts, N at least 1")
	}
	names, in, err := readBenchInputs(fs.Arg(1))
	if err != nil {
		return fail(stderr, benchChildCommand, err)
	}
	var runOnce func() error
	switch *engine {
	case engineInterp:
		m, err := loadModel(fs.Arg(0))
		if err != nil {
			return fail(stderr, benchChildCommand, err)
		}
		defer m.Close()
		f := m.Funcs[0]
		vals := make([]tensor.Value, len(in))
		for i, t := range in {
			vals[i] = t
		}
		runOnce = func() error {
			_, err := runInterp(context.Background(), m, f, vals, 0, 0)
			return err
		}
	case "ort":
		s, err := newORTSession(fs.Arg(0), *threads)
		if err != nil {
			return fail(stderr, benchChildCommand, err)
		}
		defer s.close()
		byName := map[string]*tensor.Tensor{}
		for i, name := range names {
			byName[name] = in[i]
		}
		runOnce = func() error {
			_, err := s.run(byName)
			return err
		}
	default:
		return usageError(fs, "--engine %s: want interp or ort", *engine)
	}
	for i := 0; i < warmup; i++ {
		if err := runOnce(); err != nil {
			return fail(stderr, benchChildCommand, err)
		}
	}
	ns := make([]int64, n)
	for i := range ns {
		start := time.Now()
		if err := runOnce(); err != nil {
			return fail(stderr, benchChildCommand, err)
		}
		ns[i] = time.Since(start).Nanoseconds()
	}
	if err := json.NewEncoder(stdout).Encode(benchChildReport{RunNS: ns, PeakRSS: selfPeakRSS()}); err != nil {
		return fail(stderr, benchChildCommand, err)
	}
	return exitOK
}

// selfPeakRSS is this process's peak resident set size (VmHWM in
// /proc/self/status), or 0 where that file does not exist.
func selfPeakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}
