package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kiln-ml/kiln/codegen"
	"github.com/kiln-ml/kiln/internal/compiled"
	"github.com/kiln-ml/kiln/internal/safefile"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
	"github.com/kiln-ml/kiln/passes"
)

// Engines that run a model.
const (
	engineInterp   = "interp"
	engineCompiled = "compiled"
)

// progressTo is where the compiled engine reports its slow steps: stderr
// when it is a terminal or -v asks, else nowhere.
func progressTo(stderr io.Writer, verbose bool) io.Writer {
	if verbose || isTerminal(stderr) {
		return stderr
	}
	return nil
}

// modelSource names a model file for the generated header: its base name,
// format and sha256.
func modelSource(path string) (codegen.Source, error) {
	src, err := safefile.ReadFile(path)
	if err != nil {
		return codegen.Source{}, err
	}
	sum := sha256.Sum256(src)
	format := "onnx"
	if strings.HasSuffix(path, ".kir") {
		format = "kir"
	}
	return codegen.Source{Name: filepath.Base(path), Format: format, SHA256: hex.EncodeToString(sum[:])}, nil
}

// tensorInputs returns the inputs as tensors: the compiled engine takes
// no sequences or optionals.
func tensorInputs(f *ir.Func, values []tensor.Value) ([]*tensor.Tensor, error) {
	ts := make([]*tensor.Tensor, len(values))
	for i, v := range values {
		t, ok := v.(*tensor.Tensor)
		if !ok {
			return nil, fmt.Errorf("input %q is a %v; the compiled engine takes tensors only", f.InputNames[i], v.Type())
		}
		ts[i] = t
	}
	return ts, nil
}

// engineOpts are the compiled engine's code generation choices.
type engineOpts struct {
	threads  int
	simd     bool
	pipeline []*passes.Pass // run on a copy of the module before codegen
	// ranges are dims the package reads at run time (--dim NAME=LO..HI):
	// one build serves every size in them.
	ranges map[string]codegen.DimRange
}

// buildCompiled binds m's symbolic dims from the inputs' shapes (and
// given), runs eo's passes on a copy of m, and builds (or finds in the
// cache) the compiled program.
func buildCompiled(ctx context.Context, m *ir.Module, f *ir.Func, model string, inputs []tensor.Value, given map[string]int64, eo engineOpts, progress io.Writer) (*compiled.Program, error) {
	dims, err := compiled.BindValueDims(m, f, inputs, given)
	if err != nil {
		return nil, err
	}
	if dims, err = compiled.SplitRanges(dims, eo.ranges); err != nil {
		return nil, err
	}
	var ran []string
	if len(eo.pipeline) > 0 {
		m = m.Clone()
		if _, err := passes.Run(m, eo.pipeline, passes.Instrument{Verify: true}); err != nil {
			return nil, err
		}
		for _, p := range eo.pipeline {
			ran = append(ran, p.Name)
		}
	}
	src, err := modelSource(model)
	if err != nil {
		return nil, err
	}
	p, err := compiled.Build(ctx, compiled.Unit{Module: m, Dims: dims, Ranges: eo.ranges, Source: src}, compiled.Options{
		KilnVersion: versionLine(),
		BuildID:     buildID(),
		Threads:     eo.threads,
		SIMD:        eo.simd,
		Passes:      ran,
		Progress:    progress,
	})
	if err != nil {
		where := model
		if len(dims) > 0 {
			where += " (" + compiled.DimsList(dims) + ")"
		}
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return p, nil
}

// runCompiledOnce builds the compiled program for the inputs' shapes (or
// takes it from the cache) and runs it once in a child process. It
// returns the outputs and the time spent compiling and building. The
// run (the child) ends with ctx; the error is then ctx's.
func runCompiledOnce(ctx context.Context, m *ir.Module, f *ir.Func, model string, values []tensor.Value, progress io.Writer) ([]tensor.Value, time.Duration, error) {
	start := time.Now()
	p, err := buildCompiled(ctx, m, f, model, values, nil, engineOpts{}, progress)
	build := time.Since(start)
	if err != nil {
		return nil, build, err
	}
	types := make([]ir.Type, len(f.Body.Results))
	for i, r := range f.Body.Results {
		types[i] = r.Type
	}
	res, err := p.RunValues(ctx, "model", values, types, nil)
	if err != nil {
		return nil, build, err
	}
	return res, build, nil
}

var (
	buildIDOnce sync.Once
	buildIDText string
)

// buildID tells this kiln binary from others with the same version line:
// empty when the version names a clean commit, else the sha256 of the
// executable (a build from a modified tree, or one whose commit Go could
// not record, says nothing about its code generator otherwise).
func buildID() string {
	buildIDOnce.Do(func() {
		v := versionLine()
		if strings.Contains(v, ", revision ") && !strings.Contains(v, "revision unknown") && !strings.Contains(v, "+dirty") {
			return
		}
		exe, err := os.Executable()
		if err != nil {
			buildIDText = "unknown:" + v
			return
		}
		f, err := os.Open(exe)
		if err != nil {
			buildIDText = "unknown:" + exe
			return
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			buildIDText = "unknown:" + exe
			return
		}
		buildIDText = hex.EncodeToString(h.Sum(nil))
	})
	return buildIDText
}

// splitDimSpecs separates --dim ranges (NAME=LO..HI), which the compiled
// package reads at run time, from sizes (NAME=N). Each range also sizes
// the random inputs, at HI (NAME=HI is among the sizes returned).
func splitDimSpecs(specs []string) ([]string, map[string]codegen.DimRange, error) {
	var sizes []string
	var ranges map[string]codegen.DimRange
	for _, spec := range specs {
		name, val, _ := strings.Cut(spec, "=")
		if !strings.Contains(val, "..") {
			sizes = append(sizes, spec)
			continue
		}
		_, r, err := parseDimFlags([]string{spec})
		if err != nil {
			return nil, nil, err
		}
		if ranges == nil {
			ranges = map[string]codegen.DimRange{}
		}
		if _, dup := ranges[name]; dup {
			return nil, nil, fmt.Errorf("--dim %s: %s is bound twice", spec, name)
		}
		ranges[name] = r[name]
		sizes = append(sizes, fmt.Sprintf("%s=%d", name, r[name].Max))
	}
	return sizes, ranges, nil
}
