package llmgen

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/codegen/llmrt"
	"github.com/kiln-ml/kiln/frontend/gguf"
	"github.com/kiln-ml/kiln/internal/llamaref"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/tokenizer"
)

// References from ../shared/models/reference (llama.cpp, F16 KV cache).

// planModel lays out a shared GGUF file and builds its runtime model in
// process, as the generated package's New does.
func planModel(t testing.TB, file string, opts Options) (*llmrt.Model, *gguf.File) {
	t.Helper()
	p, ok := testenv.Shared("models", "gguf", file)
	if !ok {
		t.Skip("no shared GGUF files")
	}
	return planFile(t, p, opts)
}

// planFile is planModel of the GGUF file at path p.
func planFile(t testing.TB, p string, opts Options) (*llmrt.Model, *gguf.File) {
	t.Helper()
	f, err := gguf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	plan, err := NewPlan(f, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	m, err := llmrt.NewModel(plan.Blob, plan.Config, plan.Tensors, plan.VocabOff, plan.VocabLen)
	if err != nil {
		t.Fatal(err)
	}
	return m, f
}

// TestGreedyMatchesLlamaCpp: the runtime's greedy ids reproduce
// llama.cpp's for every stories260K file.
func TestGreedyMatchesLlamaCpp(t *testing.T) {
	var ref llamaref.Greedy
	llamaref.Read(t, "llamacpp-greedy.json", &ref)
	for _, q := range llamaref.Stories {
		file := "stories260K-" + q + ".gguf"
		t.Run(file, func(t *testing.T) {
			r, ok := ref.Models[file]
			if !ok || r.MinMargin < 0.01 {
				t.Skipf("%s: no reference or min_margin %g < 0.01", file, r.MinMargin)
			}
			m, _ := planModel(t, file, Options{})
			if got := m.Encode(ref.Prompt, true); !slices.Equal(got, r.PromptIDs) {
				t.Fatalf("prompt ids %v, want %v", got, r.PromptIDs)
			}
			var ids []int32
			_, err := m.Generate(ref.Prompt, llmrt.GenerateOptions{MaxTokens: len(r.GeneratedIDs)}, func(id int32, _ string) error {
				ids = append(ids, id)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids, r.GeneratedIDs) {
				t.Errorf("greedy ids\n got %v\nwant %v", ids, r.GeneratedIDs)
			}
		})
	}
}

// TestGreedyNearTiesMatchLlamaCpp: with the kernels in the orders of
// ggml's AVX2 build, the runtime's greedy ids reproduce llama.cpp's for
// every file of llamacpp-greedy.json, the random-weight ones too, whose
// top two logits come within 1e-5 of each other (min_margin): their 31
// decode steps run the one-row products (ggml's vector dot products),
// the prompt the several-row ones. llama58m only with KILN_LONG=1.
func TestGreedyNearTiesMatchLlamaCpp(t *testing.T) {
	var ref llamaref.Greedy
	llamaref.Read(t, "llamacpp-greedy.json", &ref)
	files := make([]string, 0, len(ref.Models))
	for f := range ref.Models {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			if strings.HasPrefix(file, "llama58m") && os.Getenv("KILN_LONG") == "" {
				t.Skip("llama58m: set KILN_LONG=1")
			}
			r := ref.Models[file]
			m, _ := planModel(t, file, Options{})
			var ids []int32
			_, err := m.Generate(ref.Prompt, llmrt.GenerateOptions{MaxTokens: len(r.GeneratedIDs)}, func(id int32, _ string) error {
				ids = append(ids, id)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids, r.GeneratedIDs) {
				t.Errorf("greedy ids (min_margin %g)\n got %v\nwant %v", r.MinMargin, ids, r.GeneratedIDs)
			}
		})
	}
}

// logitsGaps lists the files whose logits miss the agreement bar, with
// the measured figure; a listed file that passes fails the test, so the
// list stays exact. It is empty: the runtime computes the block dot
// products, the activation quantizer, RoPE, SiLU and the F16-cache
// attention in the orders and roundings of ggml's AVX2 build
// (codegen/llmrt/order.go), and llama58m-random's logits, at cosine
// 0.99988 before, are now llama.cpp's bit for bit.
var logitsGaps = map[string]string{}

// TestLogitsMatchLlamaCpp: for every file of llamacpp-logits.json the
// runtime's logits after the prompt have cosine >= 0.9999 with llama.cpp's
// and a max abs difference <= 1% of their range (llama58m only with
// KILN_LONG=1), but for logitsGaps. It logs each file's numbers.
func TestLogitsMatchLlamaCpp(t *testing.T) {
	var ref llamaref.Logits
	llamaref.Read(t, "llamacpp-logits.json", &ref)
	files := make([]string, 0, len(ref.Models))
	for f := range ref.Models {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			if strings.HasPrefix(file, "llama58m") && os.Getenv("KILN_LONG") == "" {
				t.Skip("llama58m: set KILN_LONG=1")
			}
			r := ref.Models[file]
			m, _ := planModel(t, file, Options{})
			s := m.NewSession()
			logits, err := s.Prefill(r.PromptIDs)
			if err != nil {
				t.Fatal(err)
			}
			cos, rel := llamaref.Agreement(logits, r.Logits)
			t.Logf("%s: cosine %.7f, max abs diff %.4f%% of range", file, cos, 100*rel)
			if why, known := logitsGaps[file]; known {
				if cos >= 0.9999 && rel <= 0.01 {
					t.Errorf("listed in logitsGaps (%s) but now agrees: remove it from the list", why)
				}
				return
			}
			if cos < 0.9999 || rel > 0.01 {
				t.Errorf("%s: cosine %.7f (want >= 0.9999), max abs diff %.4f%% of range (want <= 1%%)", file, cos, 100*rel)
			}
		})
	}
}

// TestTokenizerMatchesKiln: the runtime's tokenizer encodes and decodes
// as kiln's tokenizer package does, on the shared vocabularies.
func TestTokenizerMatchesKiln(t *testing.T) {
	texts := []string{"Once upon a time", "", " ", "Hello,  world!\n\ttabs", "naïve café 日本語 🙂", "<s> not special </s>", "a\u2581b", "1234567890 !@#$%^&*()"}
	for _, file := range []string{"stories260K-q8_0.gguf", "llama58m-random-q4_k_m.gguf"} {
		t.Run(file, func(t *testing.T) {
			m, f := planModel(t, file, Options{Context: 64})
			tok, err := tokenizer.FromGGUF(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range texts {
				for _, bos := range []bool{false, true} {
					want := tok.Encode(s, bos)
					got := m.Encode(s, bos)
					if !slices.Equal(got, want) {
						t.Errorf("Encode(%q, %v) = %v, want %v", s, bos, got, want)
					}
					wantText, err := tok.Decode(want)
					if err != nil {
						t.Fatal(err)
					}
					if got, err := m.Decode(want); err != nil || got != wantText {
						t.Errorf("Decode(%v) = %q, %v, want %q", want, got, err, wantText)
					}
				}
			}
		})
	}
}

// TestBadInputs: ids out of range, an empty batch and context overflow
// are errors; an unsupported architecture is refused naming it.
func TestBadInputs(t *testing.T) {
	m, _ := planModel(t, "stories260K-q8_0.gguf", Options{Context: 8})
	s := m.NewSession()
	for _, ids := range [][]int32{{-1}, {512}, {1, 2, 99999}, {}} {
		if _, err := s.Prefill(ids); err == nil {
			t.Errorf("Prefill(%v): no error", ids)
		}
	}
	if s.Pos() != 0 {
		t.Fatalf("a refused call moved the position to %d", s.Pos())
	}
	if _, err := s.Prefill(make([]int32, 8)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Step(1); err == nil || !strings.Contains(err.Error(), "context") {
		t.Errorf("Step past the context: %v", err)
	}
	s.Reset()
	if _, err := s.Step(1); err != nil {
		t.Errorf("Step after Reset: %v", err)
	}
	if _, err := m.Generate("x", llmrt.GenerateOptions{Temperature: -1}, nil); err == nil {
		t.Error("negative temperature: no error")
	}
	p, ok := testenv.Shared("models", "gguf", "stories260K-q8_0.gguf")
	if !ok {
		t.Skip("no shared files")
	}
	if _, err := Compile(filepath.Join(t.TempDir(), "missing.gguf"), Options{}); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := Compile(p, Options{Context: 100000}); err == nil || !strings.Contains(err.Error(), "context") {
		t.Errorf("--ctx above the model's: %v", err)
	}
}
