package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/safefile"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

func init() {
	commands = append(commands, command{
		name:    "run",
		usage:   "kiln run MODEL|FILE.kir [[NAME=]FILE]... [--input [NAME=]FILE]... [--random-inputs [--seed N] [--dim NAME=N]...] [--engine interp|compiled] [--out DIR] [--json] [--time] [--timeout D] [--max-memory MiB] [-v]",
		summary: "run a model in the reference interpreter or compiled to Go on .npy or .pb (TensorProto) inputs and summarize its outputs",
		run:     runRun,
	})
}

// listFlag collects a repeated flag's values.
type listFlag []string

// String joins the values given so far (flag.Value).
func (f *listFlag) String() string { return strings.Join(*f, ",") }

// Set adds one value (flag.Value).
func (f *listFlag) Set(s string) error { *f = append(*f, s); return nil }

// runOptions are kiln run's flags.
type runOptions struct {
	inputs  listFlag
	dims    listFlag
	out     string
	random  bool
	seed    int64
	json    bool
	time    bool
	top     int
	timeout time.Duration
	maxMiB  int64
	engine  string
	verbose bool
}

func runRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", stderr)
	var o runOptions
	fs.Var(&o.inputs, "input", "an input `[NAME=]FILE` (.npy or .pb); repeat for each input; without NAME inputs bind in order")
	fs.StringVar(&o.out, "out", "", "write each output to `DIR`/<output name>.npy (sequences and optionals: .pb)")
	fs.BoolVar(&o.random, "random-inputs", false, "fill the inputs not given with random values of their dtype and shape")
	fs.Int64Var(&o.seed, "seed", 0, "seed of --random-inputs and of random ops")
	fs.Var(&o.dims, "dim", "size of a symbolic dim for --random-inputs, as `NAME=N` (default 1, or the dim's lower bound); repeat")
	fs.BoolVar(&o.json, "json", false, "print the outputs' summaries (and --time's times) as JSON")
	fs.BoolVar(&o.time, "time", false, "report the load and run times")
	fs.IntVar(&o.top, "top", 5, "how many of a class vector's largest values to list")
	fs.DurationVar(&o.timeout, "timeout", 0, "stop the run after `D` (e.g. 30s; 0: no limit)")
	fs.Int64Var(&o.maxMiB, "max-memory", 0, "refuse any one tensor of the inputs or the run over `MiB` mebibytes, naming the node, shape and bytes (0: half the physical memory)")
	fs.StringVar(&o.engine, "engine", engineInterp, "run in the reference interpreter (`interp`) or compiled to Go (compiled: built with the Go toolchain into a cache, then run)")
	fs.BoolVar(&o.verbose, "v", false, "report the compiled engine's slow steps (compiling, building) even when stderr is not a terminal")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() < 1 {
		return usageError(fs, "want a model")
	}
	if o.engine != engineInterp && o.engine != engineCompiled {
		return usageError(fs, "--engine %s: want interp or compiled", o.engine)
	}
	if o.timeout < 0 || o.top < 0 || o.maxMiB < 0 {
		return usageError(fs, "--timeout, --top and --max-memory must not be negative")
	}
	if o.maxMiB > 1<<30 {
		return usageError(fs, "--max-memory %d MiB is beyond any machine", o.maxMiB)
	}
	// The budget bounds every tensor allocation of loading the inputs
	// and of the run.
	maxBytes := o.maxMiB << 20
	tensor.SetMaxBytes(maxBytes)
	// Bare files after the model are inputs, as --input's are.
	o.inputs = append(fs.Args()[1:], o.inputs...)
	if len(o.dims) > 0 && !o.random {
		return usageError(fs, "--dim sizes random inputs: give --random-inputs too")
	}

	model := fs.Arg(0)
	start := time.Now()
	m, err := loadModel(model)
	if err != nil {
		return fail(stderr, "run", err)
	}
	defer m.Close()
	loadTime := time.Since(start)
	if len(m.Funcs) == 0 {
		return fail(stderr, "run", fmt.Errorf("%s: module has no function", model))
	}
	f := m.Funcs[0]
	b, err := bindInputs(f, o.inputs)
	if err != nil {
		return fail(stderr, "run", err)
	}
	if o.random {
		notes, err := randomInputs(m, f, b, o.dims, o.seed)
		if err != nil {
			return fail(stderr, "run", err)
		}
		for _, n := range notes {
			fmt.Fprintf(stderr, "kiln run: %s\n", n)
		}
	} else if err := b.complete(f); err != nil {
		return fail(stderr, "run", err)
	}
	files := outputFileNames(f.OutputNames)
	if o.out != "" {
		// Check the folder before a run that may take long.
		if err := prepareOut(o.out, files, append(moduleFiles(model, m), b.files...)); err != nil {
			return fail(stderr, "run", err)
		}
	}

	// Ctrl-C from here on stops the run with a message naming the node,
	// and lets the outputs of a finished run be written whole. (Before,
	// during loading, it kills kiln as usual: nothing is written yet.)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	var res []tensor.Value
	var buildTime time.Duration
	start = time.Now()
	if o.engine == engineCompiled {
		res, buildTime, err = runCompiledOnce(ctx, m, f, model, b.values, progressTo(stderr, o.verbose))
	} else {
		res, err = runInterp(ctx, m, f, b.values, o.seed, maxBytes)
	}
	runTime := time.Since(start) - buildTime
	// The budget bounds the model's tensors; summarizing and writing
	// the outputs (which may widen them to f64) take the default one.
	tensor.SetMaxBytes(0)
	if err != nil {
		return runFailed(stderr, err, o.timeout)
	}

	var sums []outputSummary
	for i, v := range res {
		s := summarize(f.OutputNames[i], v, o.top)
		if o.out != "" {
			s.File, err = writeOutput(filepath.Join(o.out, files[i]), f.OutputNames[i], v)
			if err != nil {
				return fail(stderr, "run", fmt.Errorf("output %q: %w", f.OutputNames[i], err))
			}
		}
		sums = append(sums, s)
	}
	if o.json {
		report := runReport{Outputs: sums}
		if o.time {
			report.LoadSeconds, report.RunSeconds = loadTime.Seconds(), runTime.Seconds()
			report.BuildSeconds = buildTime.Seconds()
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return fail(stderr, "run", err)
		}
	} else {
		for _, s := range sums {
			s.print(stdout)
		}
		if o.time {
			build := ""
			if o.engine == engineCompiled {
				build = fmt.Sprintf(", compile and build %v", buildTime.Round(time.Microsecond))
			}
			fmt.Fprintf(stderr, "kiln run: load %v%s, run %v\n", loadTime.Round(time.Microsecond), build, runTime.Round(time.Microsecond))
		}
	}
	return exitOK
}

// runReport is kiln run --json's output.
type runReport struct {
	Outputs      []outputSummary `json:"outputs"`
	LoadSeconds  float64         `json:"load_seconds,omitempty"`
	BuildSeconds float64         `json:"build_seconds,omitempty"` // --engine compiled: compiling and building (0 when cached)
	RunSeconds   float64         `json:"run_seconds,omitempty"`
}

// errStopped is runInterp's error when ctx ended a kernel that would not
// return: op is the one being executed.
type errStopped struct {
	op    *ir.Op
	cause error
}

// Error is the cause's message; runFailed adds the op.
func (e *errStopped) Error() string { return e.cause.Error() }

// Unwrap returns the context's error.
func (e *errStopped) Unwrap() error { return e.cause }

// runInterp runs f and returns when it ends or, once ctx is done, when the
// interpreter stops at its next op; a kernel that keeps going for a
// second after that is left behind (the command exits anyway) and the
// error names it.
func runInterp(ctx context.Context, m *ir.Module, f *ir.Func, inputs []tensor.Value, seed, maxMemory int64) ([]tensor.Value, error) {
	var current atomic.Pointer[ir.Op]
	in := interp.New(m, interp.Options{Seed: seed, MaxMemory: maxMemory, OnOp: func(op *ir.Op) { current.Store(op) }})
	type result struct {
		vals []tensor.Value
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// Kernel panics come back as errors; this catches the rest of the
		// interpreter, which runCommand's recover cannot see from here.
		defer func() {
			if r := recover(); r != nil {
				done <- result{nil, &internalError{fmt.Sprintf("while running @%s", f.Name), r, debug.Stack()}}
			}
		}()
		v, err := in.RunContext(ctx, f.Name, inputs)
		done <- result{v, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		select {
		case r = <-done:
		case <-time.After(time.Second):
			return nil, &errStopped{current.Load(), ctx.Err()}
		}
	}
	if r.err != nil && ctx.Err() != nil && errors.Is(r.err, ctx.Err()) {
		// The error names the outermost op (a Loop); the hook saw the
		// innermost one, which says more.
		return nil, &errStopped{current.Load(), r.err}
	}
	return r.vals, r.err
}

// runFailed reports a failed run: an interruption or a timeout names the
// op being executed.
func runFailed(stderr io.Writer, err error, timeout time.Duration) int {
	var op *ir.Op
	if s, ok := errors.AsType[*errStopped](err); ok && s.op != nil {
		op = s.op
	} else if oe, ok := errors.AsType[*interp.OpError](err); ok {
		op = oe.Op
	}
	where := ""
	if op != nil {
		where = " while executing " + describeOp(op)
	}
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "kiln run: interrupted%s\n", where)
		return exitInterrupted
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintf(stderr, "kiln run: timed out after %v%s\n", timeout, where)
		return exitFailure
	}
	return fail(stderr, "run", err)
}

// describeOp names op as errors do: by its source node when it has one.
func describeOp(op *ir.Op) string {
	if len(op.Loc) > 0 {
		return fmt.Sprintf("node %v (%s)", op.Loc, op.Name)
	}
	return "op " + op.Name
}

// loadModel imports an ONNX model, or parses a .kir text module.
func loadModel(path string) (*ir.Module, error) {
	if strings.HasSuffix(path, ".kir") {
		return parseKIRFile(path)
	}
	return onnx.Import(path)
}

// binding is the inputs of a run as far as they are known: values[i] is
// nil for an input not given (yet).
type binding struct {
	values []tensor.Value
	files  []string // the input files read, for checking outputs
}

// complete returns an error naming every input not given.
func (b *binding) complete(f *ir.Func) error {
	var missing []string
	for i, v := range b.values {
		if v == nil {
			missing = append(missing, fmt.Sprintf("%q (%v)", f.InputNames[i], f.Body.Params[i].Type))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing input(s): %s (give files, or --random-inputs)", strings.Join(missing, ", "))
	}
	return nil
}

// bindInputs reads the input files and orders them as f's inputs. A
// value NAME=FILE binds by name when NAME is one of f's inputs; a value
// that is an existing file's path is a file (so paths holding '=' work);
// other NAME=FILE values are an unknown input name, reported with the
// model's input names and the closest of them. Bare files fill the
// remaining inputs in order.
func bindInputs(f *ir.Func, specs []string) (*binding, error) {
	index := map[string]int{}
	for i, n := range f.InputNames {
		index[n] = i
	}
	files := make([]string, len(f.InputNames))
	var positional []string
	for _, s := range specs {
		if k := strings.Index(s, "="); k > 0 {
			name := s[:k]
			if i, ok := index[name]; ok {
				if files[i] != "" {
					return nil, fmt.Errorf("input %q given twice", name)
				}
				files[i] = s[k+1:]
				continue
			}
			if _, err := os.Stat(s); err != nil && !strings.ContainsAny(name, `/\`) {
				return nil, fmt.Errorf("unknown input %q: the model's inputs are %s%s", name, quoteList(f.InputNames), didYouMean(name, f.InputNames))
			}
		}
		positional = append(positional, s)
	}
	for i := range files {
		if files[i] == "" && len(positional) > 0 {
			files[i], positional = positional[0], positional[1:]
		}
	}
	if len(positional) > 0 {
		return nil, fmt.Errorf("%d input file(s) too many: the model takes %d inputs %s", len(positional), len(f.InputNames), quoteList(f.InputNames))
	}
	b := &binding{values: make([]tensor.Value, len(files))}
	for i, p := range files {
		if p == "" {
			continue
		}
		v, err := readInput(p, f.Body.Params[i].Type)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", f.InputNames[i], err)
		}
		b.values[i] = v
		b.files = append(b.files, p)
	}
	return b, nil
}

// quoteList prints names as "a", "b", "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// readInput reads a .npy or .pb input. Only regular files are opened: a
// FIFO or a device is refused rather than waited on.
func readInput(path string, t ir.Type) (tensor.Value, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".npy":
		f, err := safefile.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		br := bufio.NewReader(f)
		v, err := tensor.ReadNPY(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if n, _ := io.Copy(io.Discard, br); n > 0 {
			return nil, fmt.Errorf("%s: %d bytes after the array's data (header shape too small?)", path, n)
		}
		return v, nil
	case ".pb":
		return onnx.ReadValueFile(path, t)
	}
	return nil, fmt.Errorf("%s: want a .npy or .pb (TensorProto) file", path)
}

// prepareOut makes sure outputs can be written to dir before the run:
// the folder exists or is created, and no output file is an input.
func prepareOut(dir string, files, inputs []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	for _, name := range files {
		for _, ext := range []string{".npy", ".pb"} {
			if err := safefile.Check(filepath.Join(dir, name+ext), inputs...); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
		}
	}
	return nil
}

// outputFileNames maps output names to distinct, safe file names: anything
// but letters, digits, '.', '-' and '_' becomes '_' (ONNX names may hold
// '/' or ':'), and repeats get a numeric suffix.
func outputFileNames(names []string) []string {
	used := map[string]bool{}
	out := make([]string, len(names))
	for i, n := range names {
		base := safeFileName(n)
		name := base
		for k := 1; used[strings.ToLower(name)]; k++ {
			name = fmt.Sprintf("%s_%d", base, k)
		}
		used[strings.ToLower(name)] = true
		out[i] = name
	}
	return out
}

// writeOutput writes a tensor to base.npy, and a sequence or optional (which
// .npy cannot hold) to base.pb as an ONNX SequenceProto or OptionalProto.
// It returns the path written.
func writeOutput(base, name string, v tensor.Value) (string, error) {
	if t, ok := v.(*tensor.Tensor); ok {
		f, err := safefile.Create(base + ".npy")
		if err != nil {
			return "", err
		}
		defer f.Abort()
		w := bufio.NewWriter(f)
		if err := tensor.WriteNPY(w, t); err != nil {
			return "", err
		}
		if err := w.Flush(); err != nil {
			return "", err
		}
		return base + ".npy", f.Commit()
	}
	b, err := onnx.EncodeValue(name, v)
	if err != nil {
		return "", err
	}
	return base + ".pb", safefile.WriteFile(base+".pb", b)
}

func safeFileName(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
		if !ok {
			b[i] = '_'
		}
	}
	s = string(b)
	if s == "" || strings.Trim(s, ".") == "" || s[0] == '.' || s[0] == '-' {
		s = "_" + s
	}
	return s
}
