package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/frontend/onnx/onnxtest"
	"github.com/kiln-ml/kiln/internal/compiled"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// compiledTest is one backend test prepared for the compiled engine: its
// unit in the shared program, or the result it already has (a model that
// does not import, data that does not read).
type compiledTest struct {
	dir     string
	sets    []string // test_data_set_* folders
	units   []string // the unit each set runs in: one per distinct dim binding
	params  []*ir.Value
	results []*ir.Value
	outputs []string
	done    *onnxtest.Result
}

// conformanceCompiled runs the tests with the compiled engine: every model
// codegen accepts is compiled into one program (one build for the whole
// run), then each test runs in its own process of that program, under the
// time limit and a soft memory limit (GOMEMLIMIT: the generated code
// allocates its arena once, so nothing grows without bound), and its
// outputs are compared as the interpreter engine's are. Models codegen refuses fail at stage "compile" with its reason.
func conformanceCompiled(ctx context.Context, dirs []string, workers int, timeout time.Duration, memLimit int64, progress io.Writer, perTest func(done, total int, r onnxtest.Result)) ([]onnxtest.Result, error) {
	tests := make([]*compiledTest, len(dirs))
	units := make([][]compiled.Unit, len(dirs))
	var wg sync.WaitGroup
	jobs := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				tests[i], units[i] = prepareCompiledTest(dirs[i], fmt.Sprintf("t%d", i))
			}
		}()
	}
	for i := range dirs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	var set []compiled.Unit
	imported := 0
	for i := range dirs {
		set = append(set, units[i]...)
		if len(units[i]) > 0 {
			imported++
		}
	}
	if progress != nil {
		fmt.Fprintf(progress, "kiln conformance: %d of %d models imported; compiling them into one program\n", imported, len(dirs))
	}
	var p *compiled.Program
	errs := map[string]error{}
	if len(set) > 0 {
		var err error
		p, errs, err = compiled.BuildSet(ctx, set, compiled.Options{KilnVersion: versionLine(), BuildID: buildID(), Progress: progress})
		if err != nil {
			return nil, err
		}
	}
	for _, us := range units {
		// The modules are not needed once built (a test's units share one).
		if len(us) > 0 {
			us[0].Module.Close()
		}
	}
	for i, t := range tests {
		if t.done != nil {
			continue
		}
		for _, u := range units[i] {
			if err := errs[u.Name]; err != nil {
				r := onnxtest.TestID(dirs[i])
				r.Outcome, r.Stage, r.Reason = onnxtest.Failed, "compile", oneLine(err.Error())
				t.done = &r
				break
			}
		}
	}
	index := map[string]*compiledTest{}
	for _, t := range tests {
		index[t.dir] = t
	}
	return onnxtest.RunAll(dirs, onnxtest.RunOptions{Workers: workers, Timeout: timeout, Progress: perTest, Run: func(dir string, timeout time.Duration) onnxtest.Result {
		t := index[dir]
		if t.done != nil {
			return *t.done
		}
		return runCompiledTest(ctx, p, t, timeout, memLimit)
	}}), nil
}

// prepareCompiledTest imports dir's model and binds its dims from each
// data set's inputs: each distinct binding is a unit of its own (named
// unit, unit.1, ...), since the generated code is static-shaped. No units
// means the test's result is known already (t.done).
func prepareCompiledTest(dir, unit string) (t *compiledTest, units []compiled.Unit) {
	t = &compiledTest{dir: dir}
	failed := func(stage string, err error) (*compiledTest, []compiled.Unit) {
		r := onnxtest.TestID(dir)
		r.Outcome, r.Stage, r.Reason = onnxtest.Failed, stage, oneLine(strings.ReplaceAll(err.Error(), filepath.Join(dir, "model.onnx")+": ", ""))
		t.done = &r
		return t, nil
	}
	defer func() {
		if r := recover(); r != nil {
			t, units = failed("import", fmt.Errorf("internal error (a bug in kiln): %v", r))
		}
	}()
	model := filepath.Join(dir, "model.onnx")
	m, err := onnx.Import(model)
	if err != nil {
		return failed("import", err)
	}
	f := m.Funcs[0]
	t.params, t.results, t.outputs = f.Body.Params, f.Body.Results, f.OutputNames
	if t.sets, err = dataSets(dir); err != nil || len(t.sets) == 0 {
		m.Close()
		if err == nil {
			err = fmt.Errorf("no test_data_set_* folders")
		}
		return failed("load", err)
	}
	src, _ := modelSource(model)
	byBinding := map[string]string{}
	for _, set := range t.sets {
		vals, err := readTestValues(set, "input", t.params)
		if err != nil {
			m.Close()
			return failed("load", fmt.Errorf("%s: %w", filepath.Base(set), err))
		}
		dims, err := compiled.BindValueDims(m, f, vals, nil)
		if err != nil {
			m.Close()
			return failed("load", fmt.Errorf("%s: %w", filepath.Base(set), err))
		}
		key := compiled.DimsList(dims)
		name, ok := byBinding[key]
		if !ok {
			name = unit
			if len(units) > 0 {
				name = fmt.Sprintf("%s.%d", unit, len(units))
			}
			byBinding[key] = name
			units = append(units, compiled.Unit{Name: name, Module: m, Dims: dims, Source: src})
		}
		t.units = append(t.units, name)
	}
	return t, units
}

// runCompiledTest runs every data set of t in the program and compares
// the outputs.
func runCompiledTest(ctx context.Context, p *compiled.Program, t *compiledTest, timeout time.Duration, memLimit int64) onnxtest.Result {
	start := time.Now()
	r := onnxtest.TestID(t.dir)
	fail := func(stage string, err error) onnxtest.Result {
		r.Outcome, r.Stage, r.Reason = onnxtest.Failed, stage, oneLine(err.Error())
		r.Time = time.Since(start)
		return r
	}
	if p == nil {
		return fail("compile", fmt.Errorf("no program was built (a bug in kiln)"))
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for k, set := range t.sets {
		name := filepath.Base(set)
		vals, err := readTestValues(set, "input", t.params)
		if err != nil {
			return fail("load", fmt.Errorf("%s: %w", name, err))
		}
		want, err := readTestValues(set, "output", t.results)
		if err != nil {
			return fail("load", fmt.Errorf("%s: %w", name, err))
		}
		outTypes := make([]ir.Type, len(t.results))
		for i, r := range t.results {
			outTypes[i] = r.Type
		}
		got, err := p.RunValues(ctx, t.units[k], vals, outTypes, []string{fmt.Sprintf("GOMEMLIMIT=%dB", memLimit)})
		if err != nil {
			if ctx.Err() == context.DeadlineExceeded {
				r.Outcome, r.Stage, r.Reason = onnxtest.Failed, "timeout", fmt.Sprintf("no result within %v", timeout)
				r.Time = time.Since(start)
				return r
			}
			return fail("run", fmt.Errorf("%s: %w", name, err))
		}
		// Random draws are checked on their statistics, as the
		// interpreter's are: no two generators draw the same values.
		if random, err := onnxtest.CheckRandom(r.Test, vals, got, want); random {
			if err != nil {
				return fail("compare", fmt.Errorf("%s: %w", name, err))
			}
			r.Stage, r.Reason = "compare", onnxtest.CheckedRandom
			continue
		}
		for i := range want {
			if err := onnxtest.Compare(got[i], want[i]); err != nil {
				return fail("compare", fmt.Errorf("%s: output %d (%s): %w", name, i, t.outputs[i], err))
			}
		}
	}
	r.Outcome = onnxtest.Passed
	r.Time = time.Since(start)
	return r
}

// dataSets lists dir's test_data_set_* folders, sorted.
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

// readTestValues reads set/prefix_K.pb for each of vals, decoded by its
// declared type.
func readTestValues(set, prefix string, vals []*ir.Value) ([]tensor.Value, error) {
	return onnxtest.ReadValues(set, prefix, vals)
}

// oneLine folds a multi-line reason into one report line of at most 400
// bytes.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 400 {
		s = s[:397] + "..."
	}
	return s
}
