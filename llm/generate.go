package llm

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/kiln-ml/kiln/codegen/llmrt"
)

// Sampling chooses the next token from a row of logits. Temp 0 is greedy
// (the first of the largest logits); otherwise the logits are divided by
// Temp, cut to the TopK largest (0: all) and then to the smallest set
// whose probability reaches TopP (1: all), and one is drawn with the
// seeded generator.
type Sampling struct {
	Temp float64
	TopK int
	TopP float64
	Seed int64
}

// Sampler draws tokens as a Sampling says.
type Sampler struct {
	s   Sampling
	rng *rand.Rand
}

// NewSampler checks s and returns its sampler.
func NewSampler(s Sampling) (*Sampler, error) {
	if s.Temp < 0 || math.IsNaN(s.Temp) || math.IsInf(s.Temp, 0) {
		return nil, fmt.Errorf("temperature %g must be a finite number >= 0", s.Temp)
	}
	if s.TopK < 0 {
		return nil, fmt.Errorf("top-k %d must be >= 0", s.TopK)
	}
	if !(s.TopP > 0 && s.TopP <= 1) {
		return nil, fmt.Errorf("top-p %g must be in (0, 1]", s.TopP)
	}
	return &Sampler{s: s, rng: rand.New(rand.NewSource(s.Seed))}, nil
}

// Argmax returns the index of the first largest value.
func Argmax(row []float32) int32 {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return int32(best)
}

// Next picks a token from logits.
func (sm *Sampler) Next(logits []float32) int32 {
	if sm.s.Temp == 0 {
		return Argmax(logits)
	}
	idx, _ := llmrt.LogitOrder(logits, sm.s.TopK, nil, nil)
	p := make([]float64, len(idx))
	top := float64(logits[idx[0]])
	sum := 0.0
	for i, j := range idx {
		p[i] = math.Exp((float64(logits[j]) - top) / sm.s.Temp)
		sum += p[i]
	}
	cum := 0.0
	for i := range p {
		p[i] /= sum
		cum += p[i]
		if cum >= sm.s.TopP {
			idx, p = idx[:i+1], p[:i+1]
			break
		}
	}
	r := sm.rng.Float64() * cum
	for i := range p {
		r -= p[i]
		if r < 0 {
			return int32(idx[i])
		}
	}
	return int32(idx[len(idx)-1])
}

// Generate feeds prompt (token ids, BOS included if wanted) into a fresh
// session and samples up to n tokens, calling onToken with each; it stops
// early at an end-of-generation token (which is passed to onToken) or at
// the context's end. It returns the generated ids. (GenerateWith on the
// interpreter.)
func (m *Model) Generate(prompt []int32, n int, s Sampling, onToken func(id int32) error) ([]int32, error) {
	return GenerateWith(m.NewSession().Engine(), m.Tokenizer, prompt, n, s, onToken)
}
