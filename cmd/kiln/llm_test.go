package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/internal/llamaref"
	"github.com/kiln-ml/kiln/internal/testenv"
)

func sharedStories(t *testing.T) string {
	t.Helper()
	p, ok := testenv.Shared("models", "gguf", "stories260K-f32.gguf")
	if !ok {
		t.Skip("no shared GGUF files")
	}
	return p
}

// TestGenerateIDs: kiln generate --ids --temp 0 prints llama.cpp's prompt
// and greedy ids (../shared/models/reference/llamacpp-greedy.json).
func TestGenerateIDs(t *testing.T) {
	model := sharedStories(t)
	var ref llamaref.Greedy
	llamaref.Read(t, "llamacpp-greedy.json", &ref)
	want := ref.IDsLine("stories260K-f32.gguf")
	code, stdout, stderr := runCLI("generate", model, "--prompt", "Once upon a time", "-n", "32", "--temp", "0", "--ids", "--stats")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 4 || lines[0] != want {
		t.Fatalf("output\n%s\nwant first line\n%s", stdout, want)
	}
	for i, key := range []string{"prefill_tok_s=", "decode_tok_s=", "peak_rss_mb="} {
		v, ok := strings.CutPrefix(lines[1+i], key)
		if f, err := strconv.ParseFloat(v, 64); !ok || err != nil || !(f > 0) {
			t.Errorf("stats line %q: want %s and a positive number", lines[1+i], key)
		}
	}
}

func TestLLMCommandsRefuse(t *testing.T) {
	model := sharedStories(t)
	dir := t.TempDir()
	text := filepath.Join(dir, "short.txt")
	if err := os.WriteFile(text, []byte("Once upon a time"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"generate", model, "--prompt", "x", "--threads", "0"}, exitUsage, "--threads"},
		{[]string{"logits", model, "--prompt", "x", "--engine", "gpu"}, exitFailure, "unknown --engine"},
		{[]string{"generate", model, "--top-p", "0"}, exitUsage, "top-p"},
		{[]string{"perplexity", model}, exitUsage, "--file is required"},
		{[]string{"perplexity", model, "--file", text, "--ctx", "64"}, exitFailure, "needs at least 128"},
		{[]string{"perplexity", model, "--file", text, "--ctx", "4096"}, exitFailure, "model's context"},
		{[]string{"generate", filepath.Join(dir, "none.gguf"), "--prompt", "x"}, exitFailure, "none.gguf"},
	} {
		code, _, stderr := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("kiln %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, stderr, tc.code, tc.want)
		}
	}
}

// TestPerplexityOutput: the last line has llama-perplexity's form, and
// the estimate is a plausible number for a trained model on its own
// kind of text.
func TestPerplexityOutput(t *testing.T) {
	model := sharedStories(t)
	text := filepath.Join(t.TempDir(), "story.txt")
	story := strings.Repeat("Once upon a time, there was a little girl named Lily. She loved to play outside in the park. ", 8)
	if err := os.WriteFile(text, []byte(story), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI("perplexity", model, "--file", text, "--ctx", "64")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var ppl, pm float64
	if n, err := fmtSscanf(stdout, &ppl, &pm); n != 2 || err != nil || !(ppl >= 1 && ppl < 20) || !(pm > 0) {
		t.Errorf("output %q: want \"Final estimate: PPL = X +/- Y\" with 1 <= X < 20 (a repeated story)", stdout)
	}
	if !strings.Contains(stderr, "[1/") {
		t.Errorf("no progress on stderr: %q", stderr)
	}
}

func fmtSscanf(s string, ppl, pm *float64) (int, error) {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return fmt.Sscanf(lines[len(lines)-1], "Final estimate: PPL = %g +/- %g", ppl, pm)
}
