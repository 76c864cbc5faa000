package modeltest

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// Tolerances against ONNX Runtime's outputs on the shared models. Looser in
// atol than the backend suite (1e-7): these are deep float32 networks whose
// summation order differs from ORT's.
const (
	modelRTol = 1e-3
	modelATol = 1e-4
)

// repoRoot returns the folder holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, ok := testenv.RepoRoot()
	if !ok {
		t.Fatal("cannot find go.mod above the test's folder")
	}
	return dir
}

// sharedModels returns ../shared/models, skipping the test when it is absent.
func sharedModels(t testing.TB) string {
	t.Helper()
	d := filepath.Join(repoRoot(t), "..", "shared", "models")
	if _, err := os.Stat(filepath.Join(d, "README.md")); err != nil {
		t.Skipf("shared test models not found beside the repository (%s): %v", d, err)
	}
	return d
}

// importModel imports an ONNX model; every shared model must import.
func importModel(t testing.TB, path string) *ir.Module {
	t.Helper()
	m, err := onnx.Import(path)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// refCase is a reference case's case.json.
type refCase struct {
	Dir     string `json:"-"`
	Case    string `json:"case"`
	Model   string `json:"model"` // relative to the shared models folder
	Inputs  []refTensor
	Outputs []refTensor
}

type refTensor struct {
	Name  string `json:"name"`
	File  string `json:"file"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
}

// refCases reads every reference/onnx/*/case.json, sorted by case name.
func refCases(t testing.TB) []refCase {
	t.Helper()
	root := sharedModels(t)
	paths, err := filepath.Glob(filepath.Join(root, "reference", "onnx", "*", "case.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no reference cases under %s (%v)", root, err)
	}
	var out []refCase
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var c refCase
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		c.Dir = filepath.Dir(p)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Case < out[j].Case })
	return out
}

// errStats summarizes how far got is from want.
type errStats struct {
	n, bad         int
	maxAbs, maxRel float64
	worst          int // flat index of the worst violation, -1 if none
}

func (s errStats) String() string {
	return fmt.Sprintf("max abs err %.3g, max rel err %.3g, %d/%d outside rtol %g atol %g", s.maxAbs, s.maxRel, s.bad, s.n, modelRTol, modelATol)
}

// compareClose compares two tensors of one dtype and shape element by
// element: floats within rtol/atol (NaN matches NaN), others exactly.
func compareClose(got, want *interp.Tensor, rtol, atol float64) (errStats, error) {
	s := errStats{worst: -1}
	if got.DType != want.DType {
		return s, fmt.Errorf("dtype %v, want %v", got.DType, want.DType)
	}
	if fmt.Sprint(got.Shape) != fmt.Sprint(want.Shape) {
		return s, fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	g, okg := asFloat64s(got)
	w, okw := asFloat64s(want)
	if !okg || !okw {
		return s, fmt.Errorf("cannot compare %v tensors", got.DType)
	}
	exact := !got.DType.IsFloat()
	s.n = len(w)
	worstExcess := 0.0
	for i := range w {
		a, b := g[i], w[i]
		if math.IsNaN(a) || math.IsNaN(b) {
			if math.IsNaN(a) != math.IsNaN(b) {
				s.bad++
				s.worst = i
			}
			continue
		}
		d := math.Abs(a - b)
		if math.IsInf(a, 0) || math.IsInf(b, 0) {
			if a != b {
				d = math.Inf(1)
			} else {
				d = 0
			}
		}
		s.maxAbs = math.Max(s.maxAbs, d)
		if b != 0 {
			s.maxRel = math.Max(s.maxRel, d/math.Abs(b))
		}
		lim := atol + rtol*math.Abs(b)
		if exact {
			lim = 0
		}
		if d > lim {
			s.bad++
			if ex := d - lim; s.worst < 0 || ex > worstExcess {
				s.worst, worstExcess = i, ex
			}
		}
	}
	if s.bad > 0 {
		return s, fmt.Errorf("%s; worst at flat index %d: got %v, want %v", s, s.worst, g[s.worst], w[s.worst])
	}
	return s, nil
}

// asFloat64s reads a real or bool tensor as float64s (int64 is exact for
// the token ids and shapes models output, < 2^53).
func asFloat64s(t *interp.Tensor) ([]float64, bool) {
	if t.DType == ir.String || t.DType.Info().Complex {
		return nil, false
	}
	f, err := interp.CastTensor(t, ir.F64)
	if err != nil {
		return nil, false
	}
	return interp.Data[float64](f), true
}

// runKiln runs m's main function on named inputs and returns its outputs
// by name; every output must be a tensor.
func runKiln(m *ir.Module, inputs map[string]*interp.Tensor) (map[string]*interp.Tensor, error) {
	in := make(map[string]interp.Value, len(inputs))
	for k, v := range inputs {
		in[k] = v
	}
	res, err := interp.New(m, interp.Options{}).RunNamed("", in)
	if err != nil {
		return nil, err
	}
	out := map[string]*interp.Tensor{}
	for i, v := range res {
		t, ok := v.(*interp.Tensor)
		if !ok {
			return nil, fmt.Errorf("output %q is %v, not a tensor", m.Funcs[0].OutputNames[i], v.Type())
		}
		out[m.Funcs[0].OutputNames[i]] = t
	}
	return out, nil
}
