package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-ml/kiln/frontend/gguf"
	"github.com/kiln-ml/kiln/internal/safefile"
	"github.com/kiln-ml/kiln/llm"
)

// The language-model commands: generate, logits and perplexity over a
// GGUF file, run by the llm package.

func init() {
	commands = append(commands,
		command{
			name:    "generate",
			usage:   "kiln generate MODEL.gguf --prompt TEXT [-n N] [--temp T --top-k K --top-p P --seed S] [--ids] [--stats] [--engine interp|compiled] [--threads N] [--simd]",
			summary: "continue a prompt with a GGUF language model (greedy at --temp 0)",
			run:     runGenerate,
		},
		command{
			name:    "logits",
			usage:   "kiln logits MODEL.gguf --prompt TEXT [--engine interp|compiled] [--threads N] [--simd]",
			summary: "print the logits after the prompt's last token, one per line",
			run:     runLogits,
		},
		command{
			name:    "perplexity",
			usage:   "kiln perplexity MODEL.gguf --file TEXT [--ctx N] [--engine interp|compiled] [--threads N] [--simd]",
			summary: "perplexity of a text file as llama.cpp's llama-perplexity computes it",
			run:     runPerplexity,
		})
}

// loadLLM loads a GGUF model with llama.cpp's F16 KV cache rounding.
func loadLLM(path string) (*llm.Model, error) {
	return llm.Load(path, gguf.LiftOptions{KVF16: true})
}

func runGenerate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("generate", stderr)
	prompt := fs.String("prompt", "", "the text to continue")
	n := fs.Int("n", 32, "tokens to generate at most")
	temp := fs.Float64("temp", 0, "sampling temperature; 0 is greedy")
	topK := fs.Int("top-k", 40, "sample among the K most likely tokens (0: all)")
	topP := fs.Float64("top-p", 0.95, "sample among the most likely tokens whose probability reaches P")
	seed := fs.Int64("seed", 1, "random seed for sampling")
	ids := fs.Bool("ids", false, "print one line of token ids (the prompt's with BOS, then the generated ones) instead of text")
	stats := fs.Bool("stats", false, "print prefill_tok_s=, decode_tok_s= and peak_rss_mb= lines after the output")
	lf := addLLMFlags(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return usageError(fs, "want exactly one model")
	}
	if *n < 0 {
		return usageError(fs, "-n %d must be >= 0", *n)
	}
	if _, err := llm.NewSampler(llm.Sampling{Temp: *temp, TopK: *topK, TopP: *topP}); err != nil {
		return usageError(fs, "%v", err)
	}
	if code, ok := lf.check(fs, "generate", stderr); !ok {
		return code
	}
	r, err := openLLM(context.Background(), fs.Arg(0), lf, stderr)
	if err != nil {
		return fail(stderr, "generate", err)
	}
	defer r.close()
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	pids := r.tok.Encode(*prompt, true)
	if len(pids) == 0 {
		return fail(stderr, "generate", fmt.Errorf("the prompt has no tokens"))
	}
	if !*ids {
		fmt.Fprint(w, *prompt)
		w.Flush()
	}
	// The first call evaluates the prompt; each later one a token.
	var prefill, decode time.Duration
	var decoded int
	last := time.Now()
	var pending []byte // a piece may end inside a UTF-8 sequence
	out, err := llm.GenerateWith(r.eng, r.tok, pids, *n, llm.Sampling{Temp: *temp, TopK: *topK, TopP: *topP, Seed: *seed}, func(id int32) error {
		now := time.Now()
		if prefill == 0 {
			prefill = now.Sub(last)
		} else {
			decode += now.Sub(last)
			decoded++
		}
		if !*ids && !r.tok.IsEOG(id) {
			pending = append(pending, r.tok.Piece(id, false)...)
			k := completeUTF8(pending)
			w.Write(pending[:k])
			pending = append(pending[:0], pending[k:]...)
			w.Flush()
		}
		last = time.Now()
		return nil
	})
	if err != nil {
		return fail(stderr, "generate", err)
	}
	if *ids {
		all := make([]string, 0, len(pids)+len(out))
		for _, id := range append(append([]int32{}, pids...), out...) {
			all = append(all, strconv.Itoa(int(id)))
		}
		fmt.Fprintln(w, strings.Join(all, " "))
	} else {
		w.Write(pending)
		fmt.Fprintln(w)
	}
	if *stats {
		fmt.Fprintf(w, "prefill_tok_s=%.2f\n", rate(len(pids), prefill))
		fmt.Fprintf(w, "decode_tok_s=%.2f\n", rate(decoded, decode))
		fmt.Fprintf(w, "peak_rss_mb=%.1f\n", r.rss())
	}
	return exitOK
}

// completeUTF8 returns the length of b's longest prefix that does not end
// inside a UTF-8 sequence.
func completeUTF8(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-4; i-- {
		c := b[i]
		if c < 0x80 {
			return len(b)
		}
		if c >= 0xC0 {
			need := 2
			if c >= 0xF0 {
				need = 4
			} else if c >= 0xE0 {
				need = 3
			}
			if len(b)-i >= need {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func runLogits(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("logits", stderr)
	prompt := fs.String("prompt", "", "the text to evaluate")
	lf := addLLMFlags(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return usageError(fs, "want exactly one model")
	}
	if code, ok := lf.check(fs, "logits", stderr); !ok {
		return code
	}
	r, err := openLLM(context.Background(), fs.Arg(0), lf, stderr)
	if err != nil {
		return fail(stderr, "logits", err)
	}
	defer r.close()
	ids := r.tok.Encode(*prompt, true)
	if len(ids) == 0 {
		return fail(stderr, "logits", fmt.Errorf("the prompt has no tokens"))
	}
	rows, err := r.eng.Eval(ids, false)
	if err != nil {
		return fail(stderr, "logits", err)
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	for _, v := range rows[len(rows)-1] {
		w.WriteString(strconv.FormatFloat(float64(v), 'g', -1, 32))
		w.WriteByte('\n')
	}
	return exitOK
}

func runPerplexity(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("perplexity", stderr)
	file := fs.String("file", "", "the text file to score")
	ctx := fs.Int("ctx", 512, "tokens per chunk (at most the model's context)")
	lf := addLLMFlags(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return usageError(fs, "want exactly one model")
	}
	if *file == "" {
		return usageError(fs, "--file is required")
	}
	if code, ok := lf.check(fs, "perplexity", stderr); !ok {
		return code
	}
	text, err := safefile.ReadFile(*file)
	if err != nil {
		return fail(stderr, "perplexity", err)
	}
	r, err := openLLM(context.Background(), fs.Arg(0), lf, stderr)
	if err != nil {
		return fail(stderr, "perplexity", err)
	}
	defer r.close()
	ids := r.tok.Encode(string(text), true)
	fmt.Fprintf(stderr, "perplexity: %d tokens, %d chunks of %d\n", len(ids), len(ids)/max(*ctx, 1), *ctx)
	res, err := llm.PerplexityWith(r.eng, r.tok.BOS(), ids, *ctx, func(c, n int, ppl float64) {
		fmt.Fprintf(stderr, "[%d/%d] %.4f\n", c, n, ppl)
	})
	if err != nil {
		return fail(stderr, "perplexity", err)
	}
	fmt.Fprintf(stdout, "Final estimate: PPL = %.4f +/- %.5f\n", res.PPL, res.PlusMinus)
	return exitOK
}
