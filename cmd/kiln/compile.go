package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/codegen"
	"github.com/kiln-ml/kiln/internal/safefile"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/passes"
	"github.com/kiln-ml/kiln/targets"
)

func init() {
	commands = append(commands, command{
		name:    "compile",
		usage:   "kiln compile MODEL|FILE.kir -o DIR [--package NAME] [--dim NAME=N | NAME=LO..HI ...] [--weights embed|file] [--threads N] [--simd] [--passes LIST | --target PROFILE [--allow-over-budget]]",
		summary: "compile a model into a Go package that needs only the standard library, with manifest.json",
		run:     runCompile,
	})
}

// runtimeOverhead is what a compiled model's process holds besides its
// weights and activations, for the RAM-budget check: the Go runtime, the
// code and the stacks. A compiled mnist-8 (under 1 MiB of weights and
// arena) peaks at 2.7 MiB resident (kiln bench, 2026-12-03); 4 MiB leaves
// room for larger code.
const runtimeOverhead = 4 << 20

func runCompile(args []string, stdout, stderr io.Writer) int {
	if ggufArg(args) {
		return runCompileLLM(args, stdout, stderr)
	}
	fs := newFlags("compile", stderr)
	out := fs.String("o", "", "write the package into `DIR` (created if missing)")
	pkg := fs.String("package", "", "the generated package's `NAME` (default: the folder's name when it is a Go identifier, else model)")
	weights := fs.String("weights", "embed", "where the package finds its weights: `embed` (go:embed) or file (weights.bin beside the binary)")
	threads := fs.Int("threads", 1, "split each GEMM over `N` goroutines (1 to 256; default: the --target profile's count when it names one, else 1); results do not depend on it")
	simd := fs.Bool("simd", false, "write the GEMM's vector micro-kernel: AVX2 FMA through simd/archsimd when the package is built with GOEXPERIMENT=simd for amd64, portable loops otherwise (default: on for a --target profile with avx2 and fma on amd64)")
	pf := addPipelineFlags(fs, "none")
	overBudget := fs.Bool("allow-over-budget", false, "compile even when the model does not fit the --target profile's RAM budget")
	var dims listFlag
	fs.Var(&dims, "dim", "bind a symbolic dim to one size, `NAME=N`, or give it a range NAME=LO..HI that the package reads from its inputs at run time (repeatable); a symbol given neither takes its bounds from the model or the --target profile")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return usageError(fs, "want exactly one model")
	}
	if *out == "" {
		return usageError(fs, "-o DIR is required")
	}
	if *weights != "embed" && *weights != "file" {
		return usageError(fs, "--weights %s: want embed or file", *weights)
	}
	if *threads < 1 || *threads > 256 {
		return usageError(fs, "--threads %d: want 1 to 256", *threads)
	}
	pipeline, err := pf.pipeline()
	if err != nil {
		return pipelineFailure(fs, stderr, "compile", err)
	}
	bind, ranges, err := parseDimFlags(dims)
	if err != nil {
		return usageError(fs, "%v", err)
	}
	name := *pkg
	if name == "" {
		name = "model"
		if base := filepath.Base(filepath.Clean(*out)); isGoPackageName(base) {
			name = base
		}
	}
	path := fs.Arg(0)
	src, err := modelSource(path)
	if err != nil {
		return fail(stderr, "compile", err)
	}
	m, err := loadModel(path)
	if err != nil {
		return fail(stderr, "compile", err)
	}
	defer m.Close()
	var ran []string
	if _, err := passes.Run(m, pipeline, passes.Instrument{Verify: true, Out: stderr}); err != nil {
		return fail(stderr, "compile", fmt.Errorf("%s: %w", path, err))
	}
	for _, p := range pipeline {
		ran = append(ran, p.Name)
	}
	var prof *targets.Profile
	var target *codegen.ManifestTarget
	if *pf.target != "" {
		if prof, err = targets.Lookup(*pf.target); err != nil {
			return usageError(fs, "%v", err)
		}
		profileRanges(m, prof, bind, ranges)
		applyTargetDefaults(fs, prof, threads, simd)
		if err := checkTargetDTypes(m, prof); err != nil {
			return fail(stderr, "compile", fmt.Errorf("%s: %w", path, err))
		}
		target = manifestTarget(prof)
	}
	p, err := codegen.Compile(m, codegen.Options{
		Package:     name,
		Dims:        bind,
		Ranges:      ranges,
		Weights:     codegen.WeightsMode(*weights),
		Source:      src,
		KilnVersion: versionLine(),
		Threads:     *threads,
		SIMD:        *simd,
		Passes:      ran,
		Target:      target,
	})
	if err != nil {
		return fail(stderr, "compile", fmt.Errorf("%s: %w", path, err))
	}
	if prof != nil && !*overBudget {
		if err := prof.CheckBudget(p.Manifest.Weights.Bytes, p.Manifest.Memory.PeakBytes, runtimeOverhead); err != nil {
			return fail(stderr, "compile", fmt.Errorf("%s: %w", path, err))
		}
	}
	if err := os.MkdirAll(*out, 0o777); err != nil {
		return fail(stderr, "compile", err)
	}
	for _, f := range p.FileNames() {
		dst := filepath.Join(*out, f)
		if err := safefile.Check(dst, path); err != nil {
			return fail(stderr, "compile", err)
		}
	}
	for _, f := range p.FileNames() {
		if err := safefile.WriteFile(filepath.Join(*out, f), p.Files[f]); err != nil {
			return fail(stderr, "compile", err)
		}
	}
	// A Go file an earlier compile wrote and this one does not (gemm.go for
	// a model without GEMMs) would join the package: remove it.
	for _, f := range codegen.GeneratedFiles() {
		if _, ok := p.Files[f]; ok || !strings.HasSuffix(f, ".go") {
			continue
		}
		dst := filepath.Join(*out, f)
		if b, err := safefile.ReadFile(dst); err == nil && strings.HasPrefix(string(b), codegen.GeneratedHeader) {
			if err := os.Remove(dst); err != nil {
				return fail(stderr, "compile", err)
			}
		}
	}
	mem := p.Manifest.Memory
	fmt.Fprintf(stdout, "wrote package %s to %s: %d kernels, %d weights (%d bytes), arena %d bytes, scratch %d bytes\n",
		name, *out, len(p.Manifest.Kernels), len(p.Manifest.Weights.Tensors), p.Manifest.Weights.Bytes, mem.ArenaBytes, mem.ScratchBytes)
	return exitOK
}

// isGoPackageName reports whether s can name a generated library package.
func isGoPackageName(s string) bool {
	if s == "" || s == "main" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// parseDimFlags reads --dim values: NAME=N binds a dim to one size,
// NAME=LO..HI gives it a range read at run time.
func parseDimFlags(dims []string) (map[string]int64, map[string]codegen.DimRange, error) {
	bind := map[string]int64{}
	ranges := map[string]codegen.DimRange{}
	for _, d := range dims {
		name, val, ok := strings.Cut(d, "=")
		if !ok || name == "" {
			return nil, nil, fmt.Errorf("--dim %s: want NAME=N or NAME=LO..HI with non-negative integers", d)
		}
		_, dupB := bind[name]
		_, dupR := ranges[name]
		if dupB || dupR {
			return nil, nil, fmt.Errorf("--dim %s: %s is bound twice", d, name)
		}
		if lo, hi, isRange := strings.Cut(val, ".."); isRange {
			a, err1 := strconv.ParseInt(lo, 10, 64)
			b, err2 := strconv.ParseInt(hi, 10, 64)
			if err1 != nil || err2 != nil || a < 0 || b < a {
				return nil, nil, fmt.Errorf("--dim %s: want NAME=LO..HI with 0 ≤ LO ≤ HI", d)
			}
			ranges[name] = codegen.DimRange{Min: a, Max: b}
			continue
		}
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil || n < 0 {
			return nil, nil, fmt.Errorf("--dim %s: want NAME=N or NAME=LO..HI with non-negative integers", d)
		}
		bind[name] = n
	}
	return bind, ranges, nil
}

// profileRanges gives each symbol of m's inputs that neither --dim nor
// the module bounds a range from the target profile's dim bounds: from
// the module's lower bound (1 when it declares none) to the profile's
// largest size.
func profileRanges(m *ir.Module, prof *targets.Profile, bind map[string]int64, ranges map[string]codegen.DimRange) {
	declared := map[string]ir.SymBound{}
	for _, b := range m.Syms {
		declared[b.Name] = b
	}
	for _, f := range m.Funcs {
		for _, p := range f.Body.Params {
			if !p.Type.IsTensor() || !p.Type.Shape.Ranked {
				continue
			}
			for _, d := range p.Type.Shape.Dims {
				for _, s := range d.Symbols() {
					hi, ok := prof.Dims[s]
					if _, b := bind[s]; b || !ok {
						continue
					}
					if _, r := ranges[s]; r {
						continue
					}
					lo := int64(1)
					if b, ok := declared[s]; ok {
						if b.Max >= 0 {
							continue
						}
						lo = b.Min
					}
					if hi >= lo {
						ranges[s] = codegen.DimRange{Min: lo, Max: hi}
					}
				}
			}
		}
	}
}
