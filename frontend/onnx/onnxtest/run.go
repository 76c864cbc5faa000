package onnxtest

import (
	"fmt"
	"io/fs"
	"math"
	"math/cmplx"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// Tolerances of ONNX's backend test runner (numpy assert_allclose).
const (
	RTol = 1e-3
	ATol = 1e-7
)

// Outcome classifies a test result.
type Outcome string

// Outcomes.
const (
	Passed  Outcome = "passed"
	Failed  Outcome = "failed"
	Skipped Outcome = "skipped"
)

// Result is the outcome of one backend test case.
type Result struct {
	Suite   string        `json:"suite"`
	Test    string        `json:"test"`
	Outcome Outcome       `json:"outcome"`
	Stage   string        `json:"stage,omitempty"` // import, run, compare
	Reason  string        `json:"reason,omitempty"`
	Time    time.Duration `json:"-"`
}

// FindTests expands each dir into test case folders: a dir holding
// model.onnx is one case; otherwise every folder below it that holds one
// is, at any depth, in lexical order (the search does not go below a test
// folder, nor follow symlinked folders). Names are taken literally: a
// folder called "test_[a]" is not a pattern.
func FindTests(dirs ...string) ([]string, error) {
	var out []string
	for _, d := range dirs {
		if isTest(d) {
			out = append(out, d)
			continue
		}
		n := 0
		err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() || p == d {
				return nil
			}
			if isTest(p) {
				out = append(out, p)
				n++
				return filepath.SkipDir
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: no ONNX backend tests (no model.onnx in it or the folders below it)", d)
		}
	}
	return out, nil
}

// isTest reports whether dir holds a model.onnx.
func isTest(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "model.onnx"))
	return err == nil
}

// dataSets lists dir's test_data_set_* folders, sorted. It reads the folder
// rather than globbing, so a test folder whose name holds glob characters
// ("test_[x]") cannot pick up a sibling's data.
func dataSets(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var sets []string
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), "test_data_set_") {
			sets = append(sets, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(sets)
	return sets, nil
}

// Run runs one test case folder.
func Run(dir string) (res Result) {
	start := time.Now()
	res = Result{Suite: filepath.Base(filepath.Dir(dir)), Test: filepath.Base(dir)}
	defer func() {
		if r := recover(); r != nil {
			res.Outcome, res.Reason = Failed, fmt.Sprintf("panic: %v", r)
		}
		res.Time = time.Since(start)
	}()
	model := filepath.Join(dir, "model.onnx")
	fail := func(stage string, err error) Result {
		// The result already names the test; the model's path in front of
		// every importer error would only push the reason off the line.
		reason := strings.ReplaceAll(err.Error(), model+": ", "")
		res.Outcome, res.Stage, res.Reason = Failed, stage, oneLine(reason)
		return res
	}
	m, err := onnx.Import(model)
	if err != nil {
		return fail("import", err)
	}
	defer m.Close()
	f := m.Funcs[0]
	sets, err := dataSets(dir)
	if err != nil {
		return fail("load", err)
	}
	if len(sets) == 0 {
		return fail("load", fmt.Errorf("no test_data_set_* folders"))
	}
	in := interp.New(m, interp.Options{})
	for _, set := range sets {
		inputs, err := readValues(set, "input", f.Body.Params)
		if err != nil {
			return fail("load", fmt.Errorf("%s: %w", filepath.Base(set), err))
		}
		want, err := readValues(set, "output", f.Body.Results)
		if err != nil {
			return fail("load", fmt.Errorf("%s: %w", filepath.Base(set), err))
		}
		got, err := in.Run("", inputs)
		if err != nil {
			return fail("run", fmt.Errorf("%s: %w", filepath.Base(set), err))
		}
		if check := RandomTests[res.Test]; check != nil {
			if err := checkRandomOutputs(check, inputs, got, want); err != nil {
				return fail("compare", fmt.Errorf("%s: %w", filepath.Base(set), err))
			}
			res.Stage, res.Reason = "compare", CheckedRandom
			continue
		}
		for i := range want {
			if err := Compare(got[i], want[i]); err != nil {
				return fail("compare", fmt.Errorf("%s: output %d (%s): %w", filepath.Base(set), i, f.OutputNames[i], err))
			}
		}
	}
	res.Outcome = Passed
	return res
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 400 {
		s = s[:397] + "..."
	}
	return s
}

// ReadValues reads a data set's prefix_K.pb files (prefix "input" or
// "output") as the runner does: decoded by the declared types of vals,
// bfloat16 values stored as uint16 (bf16FromU16) reinterpreted.
func ReadValues(set, prefix string, vals []*ir.Value) ([]interp.Value, error) {
	return readValues(set, prefix, vals)
}

// readValues reads prefix_K.pb for K = 0..len(vals)-1, decoded according to
// the declared types of vals.
func readValues(set, prefix string, vals []*ir.Value) ([]interp.Value, error) {
	out := make([]interp.Value, len(vals))
	for i, v := range vals {
		p := filepath.Join(set, fmt.Sprintf("%s_%d.pb", prefix, i))
		x, err := onnx.ReadValueFile(p, v.Type)
		if err != nil {
			return nil, err
		}
		x = bf16FromU16(x, v.Type)
		out[i] = x
	}
	return out, nil
}

// Compare checks got against want as ONNX's runner does: same kind, dtype
// and shape; floats within RTol/ATol (NaN equals NaN); everything else exact.
func Compare(got, want interp.Value) error {
	switch w := want.(type) {
	case *interp.Tensor:
		g, ok := got.(*interp.Tensor)
		if !ok {
			return fmt.Errorf("got %v, want a tensor", got.Type())
		}
		return compareTensor(g, w)
	case *interp.Sequence:
		g, ok := got.(*interp.Sequence)
		if !ok {
			return fmt.Errorf("got %v, want a sequence", got.Type())
		}
		if len(g.Items) != len(w.Items) {
			return fmt.Errorf("sequence of %d, want %d", len(g.Items), len(w.Items))
		}
		for i := range w.Items {
			if err := Compare(g.Items[i], w.Items[i]); err != nil {
				return fmt.Errorf("sequence item %d: %w", i, err)
			}
		}
		return nil
	case *interp.Optional:
		g, ok := got.(*interp.Optional)
		if !ok {
			return fmt.Errorf("got %v, want an optional", got.Type())
		}
		if (g.Value == nil) != (w.Value == nil) {
			return fmt.Errorf("optional presence differs (got empty: %v)", g.Value == nil)
		}
		if w.Value == nil {
			return nil
		}
		return Compare(g.Value, w.Value)
	}
	return fmt.Errorf("unexpected reference value %T", want)
}

func compareTensor(g, w *interp.Tensor) error {
	if g.DType != w.DType {
		return fmt.Errorf("dtype %v, want %v", g.DType, w.DType)
	}
	if !slices.Equal(g.Shape, w.Shape) {
		return fmt.Errorf("shape %v, want %v", g.Shape, w.Shape)
	}
	bad, worst, worstAt := 0, 0.0, -1
	var gs, ws string
	n := w.Len()
	for i := 0; i < n; i++ {
		ok, diff, gv, wv := elemClose(g, w, i)
		if !ok {
			bad++
			if worstAt < 0 || diff > worst || math.IsNaN(diff) {
				worst, worstAt, gs, ws = diff, i, gv, wv
			}
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d/%d values differ (rtol %g, atol %g); worst at flat index %d: got %s, want %s", bad, n, RTol, ATol, worstAt, gs, ws)
	}
	return nil
}

func closeF(g, w float64) (bool, float64) {
	if math.IsNaN(g) || math.IsNaN(w) {
		return math.IsNaN(g) && math.IsNaN(w), math.NaN()
	}
	if math.IsInf(w, 0) || math.IsInf(g, 0) {
		return g == w, math.Inf(1)
	}
	d := math.Abs(g - w)
	return d <= ATol+RTol*math.Abs(w), d
}

func elemClose(g, w *interp.Tensor, i int) (bool, float64, string, string) {
	switch gd := g.Data.(type) {
	case []float32:
		a, b := float64(gd[i]), float64(interp.Data[float32](w)[i])
		ok, d := closeF(a, b)
		return ok, d, fmt.Sprint(gd[i]), fmt.Sprint(float32(b))
	case []float64:
		a, b := gd[i], interp.Data[float64](w)[i]
		ok, d := closeF(a, b)
		return ok, d, fmt.Sprint(a), fmt.Sprint(b)
	case []ir.Float16:
		a, b := float64(gd[i].Float32()), float64(interp.Data[ir.Float16](w)[i].Float32())
		ok, d := closeF(a, b)
		return ok, d, fmt.Sprint(a), fmt.Sprint(b)
	case []ir.BFloat16:
		a, b := float64(gd[i].Float32()), float64(interp.Data[ir.BFloat16](w)[i].Float32())
		ok, d := closeF(a, b)
		return ok, d, fmt.Sprint(a), fmt.Sprint(b)
	case []complex64:
		a, b := complex128(gd[i]), complex128(interp.Data[complex64](w)[i])
		ok1, d1 := closeF(real(a), real(b))
		ok2, d2 := closeF(imag(a), imag(b))
		return ok1 && ok2, math.Max(d1, d2), fmt.Sprint(a), fmt.Sprint(b)
	case []complex128:
		a, b := gd[i], interp.Data[complex128](w)[i]
		ok1, _ := closeF(real(a), real(b))
		ok2, _ := closeF(imag(a), imag(b))
		return ok1 && ok2, cmplx.Abs(a - b), fmt.Sprint(a), fmt.Sprint(b)
	}
	gv, wv := elemString(g, i), elemString(w, i)
	return gv == wv, 1, gv, wv
}

func elemString(t *interp.Tensor, i int) string {
	switch d := t.Data.(type) {
	case []int8:
		return fmt.Sprint(d[i])
	case []int16:
		return fmt.Sprint(d[i])
	case []int32:
		return fmt.Sprint(d[i])
	case []int64:
		return fmt.Sprint(d[i])
	case []uint8:
		return fmt.Sprint(d[i])
	case []uint16:
		return fmt.Sprint(d[i])
	case []uint32:
		return fmt.Sprint(d[i])
	case []uint64:
		return fmt.Sprint(d[i])
	case []bool:
		return fmt.Sprint(d[i])
	case []string:
		return fmt.Sprintf("%q", d[i])
	}
	return "?"
}

// bf16FromU16 reinterprets a uint16 tensor as bfloat16 when the model
// declares bfloat16: ONNX 1.12's test generator had no numpy bfloat16 and
// wrote such values as UINT16 TensorProtos holding the bfloat16 bits.
func bf16FromU16(x interp.Value, want ir.Type) interp.Value {
	t, ok := x.(*interp.Tensor)
	if !ok || t.DType != ir.U16 || !want.IsTensor() || want.DType != ir.BF16 {
		return x
	}
	u := interp.Data[uint16](t)
	b := make([]ir.BFloat16, len(u))
	for i, v := range u {
		b[i] = ir.BFloat16(v)
	}
	return interp.FromSlice(t.Shape, b)
}
