package llm

import (
	"fmt"
	"math"
)

// PerplexityResult is what Perplexity measured.
type PerplexityResult struct {
	PPL       float64 // exp of the mean negative log-likelihood
	PlusMinus float64 // the standard-error estimate llama-perplexity prints
	Chunks    int
	Tokens    int // tokens scored
}

// Perplexity scores ids (the whole text tokenized once, BOS first) as
// llama.cpp's llama-perplexity does: the ids are cut into len(ids)/ctx
// chunks of ctx tokens (the rest is unused; fewer than two chunks is
// refused, as the tool does), each chunk's first token is replaced by
// BOS, and each chunk is evaluated from an empty cache; only the second
// half is scored, the logits at positions ctx/2 .. ctx-2
// predicting the tokens after them. progress, when not nil, is called
// after each chunk with the running estimate.
func (m *Model) Perplexity(ids []int32, ctx int, progress func(chunk, chunks int, ppl float64)) (PerplexityResult, error) {
	if ctx < 4 || ctx > m.Config.Context {
		return PerplexityResult{}, fmt.Errorf("context %d must be in [4, %d] (the model's context)", ctx, m.Config.Context)
	}
	sess := m.NewSession()
	return perplexity(func(chunk []int32) ([][]float32, error) {
		sess.Reset()
		return sess.Eval(chunk)
	}, m.Tokenizer.BOS(), ids, ctx, progress)
}

// perplexity scores ids chunk by chunk, eval running each chunk from an
// empty cache.
func perplexity(eval func(chunk []int32) ([][]float32, error), bos int32, ids []int32, ctx int, progress func(chunk, chunks int, ppl float64)) (PerplexityResult, error) {
	// llama-perplexity refuses texts shorter than two chunks.
	if len(ids) < 2*ctx {
		return PerplexityResult{}, fmt.Errorf("the text has %d tokens; a context of %d needs at least %d", len(ids), ctx, 2*ctx)
	}
	chunks := len(ids) / ctx
	first := ctx / 2
	var nll, nll2 float64
	count := 0
	chunk := make([]int32, ctx)
	for c := 0; c < chunks; c++ {
		copy(chunk, ids[c*ctx:(c+1)*ctx])
		if bos >= 0 {
			chunk[0] = bos
		}
		rows, err := eval(chunk)
		if err != nil {
			return PerplexityResult{}, fmt.Errorf("chunk %d: %w", c, err)
		}
		for j := first; j < ctx-1; j++ {
			lp := logSoftmaxAt(rows[j], int(chunk[j+1]))
			nll += -lp
			nll2 += lp * lp
			count++
		}
		if progress != nil {
			progress(c+1, chunks, math.Exp(nll/float64(count)))
		}
	}
	mean, mean2 := nll/float64(count), nll2/float64(count)
	r := PerplexityResult{PPL: math.Exp(mean), Chunks: chunks, Tokens: count}
	// The standard error of the mean NLL, carried to the perplexity by
	// its derivative: ppl * sqrt(var/(N-1)).
	if v := mean2 - mean*mean; v > 0 && count > 1 {
		r.PlusMinus = r.PPL * math.Sqrt(v/float64(count-1))
	}
	return r, nil
}

// logSoftmaxAt returns log(softmax(row)[tok]), summing in float64.
func logSoftmaxAt(row []float32, tok int) float64 {
	top := float64(row[0])
	for _, v := range row {
		top = max(top, float64(v))
	}
	sum := 0.0
	for _, v := range row {
		sum += math.Exp(float64(v) - top)
	}
	return float64(row[tok]) - top - math.Log(sum)
}
