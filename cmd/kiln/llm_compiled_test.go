package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/internal/llamaref"
	"github.com/kiln-ml/kiln/internal/testenv"
)

// TestLLMCompiledEngine: generate, logits and perplexity with --engine
// compiled (one build into a fresh cache) print what --engine interp
// prints for greedy ids, llama.cpp's greedy
// ids, logits within the agreement bar of llama.cpp's, a sampled text
// that does not depend on --threads, and a perplexity within 0.5% of the
// interpreter's.
func TestLLMCompiledEngine(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	model, ok := testenv.Shared("models", "gguf", "stories260K-q8_0.gguf")
	if !ok {
		t.Skip("no shared GGUF files")
	}
	t.Setenv("KILN_CACHE", t.TempDir())
	run := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := runCLI(args...)
		if code != exitOK {
			t.Fatalf("kiln %s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
		return stdout
	}
	ids := []string{"generate", model, "--prompt", "Once upon a time", "--ids", "--temp", "0"}
	compiledIDs := run(append(ids, "--engine", "compiled")...)
	if interp := run(ids...); compiledIDs != interp {
		t.Errorf("--ids: compiled %q, interp %q", compiledIDs, interp)
	}
	var greedy llamaref.Greedy
	llamaref.Read(t, "llamacpp-greedy.json", &greedy)
	if got, want := strings.TrimSpace(compiledIDs), greedy.IDsLine("stories260K-q8_0.gguf"); got != want {
		t.Errorf("compiled greedy ids %q, llama.cpp %q", got, want)
	}

	text := []string{"generate", model, "--prompt", "Once upon a time", "-n", "20", "--temp", "0.8", "--seed", "7"}
	stats := run(append(text, "--engine", "compiled", "--threads", "2", "--stats")...)
	lines := strings.Split(strings.TrimSpace(stats), "\n")
	if len(lines) < 4 {
		t.Fatalf("--stats output %q", stats)
	}
	for i, key := range []string{"prefill_tok_s=", "decode_tok_s=", "peak_rss_mb="} {
		v, ok := strings.CutPrefix(lines[len(lines)-3+i], key)
		if f, err := strconv.ParseFloat(v, 64); !ok || err != nil || !(f > 0) {
			t.Errorf("stats line %q: want %s and a positive number", lines[len(lines)-3+i], key)
		}
	}
	// Sampling draws from the logits, which differ between the engines
	// in their last bits (they add in different orders): the compiled text is checked against itself at another
	// thread count, and for its form.
	compiledText := strings.Join(lines[:len(lines)-3], "\n")
	if one := strings.TrimSpace(run(append(text, "--engine", "compiled", "--threads", "1")...)); compiledText != one {
		t.Errorf("sampled text: %q at 2 threads, %q at 1", compiledText, one)
	}
	if !strings.HasPrefix(compiledText, "Once upon a time") || len(compiledText) <= len("Once upon a time") {
		t.Errorf("sampled text %q does not continue the prompt", compiledText)
	}

	out := run("logits", model, "--prompt", "Once upon a time", "--engine", "compiled")
	// The build with and without the vector block kernels (--simd, on by
	// default on amd64) prints the same logits, digit for digit.
	other := "--simd=false"
	if runtime.GOARCH != "amd64" {
		other = "--simd=true"
	}
	if o := run("logits", model, "--prompt", "Once upon a time", "--engine", "compiled", other); o != out {
		t.Errorf("kiln logits --engine compiled %s prints other logits than the default build", other)
	}
	var logits []float32
	for _, l := range strings.Fields(out) {
		v, err := strconv.ParseFloat(l, 32)
		if err != nil {
			t.Fatalf("logits line %q: %v", l, err)
		}
		logits = append(logits, float32(v))
	}
	var ref llamaref.Logits
	llamaref.Read(t, "llamacpp-logits.json", &ref)
	want := ref.Models["stories260K-q8_0.gguf"].Logits
	if len(logits) != len(want) {
		t.Fatalf("%d logits, want %d", len(logits), len(want))
	}
	if cos, rel := llamaref.Agreement(logits, want); cos < 0.9999 || rel > 0.01 {
		t.Errorf("compiled logits: cosine %.7f, max abs diff %.4f of the range", cos, rel)
	}

	story := filepath.Join(t.TempDir(), "story.txt")
	if err := os.WriteFile(story, []byte(strings.Repeat("Once upon a time, there was a little girl named Lily. She loved to play outside in the park. ", 8)), 0o644); err != nil {
		t.Fatal(err)
	}
	var ppl [2]float64
	for i, engine := range []string{"compiled", "interp"} {
		var pm float64
		if n, err := fmtSscanf(run("perplexity", model, "--file", story, "--ctx", "64", "--engine", engine), &ppl[i], &pm); n != 2 || err != nil {
			t.Fatalf("%s perplexity output: %v", engine, err)
		}
	}
	if d := math.Abs(ppl[0]-ppl[1]) / ppl[1]; d > 0.005 {
		t.Errorf("perplexity: compiled %.4f, interp %.4f", ppl[0], ppl[1])
	}
}

// TestCompileGGUF: kiln compile of a GGUF file writes the LLM package
// and its manifest; an unsupported architecture, a context above the
// model's and a bad --kv are refused.
func TestCompileGGUF(t *testing.T) {
	model, ok := testenv.Shared("models", "gguf", "stories260K-q4_0.gguf")
	if !ok {
		t.Skip("no shared GGUF files")
	}
	dir := filepath.Join(t.TempDir(), "story")
	code, stdout, stderr := runCLI("compile", model, "-o", dir, "--ctx", "32", "--weights", "file")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote package story") {
		t.Errorf("stdout %q", stdout)
	}
	for _, f := range []string{"llm.go", "model.go", "session.go", "tokenizer.go", "generate.go", "kern_q4_0.go", "kern_q8_0.go", "kern_f16.go", "weights.bin", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "kern_q4_k.go")); err == nil {
		t.Error("kern_q4_k.go written for a model without Q4_K tensors")
	}
	b, err := os.ReadFile(filepath.Join(dir, "llm.go"))
	if err != nil || !strings.Contains(string(b), "func Load(path string)") {
		t.Errorf("llm.go has no Load for --weights file (%v)", err)
	}
	var man struct {
		Kind    string `json:"kind"`
		Ctx     int    `json:"ctx"`
		KVCache struct {
			Bytes int64 `json:"bytes"`
		} `json:"kv_cache"`
		Weights struct {
			Tensors []struct {
				Name string `json:"name"`
				Type string `json:"ggml_type"`
			} `json:"tensors"`
		} `json:"weights"`
	}
	mb, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mb, &man); err != nil {
		t.Fatal(err)
	}
	// stories260K: 5 layers, 4 KV heads of 8, F16 keys and values.
	if man.Kind != "llm" || man.Ctx != 32 || man.KVCache.Bytes != 2*5*32*32*2 || len(man.Weights.Tensors) != 48 {
		t.Errorf("manifest: kind %q ctx %d kv %d bytes, %d tensors", man.Kind, man.Ctx, man.KVCache.Bytes, len(man.Weights.Tensors))
	}
	gpt2, ok := testenv.Shared("models", "data", "tokenizer-tests", "ggml-vocab-gpt-2.gguf")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"compile", model, "-o", dir, "--ctx", "4096"}, exitFailure, "exceeds the model's context length"},
		{[]string{"compile", model, "-o", dir, "--kv", "q8"}, exitUsage, "--kv"},
		{[]string{"compile", model, "-o", dir, "--target", "no-such-board"}, exitUsage, "unknown target"},
		{[]string{"compile", gpt2, "-o", dir}, exitFailure, "not supported"},
	} {
		if tc.args[1] == "" || (!ok && tc.args[1] == gpt2) {
			continue
		}
		code, _, stderr := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("kiln %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, stderr, tc.code, tc.want)
		}
	}
}
