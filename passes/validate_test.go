package passes_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/frontend/onnx/onnxtest"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
	"github.com/kiln-ml/kiln/passes"
	"github.com/kiln-ml/kiln/targets"
)

// suiteRoot holds ONNX 1.12's backend test suites (Debian's
// libonnx-testdata).
const suiteRoot = "/usr/share/libonnx-testdata/data"

// builtinPipelines returns each distinct pipeline of the built-in target
// profiles and the default one, as names joined by commas.
func builtinPipelines(t *testing.T) []string {
	seen := []string{strings.Join(passes.Default, ",")}
	for _, p := range targets.Builtin() {
		spec := p.Passes
		if !slices.Contains(seen, spec) {
			seen = append(seen, spec)
		}
	}
	return seen
}

// Translation validation over the ONNX backend suites: every built-in
// pipeline runs, one pass at a time with the verifier after each, over
// every suite model (about 3 s for the 1,072: no sampling needed), and
// the interpreter's outputs on the test's own inputs (test_data_set_0)
// after each pass that changed the module must match those before it: bit
// for bit, or within the pass's documented tolerance (passTolerance).
// Tests the interpreter cannot run as imported, and those with random
// outputs, are left out.
func TestPipelinesOnConformanceSuites(t *testing.T) {
	if _, err := os.Stat(suiteRoot); err != nil {
		t.Skipf("no ONNX backend suites: %v", err)
	}
	var dirs []string
	for _, s := range []string{"node", "simple", "pytorch-converted", "pytorch-operator"} {
		dirs = append(dirs, filepath.Join(suiteRoot, s))
	}
	tests, err := onnxtest.FindTests(dirs...)
	if err != nil {
		t.Fatal(err)
	}
	pipelines := builtinPipelines(t)
	start := time.Now()
	ran, changed := 0, 0
	for _, dir := range tests {
		name := filepath.Base(filepath.Dir(dir)) + "/" + filepath.Base(dir)
		if onnxtest.RandomTests[filepath.Base(dir)] != nil {
			continue
		}
		m, err := onnx.Import(filepath.Join(dir, "model.onnx"))
		if err != nil {
			continue
		}
		inputs, err := suiteInputs(dir, m)
		if err != nil {
			m.Close()
			continue
		}
		want, err := interp.New(m, interp.Options{}).Run("", inputs)
		if err != nil {
			m.Close()
			continue
		}
		for _, spec := range pipelines {
			n, err := validatePipeline(m.Clone(), spec, inputs, want)
			changed += n
			if err != nil {
				t.Errorf("%s: %s: %v", name, spec, err)
			}
		}
		m.Close()
		ran++
	}
	t.Logf("%d suite models validated (%d found), %d pass runs changed a module, in %v", ran, len(tests), changed, time.Since(start).Round(time.Millisecond))
	if ran < len(tests)/2 {
		t.Errorf("only %d of %d suite models ran", ran, len(tests))
	}
}

// Translation validation over the shared models, on every reference case
// of each (prefill and decode step, both sampling rates): every built-in
// pipeline, pass by pass, within each pass's tolerance; after every pass
// that changed it, the module prints to text that parses back to a module
// printing the same; and with its fused ops unfused at the end it gives
// the same outputs bit for bit.
func TestPipelinesOnSharedModels(t *testing.T) {
	models := testenv.SharedONNXModels()
	if len(models) == 0 {
		t.Skip("no shared models")
	}
	cases := referenceCases(t)
	for _, path := range models {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			m, err := onnx.Import(path)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			var sets [][]interp.Value
			for _, files := range cases[name] {
				var in []interp.Value
				for _, f := range files {
					x, err := tensor.ReadNPYFile(f)
					if err != nil {
						t.Fatal(err)
					}
					in = append(in, x)
				}
				sets = append(sets, in)
			}
			for _, spec := range builtinPipelines(t) {
				pipeline, err := passes.ParsePipeline(spec, nil)
				if err != nil {
					t.Fatal(err)
				}
				mm := m.Clone()
				want := make([][]interp.Value, len(sets))
				for i, in := range sets {
					if want[i], err = interp.New(mm, interp.Options{}).Run("", in); err != nil {
						t.Fatal(err)
					}
				}
				text := mm.String()
				for _, p := range pipeline {
					if _, err := passes.Run(mm, []*passes.Pass{p}, passes.Instrument{Verify: true}); err != nil {
						t.Fatalf("%s: %v", p.Name, err)
					}
					after := mm.String()
					if after == text {
						continue // nothing changed: nothing to run again
					}
					text = after
					back, err := ir.Parse(name+".kir", []byte(text), ir.ParseOptions{})
					if err != nil {
						t.Fatalf("after %s: the text does not parse: %v", p.Name, err)
					}
					if back.String() != text {
						t.Fatalf("after %s: the text does not print back identically", p.Name)
					}
					for i, in := range sets {
						got, err := interp.New(mm, interp.Options{}).Run("", in)
						if err != nil {
							t.Fatalf("after %s, case %d: %v", p.Name, i, err)
						}
						wa, wr, err := measureOutputs(p.Name, want[i], got)
						if err != nil {
							t.Fatalf("after %s, case %d: %v", p.Name, i, err)
						}
						if wa > 0 {
							t.Logf("after %s, case %d: max abs difference %.3g, max relative %.3g", p.Name, i, wa, wr)
						}
						want[i] = got
					}
				}
				// Unfusing the epilogues (what codegen does with a fused op
				// it has no kernel for) gives the same outputs bit for bit.
				for _, f := range mm.Funcs {
					if _, err := ir.Unfuse(f.Body); err != nil {
						t.Fatal(err)
					}
				}
				if err := ir.Verify(mm); err != nil {
					t.Fatalf("unfused: %v", err)
				}
				for i, in := range sets {
					got, err := interp.New(mm, interp.Options{}).Run("", in)
					if err != nil {
						t.Fatalf("unfused, case %d: %v", i, err)
					}
					if err := compareOutputs("unfuse", want[i], got); err != nil {
						t.Fatalf("unfused, case %d: %v", i, err)
					}
				}
			}
		})
	}
}

// validatePipeline runs spec over m pass by pass and compares outputs on
// inputs after each with those before it (want, then each pass's). It
// returns how many passes changed the module's text.
func validatePipeline(m *ir.Module, spec string, inputs []interp.Value, want []interp.Value) (int, error) {
	pipeline, err := passes.ParsePipeline(spec, nil)
	if err != nil {
		return 0, err
	}
	changed := 0
	text := m.String()
	for _, p := range pipeline {
		if _, err := passes.Run(m, []*passes.Pass{p}, passes.Instrument{Verify: true}); err != nil {
			return changed, fmt.Errorf("%s: %v", p.Name, err)
		}
		if t := m.String(); t != text {
			changed++
			text = t
		} else {
			continue
		}
		got, err := interp.New(m, interp.Options{}).Run("", inputs)
		if err != nil {
			return changed, fmt.Errorf("after %s: %v", p.Name, err)
		}
		if err := compareOutputs(p.Name, want, got); err != nil {
			return changed, fmt.Errorf("after %s: %v", p.Name, err)
		}
		want = got
	}
	return changed, nil
}

// compareOutputs compares outputs after pass with those before it: float32
// tensors within the pass's tolerance when it has one, everything else bit
// for bit (NaN equal to NaN).
func compareOutputs(pass string, want, got []interp.Value) error {
	_, _, err := measureOutputs(pass, want, got)
	return err
}

// measureOutputs is compareOutputs that also returns the largest absolute
// difference of the float32 outputs and the largest relative one (where
// the value before is not 0).
func measureOutputs(pass string, want, got []interp.Value) (worstAbs, worstRel float64, err error) {
	if len(want) != len(got) {
		return 0, 0, fmt.Errorf("%d outputs, want %d", len(got), len(want))
	}
	atol, rtol, tolerant := passes.PassToleranceFor(pass)
	for i := range want {
		w, ok1 := want[i].(*tensor.Tensor)
		g, ok2 := got[i].(*tensor.Tensor)
		if !ok1 || !ok2 {
			if ok1 != ok2 {
				return 0, 0, fmt.Errorf("output %d: %T, want %T", i, got[i], want[i])
			}
			continue
		}
		if !w.Type().Equal(g.Type()) {
			return 0, 0, fmt.Errorf("output %d: %v, want %v", i, g.Type(), w.Type())
		}
		if w.DType == ir.F32 {
			a, b := tensor.Data[float32](w), tensor.Data[float32](g)
			for j := range a {
				x, y := float64(a[j]), float64(b[j])
				same := math.Float32bits(a[j]) == math.Float32bits(b[j]) || (math.IsNaN(x) && math.IsNaN(y))
				if !same && (!tolerant || !(math.Abs(x-y) <= atol+rtol*math.Abs(x))) {
					return 0, 0, fmt.Errorf("output %d element %d: %v, want %v", i, j, b[j], a[j])
				}
				if !same {
					worstAbs = max(worstAbs, math.Abs(x-y))
					if x != 0 {
						worstRel = max(worstRel, math.Abs(x-y)/math.Abs(x))
					}
				}
			}
			continue
		}
		wb, err1 := tensor.EncodeBytes(w)
		gb, err2 := tensor.EncodeBytes(g)
		if err1 != nil || err2 != nil || string(wb) != string(gb) {
			return 0, 0, fmt.Errorf("output %d (%v) differs", i, w.Type())
		}
	}
	return worstAbs, worstRel, nil
}

// suiteInputs reads test_data_set_0's inputs of a backend test.
func suiteInputs(dir string, m *ir.Module) ([]interp.Value, error) {
	f := m.Funcs[0]
	var in []interp.Value
	for i, p := range f.Body.Params {
		x, err := onnx.ReadValueFile(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("input_%d.pb", i)), p.Type)
		if err != nil {
			return nil, err
		}
		in = append(in, x)
	}
	return in, nil
}

// referenceCases maps each shared model's file name to the input files of
// each of its reference cases, in case order.
func referenceCases(t *testing.T) map[string][][]string {
	out := map[string][][]string{}
	ref, ok := testenv.Shared("models", "reference", "onnx")
	if !ok {
		return out
	}
	files, _ := filepath.Glob(filepath.Join(ref, "*", "case.json"))
	slices.Sort(files)
	for _, c := range files {
		b, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		var cs struct {
			Model  string `json:"model"`
			Inputs []struct {
				File string `json:"file"`
			} `json:"inputs"`
		}
		if err := json.Unmarshal(b, &cs); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		var in []string
		for _, x := range cs.Inputs {
			in = append(in, filepath.Join(filepath.Dir(c), x.File))
		}
		out[filepath.Base(cs.Model)] = append(out[filepath.Base(cs.Model)], in)
	}
	return out
}
