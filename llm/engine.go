package llm

import (
	"fmt"

	"github.com/kiln-ml/kiln/tokenizer"
)

// Engine evaluates tokens against a key/value cache, whatever runs the
// model: the interpreter (Session.Engine) or a compiled package in a
// child process (internal/compiled). Generation and perplexity run on
// either through it.
type Engine interface {
	// Eval runs ids at the next positions and returns the logits after
	// each token (all) or after the last one only.
	Eval(ids []int32, all bool) ([][]float32, error)
	// Reset empties the cache.
	Reset() error
	// Pos returns the number of tokens in the cache.
	Pos() int
	// Context returns the number of positions the cache holds.
	Context() int
}

// Engine returns the session as an Engine.
func (s *Session) Engine() Engine { return interpEngine{s} }

type interpEngine struct{ s *Session }

func (e interpEngine) Eval(ids []int32, all bool) ([][]float32, error) {
	rows, err := e.s.Eval(ids)
	if err != nil || all {
		return rows, err
	}
	return rows[len(rows)-1:], nil
}

func (e interpEngine) Reset() error { e.s.Reset(); return nil }
func (e interpEngine) Pos() int     { return e.s.Pos() }
func (e interpEngine) Context() int { return e.s.m.Config.Context }

// GenerateWith is Generate on any engine: it empties e's cache, feeds
// prompt and samples up to n tokens, calling onToken with each; it stops
// early at an end-of-generation token of tok (passed to onToken) or at
// the context's end, and returns the generated ids.
func GenerateWith(e Engine, tok *tokenizer.Tokenizer, prompt []int32, n int, s Sampling, onToken func(id int32) error) ([]int32, error) {
	sm, err := NewSampler(s)
	if err != nil {
		return nil, err
	}
	if err := e.Reset(); err != nil {
		return nil, err
	}
	rows, err := e.Eval(prompt, false)
	if err != nil {
		return nil, err
	}
	logits := rows[len(rows)-1]
	var out []int32
	for len(out) < n {
		id := sm.Next(logits)
		out = append(out, id)
		if onToken != nil {
			if err := onToken(id); err != nil {
				return out, err
			}
		}
		if tok.IsEOG(id) || len(out) == n || e.Pos() >= e.Context() {
			break
		}
		rows, err := e.Eval([]int32{id}, false)
		if err != nil {
			return out, err
		}
		logits = rows[0]
	}
	return out, nil
}

// PerplexityWith is Perplexity on any engine; bos is the id put first in
// each chunk (-1: none).
func PerplexityWith(e Engine, bos int32, ids []int32, ctx int, progress func(chunk, chunks int, ppl float64)) (PerplexityResult, error) {
	if ctx < 4 || ctx > e.Context() {
		return PerplexityResult{}, fmt.Errorf("context %d must be in [4, %d] (the model's context)", ctx, e.Context())
	}
	return perplexity(func(chunk []int32) ([][]float32, error) {
		if err := e.Reset(); err != nil {
			return nil, err
		}
		return e.Eval(chunk, true)
	}, bos, ids, ctx, progress)
}
