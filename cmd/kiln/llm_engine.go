package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"

	"github.com/kiln-ml/kiln/frontend/gguf"
	"github.com/kiln-ml/kiln/internal/compiled"
	"github.com/kiln-ml/kiln/llm"
	"github.com/kiln-ml/kiln/tokenizer"
)

// llmFlags are the engine flags of generate, logits and perplexity.
type llmFlags struct {
	engine  *string
	threads *int
	simd    *bool
	verbose *bool
}

func addLLMFlags(fs *flag.FlagSet) llmFlags {
	return llmFlags{
		engine:  fs.String("engine", "interp", "what runs the model: interp (the reference interpreter) or compiled (kiln compile's package, built into the cache)"),
		threads: fs.Int("threads", 1, "goroutines sharing each linear layer and the attention's heads in the compiled engine (1 to 256); results do not depend on it"),
		simd:    fs.Bool("simd", runtime.GOARCH == "amd64", "compiled engine: build with GOEXPERIMENT=simd, so that a processor with AVX2 and FMA runs the vector block kernels (same results)"),
		verbose: fs.Bool("v", false, "report compiling and building on stderr (the compiled engine)"),
	}
}

// check validates --threads (a usage error) and --engine (a failure, as
// the interpreter-only commands reported it).
func (f llmFlags) check(fs *flag.FlagSet, cmd string, stderr io.Writer) (int, bool) {
	if *f.threads < 1 || *f.threads > 256 {
		return usageError(fs, "--threads %d: want 1 to 256", *f.threads), false
	}
	switch *f.engine {
	case "interp", "compiled":
		return 0, true
	}
	return fail(stderr, cmd, fmt.Errorf("unknown --engine %q (want interp or compiled)", *f.engine)), false
}

// llmRun is a language model ready to evaluate on the chosen engine.
type llmRun struct {
	tok   *tokenizer.Tokenizer
	eng   llm.Engine
	rss   func() float64 // peak RSS of the process running the model, MiB
	close func()
}

// openLLM loads the GGUF model at path on the engine f names. The
// interpreter rounds keys and values to float16 as llama.cpp's default KV
// cache stores them; the compiled package does the same.
func openLLM(ctx context.Context, path string, f llmFlags, stderr io.Writer) (*llmRun, error) {
	if *f.engine == "interp" {
		m, err := loadLLM(path)
		if err != nil {
			return nil, err
		}
		return &llmRun{tok: m.Tokenizer, eng: m.NewSession().Engine(), rss: peakRSSMiB, close: func() { m.Close() }}, nil
	}
	var progress io.Writer
	if *f.verbose || isTerminal(stderr) {
		progress = stderr
	}
	prog, err := compiled.BuildLLM(ctx, path, compiled.LLMOptions{KilnVersion: versionLine(), BuildID: buildID(), Progress: progress, SIMD: *f.simd})
	if err != nil {
		return nil, err
	}
	gf, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.FromGGUF(gf)
	gf.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	proc, err := prog.Start(ctx, *f.threads)
	if err != nil {
		return nil, err
	}
	rss := func() float64 {
		n, err := proc.PeakRSS()
		if err != nil {
			return 0
		}
		return float64(n) / (1 << 20)
	}
	return &llmRun{tok: tok, eng: proc, rss: rss, close: func() { proc.Close() }}, nil
}
