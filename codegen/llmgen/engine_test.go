package llmgen

import (
	"math"
	"os"
	"testing"

	"github.com/kiln-ml/kiln/codegen/llmrt"
	"github.com/kiln-ml/kiln/internal/llamaref"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/llm"
	"github.com/kiln-ml/kiln/tokenizer"
)

// TestThreadsDoNotChangeLogits: a prefill and a decode step give the same
// bits at 1, 2, 3 and 8 threads (rows split in parts of a multiple of
// four rows, which the goroutines take as they come free). The prompt
// is long enough for the attention's heads to be split over goroutines
// too, in the prefill and in the step.
func TestThreadsDoNotChangeLogits(t *testing.T) {
	m, _ := planModel(t, "kq-random-q4_k_m.gguf", Options{Context: 160})
	prompt := []int32{1}
	for i := 1; i < 140; i++ {
		prompt = append(prompt, int32(1+(i*7919)%(m.Config().Vocab-1)))
	}
	var want []float32
	for _, th := range []int{1, 2, 3, 8} {
		s := m.NewSession()
		s.SetThreads(th)
		all, err := s.PrefillAll(prompt)
		if err != nil {
			t.Fatal(err)
		}
		got := append([]float32(nil), all...)
		step, err := s.Step(12)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, step...)
		if want == nil {
			want = got
			continue
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%d threads: logit %d is %g, %g at 1 thread", th, i, got[i], want[i])
			}
		}
	}
}

// runtimeEngine runs an llmrt session as an llm.Engine.
type runtimeEngine struct {
	s     *llmrt.Session
	vocab int
}

func (e runtimeEngine) Eval(ids []int32, all bool) ([][]float32, error) {
	var flat []float32
	var err error
	rows := 1
	if all {
		flat, err = e.s.PrefillAll(ids)
		rows = len(ids)
	} else {
		flat, err = e.s.Prefill(ids)
	}
	if err != nil {
		return nil, err
	}
	out := make([][]float32, rows)
	for r := range out {
		out[r] = append([]float32(nil), flat[r*e.vocab:(r+1)*e.vocab]...)
	}
	return out, nil
}

func (e runtimeEngine) Reset() error { e.s.Reset(); return nil }
func (e runtimeEngine) Pos() int     { return e.s.Pos() }
func (e runtimeEngine) Context() int { return e.s.Context() }

// TestPerplexityMatchesLlamaCpp: the runtime's perplexity over the first
// four chunks of 128 tokens of wap-excerpt-a.txt is within 0.5% of the
// running estimate llama-perplexity printed after them (every chunk of
// every stories260K file with KILN_LONG=1).
func TestPerplexityMatchesLlamaCpp(t *testing.T) {
	var ref llamaref.Perplexity
	llamaref.Read(t, "llamacpp-ppl-a.json", &ref)
	textPath, ok := testenv.Shared("models", "data", "text", "wap-excerpt-a.txt")
	if !ok {
		t.Skip("no shared text")
	}
	text, err := os.ReadFile(textPath)
	if err != nil {
		t.Skip(err)
	}
	files, chunks := []string{"stories260K-q4_0.gguf", "stories260K-q8_0.gguf"}, 4
	if os.Getenv("KILN_LONG") != "" {
		files, chunks = nil, 0
		for _, q := range llamaref.Stories {
			files = append(files, "stories260K-"+q+".gguf")
		}
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			r, ok := ref.Results[file]
			if !ok {
				t.Skip("no reference")
			}
			m, f := planModel(t, file, Options{Context: r.Ctx})
			tok, err := tokenizer.FromGGUF(f)
			if err != nil {
				t.Fatal(err)
			}
			ids := tok.Encode(string(text), true)
			want := r.PPL
			if chunks > 0 {
				ids, want = ids[:chunks*r.Ctx], r.Running[chunks-1]
			}
			got, err := llm.PerplexityWith(runtimeEngine{m.NewSession(), m.Config().Vocab}, tok.BOS(), ids, r.Ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("PPL %.4f over %d chunks; llama.cpp %.4f", got.PPL, got.Chunks, want)
			if d := math.Abs(got.PPL-want) / want; d > 0.005 {
				t.Errorf("PPL %.4f differs from llama.cpp's %.4f by %.3f%%", got.PPL, want, 100*d)
			}
		})
	}
}
