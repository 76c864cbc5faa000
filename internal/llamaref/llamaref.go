// Package llamaref reads, for tests, the llama.cpp results stored in
// ../shared/models/reference (greedy ids, logits, perplexity; llama.cpp
// ran with an F16 KV cache) and llama.cpp's tokenizer test vectors in
// ../shared/models/data/tokenizer-tests (vectors.go), and measures
// agreement with them, so that the interpreter's, the tokenizer's, the
// compiled runtime's and the CLI's tests check against one reading of
// those files.
package llamaref

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/internal/testenv"
)

// Stories names the quantizations of the stories260K GGUF files.
var Stories = []string{"f32", "f16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1"}

// Greedy is llamacpp-greedy.json: per file, the prompt's ids (with BOS),
// the 32 greedy ids after it and the smallest top-2 logit margin seen.
type Greedy struct {
	Models map[string]struct {
		PromptIDs    []int32 `json:"prompt_ids"`
		GeneratedIDs []int32 `json:"generated_ids"`
		MinMargin    float64 `json:"min_margin"`
	} `json:"models"`
	Prompt string `json:"prompt"`
}

// IDsLine is the line `kiln generate --ids` prints for file: the prompt's
// ids then the generated ones, space-separated.
func (g *Greedy) IDsLine(file string) string {
	r := g.Models[file]
	var s []string
	for _, id := range append(append([]int32{}, r.PromptIDs...), r.GeneratedIDs...) {
		s = append(s, strconv.Itoa(int(id)))
	}
	return strings.Join(s, " ")
}

// Logits is llamacpp-logits.json: per file, the prompt's ids and the
// logits after its last token.
type Logits struct {
	Models map[string]struct {
		PromptIDs []int32   `json:"prompt_ids"`
		Logits    []float32 `json:"logits"`
	} `json:"models"`
	Prompt string `json:"prompt"`
}

// Perplexity is llamacpp-ppl-a.json: per file, llama-perplexity's final
// estimate, its +/- and the running estimate after each chunk.
type Perplexity struct {
	Results map[string]struct {
		PPL       float64   `json:"ppl"`
		PlusMinus float64   `json:"ppl_plus_minus"`
		Chunks    int       `json:"n_chunks"`
		Ctx       int       `json:"n_ctx"`
		Running   []float64 `json:"chunk_running_ppl"`
	} `json:"results"`
}

// Read decodes the reference file name into v, skipping the test when
// the shared files are not there.
func Read(tb testing.TB, name string, v any) {
	tb.Helper()
	p, ok := testenv.Shared("models", "reference", name)
	if !ok {
		tb.Skip("no shared reference files")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Skip(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
}

// Agreement returns the cosine similarity of logits a and reference b
// and their max abs difference relative to b's range: the bar is
// cosine >= 0.9999 and relDiff <= 0.01.
func Agreement(a, b []float32) (cos, relDiff float64) {
	var dot, na, nb, worst float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
		worst = max(worst, math.Abs(x-y))
		lo, hi = min(lo, y), max(hi, y)
	}
	return dot / math.Sqrt(na*nb), worst / (hi - lo)
}
