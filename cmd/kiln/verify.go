package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

func init() {
	commands = append(commands, command{
		name:    "verify",
		usage:   "kiln verify MODEL.onnx [[NAME=]FILE]... [--input [NAME=]FILE]... [--dim NAME=N]... [--passes LIST | --target PROFILE] [--rtol R] [--atol A] [--seed S] [--json] [--timeout D] [-v]",
		summary: "run a model compiled to Go and in ONNX Runtime on the same inputs and compare every output",
		run:     runVerify,
	})
}

// Default tolerances of kiln verify: |compiled - ort| <= atol + rtol*|ort|.
const (
	verifyRTol = 1e-3
	verifyATol = 1e-4
)

// outputDiff is how one output of the compiled model differs from ONNX
// Runtime's.
type outputDiff struct {
	Name    string  `json:"name"`
	DType   string  `json:"dtype"`
	Shape   []int   `json:"shape"`
	MaxAbs  float64 `json:"max_abs_err"`
	MaxRel  float64 `json:"max_rel_err"` // over the elements where ONNX Runtime's value is not 0
	Cosine  float64 `json:"cosine"`
	Pass    bool    `json:"pass"`
	Problem string  `json:"problem,omitempty"` // why the output could not be compared element by element
}

// verifyReport is kiln verify --json's output.
type verifyReport struct {
	Model   string       `json:"model"`
	Dims    string       `json:"dims,omitempty"`
	RTol    float64      `json:"rtol"`
	ATol    float64      `json:"atol"`
	Outputs []outputDiff `json:"outputs"`
	Pass    bool         `json:"pass"`
}

func runVerify(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("verify", stderr)
	var inputs, dims listFlag
	fs.Var(&inputs, "input", "an input `[NAME=]FILE` (.npy or .pb); inputs not given are seeded random values of their dtype and shape")
	fs.Var(&dims, "dim", "size of a symbolic dim of the random inputs, as `NAME=N`, or a range `NAME=LO..HI` the compiled package reads at run time (one build serves every size in it; random inputs take HI); repeat")
	rtol := fs.Float64("rtol", verifyRTol, "relative tolerance: an element passes when |compiled-ort| <= atol + rtol*|ort|")
	atol := fs.Float64("atol", verifyATol, "absolute tolerance")
	seed := fs.Int64("seed", 0, "seed of the random inputs")
	asJSON := fs.Bool("json", false, "print the comparison as JSON")
	timeout := fs.Duration("timeout", 0, "stop after `D`, building included (0: no limit)")
	verbose := fs.Bool("v", false, "report compiling and building even when stderr is not a terminal")
	pf := addPipelineFlags(fs, "none")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() < 1 {
		return usageError(fs, "want a model")
	}
	if !(*rtol >= 0) || !(*atol >= 0) || *timeout < 0 {
		return usageError(fs, "--rtol, --atol and --timeout must not be negative")
	}
	pipeline, err := pf.pipeline()
	if err != nil {
		return pipelineFailure(fs, stderr, "verify", err)
	}
	model := fs.Arg(0)
	if strings.HasSuffix(model, ".kir") {
		return usageError(fs, "%s: ONNX Runtime runs ONNX models; give the .onnx file", model)
	}
	inputs = append(fs.Args()[1:], inputs...)

	// ONNX Runtime first: without it there is nothing to compare with,
	// and no reason to build.
	if err := initORT(); err != nil {
		return fail(stderr, "verify", err)
	}
	m, err := loadModel(model)
	if err != nil {
		return fail(stderr, "verify", err)
	}
	defer m.Close()
	f := m.Funcs[0]
	b, err := bindInputs(f, inputs)
	if err != nil {
		return fail(stderr, "verify", err)
	}
	sizes, ranges, err := splitDimSpecs(dims)
	if err != nil {
		return usageError(fs, "%v", err)
	}
	notes, err := randomInputs(m, f, b, sizes, *seed)
	if err != nil {
		return fail(stderr, "verify", err)
	}
	for _, n := range notes {
		fmt.Fprintf(stderr, "kiln verify: %s\n", n)
	}
	in, err := tensorInputs(f, b.values)
	if err != nil {
		return fail(stderr, "verify", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	p, err := buildCompiled(ctx, m, f, model, b.values, nil, engineOpts{pipeline: pipeline, ranges: ranges}, progressTo(stderr, *verbose))
	if err != nil {
		return verifyFailed(stderr, err, *timeout)
	}
	got, err := p.Run(ctx, "model", in)
	if err != nil {
		return verifyFailed(stderr, err, *timeout)
	}
	s, err := newORTSession(model, 0)
	if err != nil {
		return fail(stderr, "verify", err)
	}
	defer s.close()
	byName := map[string]*tensor.Tensor{}
	for i, n := range f.InputNames {
		byName[n] = in[i]
	}
	want, err := s.run(byName)
	if err != nil {
		return fail(stderr, "verify", err)
	}
	if !slices.Equal(s.output, f.OutputNames) || len(want) != len(got) {
		return fail(stderr, "verify", fmt.Errorf("ONNX Runtime's outputs %s are not kiln's %s", quoteList(s.output), quoteList(f.OutputNames)))
	}

	report := verifyReport{Model: model, RTol: *rtol, ATol: *atol, Pass: true}
	for i := range got {
		d := compareOutputs(f.OutputNames[i], got[i], want[i], *rtol, *atol)
		report.Pass = report.Pass && d.Pass
		report.Outputs = append(report.Outputs, d)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return fail(stderr, "verify", err)
		}
	} else {
		printVerify(stdout, report)
	}
	if !report.Pass {
		return exitFailure
	}
	return exitOK
}

// verifyFailed reports a failed build or run of the compiled model.
func verifyFailed(stderr io.Writer, err error, timeout time.Duration) int {
	if errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintf(stderr, "kiln verify: timed out after %v\n", timeout)
		return exitFailure
	}
	return verifyFailedAs(stderr, "verify", err)
}

// verifyFailedAs reports a failed build or run of the compiled model for
// command name: an interruption exits 130.
func verifyFailedAs(stderr io.Writer, name string, err error) int {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "kiln %s: interrupted\n", name)
		return exitInterrupted
	}
	return fail(stderr, name, err)
}

// printVerify prints one line per output and a closing verdict.
func printVerify(w io.Writer, r verifyReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "output\tdtype\tshape\tmax abs err\tmax rel err\tcosine\tresult")
	failed := 0
	for _, d := range r.Outputs {
		verdict := "ok"
		if !d.Pass {
			verdict = "FAIL"
			failed++
		}
		if d.Problem != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\t-\t-\t%s: %s\n", printable(d.Name), d.DType, shapeText(d.Shape), verdict, d.Problem)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.3g\t%.3g\t%.6f\t%s\n", printable(d.Name), d.DType, shapeText(d.Shape), d.MaxAbs, d.MaxRel, d.Cosine, verdict)
	}
	tw.Flush()
	outputs := "outputs"
	if len(r.Outputs) == 1 {
		outputs = "output"
	}
	if failed == 0 {
		fmt.Fprintf(w, "pass: %d %s within rtol %g, atol %g of ONNX Runtime\n", len(r.Outputs), outputs, r.RTol, r.ATol)
	} else {
		fmt.Fprintf(w, "FAIL: %d of %d %s beyond rtol %g, atol %g of ONNX Runtime\n", failed, len(r.Outputs), outputs, r.RTol, r.ATol)
	}
}

// shapeText prints a shape as [a,b,c].
func shapeText(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// compareOutputs measures got against want. Elements pass when
// |got-want| <= atol + rtol*|want| (NaN matches NaN); the relative error
// is taken over the elements where want is not 0; the cosine is that of
// the two flattened tensors (1 when both are zero).
func compareOutputs(name string, got, want *tensor.Tensor, rtol, atol float64) outputDiff {
	d := outputDiff{Name: name, DType: want.DType.String(), Shape: want.Shape}
	if got.DType != want.DType {
		d.Problem = fmt.Sprintf("compiled gives %v, ONNX Runtime %v", got.DType, want.DType)
		return d
	}
	if !slices.Equal(got.Shape, want.Shape) {
		d.Problem = fmt.Sprintf("compiled gives shape %v, ONNX Runtime %v", got.Shape, want.Shape)
		return d
	}
	g, err1 := interp.CastTensor(got, ir.F64)
	w, err2 := interp.CastTensor(want, ir.F64)
	if err1 != nil || err2 != nil {
		d.Problem = fmt.Sprintf("%v values are not compared", want.DType)
		return d
	}
	gs, ws := tensor.Data[float64](g), tensor.Data[float64](w)
	d.Pass = true
	var dot, gg, ww float64
	for i := range ws {
		a, b := gs[i], ws[i]
		if math.IsNaN(a) && math.IsNaN(b) {
			continue
		}
		diff := math.Abs(a - b)
		if a == b { // equal infinities
			diff = 0
		}
		if !(diff <= atol+rtol*math.Abs(b)) {
			d.Pass = false
		}
		if diff > d.MaxAbs || math.IsNaN(diff) {
			d.MaxAbs = diff
		}
		if b != 0 {
			if r := diff / math.Abs(b); r > d.MaxRel || math.IsNaN(r) {
				d.MaxRel = r
			}
		}
		dot += a * b
		gg += a * a
		ww += b * b
	}
	switch {
	case gg == 0 && ww == 0:
		d.Cosine = 1
	case gg == 0 || ww == 0:
		d.Cosine = 0
	default:
		d.Cosine = dot / math.Sqrt(gg*ww)
	}
	return d
}
