package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kiln-ml/kiln/codegen"
	"github.com/kiln-ml/kiln/codegen/llmgen"
	"github.com/kiln-ml/kiln/internal/safefile"
	"github.com/kiln-ml/kiln/targets"
)

// ggufArg reports whether args name a GGUF model (a .gguf argument), which
// kiln compile hands to the language-model compiler.
func ggufArg(args []string) bool {
	for _, a := range args {
		if strings.HasSuffix(strings.ToLower(a), ".gguf") && !strings.HasPrefix(a, "-") {
			return true
		}
	}
	return false
}

// runCompileLLM is kiln compile for a GGUF language model: a Go package
// with New (or Load), sessions with a KV cache, the tokenizer and
// Generate (codegen/llmgen).
func runCompileLLM(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("compile", stderr)
	out := fs.String("o", "", "write the package into `DIR` (created if missing)")
	pkg := fs.String("package", "", "the generated package's `NAME` (default: the folder's name when it is a Go identifier, else model)")
	weights := fs.String("weights", "embed", "where the package finds its weights: `embed` (go:embed, New) or file (Load(path) reads weights.bin)")
	threads := fs.Int("threads", 0, "default goroutines sharing each linear layer and the attention's heads (1 to 256; default: the target's, else 1); results do not depend on it")
	ctx := fs.Int("ctx", 0, "positions of the KV cache (default: the target's seq bound, else the model's context length capped at 4096)")
	kv := fs.String("kv", "f16", "KV cache element type: f16 (llama.cpp's default) or f32")
	target := fs.String("target", "", "target `PROFILE` (a built-in name or a .target file): its seq bound, threads and RAM budget")
	overBudget := fs.Bool("allow-over-budget", false, "compile even when the model does not fit the --target profile's RAM budget")
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
	if *threads < 0 || *threads > 256 {
		return usageError(fs, "--threads %d: want 1 to 256", *threads)
	}
	if *ctx < 0 {
		return usageError(fs, "--ctx %d: want a positive number of positions", *ctx)
	}
	if *kv != "f16" && *kv != "f32" {
		return usageError(fs, "--kv %s: want f16 or f32", *kv)
	}
	var prof *targets.Profile
	if *target != "" {
		p, err := targets.Lookup(*target)
		if err != nil {
			if strings.ContainsRune(*target, os.PathSeparator) || strings.HasSuffix(*target, ".target") {
				return fail(stderr, "compile", err)
			}
			return usageError(fs, "%v", err)
		}
		prof = p
	}
	name := *pkg
	if name == "" {
		name = "model"
		if base := filepath.Base(filepath.Clean(*out)); isGoPackageName(base) {
			name = base
		}
	}
	if !isGoPackageName(name) {
		return usageError(fs, "--package %q is not a Go package name", name)
	}
	path := fs.Arg(0)
	p, err := llmgen.Compile(path, llmgen.Options{
		Package: name, Context: *ctx, Target: prof, Threads: *threads,
		WeightsFile: *weights == "file", KVF32: *kv == "f32", KilnVersion: versionLine(),
	})
	if err != nil {
		return fail(stderr, "compile", err)
	}
	m := p.Manifest
	if prof != nil && !*overBudget {
		// The session's scratch is small beside the weights and cache;
		// the F32 tensors decoded at load count twice.
		if err := prof.CheckBudget(m.Weights.Bytes, m.KVCache.Bytes, runtimeOverhead); err != nil {
			return fail(stderr, "compile", fmt.Errorf("%s: %w", path, err))
		}
	}
	if err := os.MkdirAll(*out, 0o777); err != nil {
		return fail(stderr, "compile", err)
	}
	for _, f := range p.FileNames() {
		if err := safefile.Check(filepath.Join(*out, f), path); err != nil {
			return fail(stderr, "compile", err)
		}
	}
	for _, f := range p.FileNames() {
		if err := safefile.WriteFile(filepath.Join(*out, f), p.Files[f]); err != nil {
			return fail(stderr, "compile", err)
		}
	}
	// Go files an earlier compile wrote (of this model kind or the
	// other) that this one does not would join the package: remove them.
	for _, f := range append(codegen.GeneratedFiles(), llmgen.GeneratedFiles()...) {
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
	fmt.Fprintf(stdout, "wrote package %s to %s: %d tensors (%s), %d weight bytes, KV cache %d bytes for %d positions (%s)\n",
		name, *out, len(m.Weights.Tensors), strings.Join(m.Kernels, " "), m.Weights.Bytes, m.KVCache.Bytes, m.Context, m.ContextFrom)
	return exitOK
}
