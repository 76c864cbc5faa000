package llmrt

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
)

// GenerateOptions chooses how Generate samples. The zero value is greedy
// decoding of up to 32 tokens.
type GenerateOptions struct {
	// MaxTokens is the most tokens to generate (0: 32).
	MaxTokens int
	// Temperature 0 is greedy (the first of the largest logits); above 0
	// the logits are divided by it, cut to the TopK largest (0: all) and
	// to the smallest set whose probability reaches TopP (0 or 1: all),
	// and one is drawn with a generator seeded by Seed.
	Temperature float64
	TopK        int
	TopP        float64
	Seed        int64
	// RepeatPenalty above 1 discourages the tokens among the last
	// RepeatLastN (0: 64) of the prompt and output, as llama.cpp does: a
	// positive logit is divided by it, a negative one multiplied.
	RepeatPenalty float64
	RepeatLastN   int
}

// sampler draws tokens as a GenerateOptions says.
type sampler struct {
	o    GenerateOptions
	rng  *rand.Rand
	idx  []int
	keys []uint64
	p    []float64
}

// radixSortHigh sorts a stably by the top 32 bits of its values (three
// passes of 11, 11 and 10 bits), using tmp (as long as a) in between.
func radixSortHigh(a, tmp []uint64) {
	src, dst := a, tmp
	for _, d := range [3]struct{ shift, bits uint }{{32, 11}, {43, 11}, {54, 10}} {
		var count [1 << 11]int
		mask := uint64(1)<<d.bits - 1
		for _, x := range src {
			count[x>>d.shift&mask]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, x := range src {
			b := x >> d.shift & mask
			dst[count[b]] = x
			count[b]++
		}
		src, dst = dst, src
	}
	// Three passes leave the result in tmp.
	copy(a, src)
}

// logitOrder returns in idx the indices of logits in the order a stable
// sort by decreasing value gives (equal values by increasing index, the
// two zeros equal), only the first k when 0 < k < len(logits). Each index
// becomes one key, the value's bits mapped to an unsigned order and
// inverted above the index, and the keys are sorted: all of them, or the
// k smallest kept in a max-heap. Sorting 32000 logits this way takes a
// fraction of a millisecond, where a stable sort of the indices took 10.
// keys is scratch, returned grown.
func logitOrder(logits []float32, k int, idx []int, keys []uint64) ([]int, []uint64) {
	key := func(i int) uint64 {
		b := math.Float32bits(logits[i])
		switch {
		case b == 0x80000000: // -0: the key of +0 (0 | 0x80000000)
			b = 0x80000000
		case b&0x80000000 != 0:
			b = ^b
		default:
			b |= 0x80000000
		}
		return uint64(^b)<<32 | uint64(uint32(i))
	}
	keys = keys[:0]
	if n := len(logits); k > 0 && k < n {
		for i := range n {
			x := key(i)
			if len(keys) < k {
				// Sift up into the max-heap.
				keys = append(keys, x)
				for c := len(keys) - 1; c > 0 && keys[(c-1)/2] < keys[c]; c = (c - 1) / 2 {
					keys[c], keys[(c-1)/2] = keys[(c-1)/2], keys[c]
				}
				continue
			}
			if x >= keys[0] {
				continue
			}
			// Replace the largest and sift down.
			keys[0] = x
			for c := 0; ; {
				l, big := 2*c+1, c
				if l < k && keys[l] > keys[big] {
					big = l
				}
				if l+1 < k && keys[l+1] > keys[big] {
					big = l + 1
				}
				if big == c {
					break
				}
				keys[c], keys[big] = keys[big], keys[c]
				c = big
			}
		}
		slices.Sort(keys)
	} else {
		// Keys made in index order and sorted stably by their top 32 bits
		// (the value) come out in the order of the whole keys.
		for i := range n {
			keys = append(keys, key(i))
		}
		keys = slices.Grow(keys, n)
		radixSortHigh(keys, keys[n:2*n])
	}
	idx = idx[:0]
	for _, x := range keys {
		idx = append(idx, int(uint32(x)))
	}
	return idx, keys
}

func newSampler(o GenerateOptions) (*sampler, error) {
	if o.Temperature < 0 || math.IsNaN(o.Temperature) || math.IsInf(o.Temperature, 0) {
		return nil, fmt.Errorf("temperature %g must be a finite number >= 0", o.Temperature)
	}
	if o.TopK < 0 {
		return nil, fmt.Errorf("top-k %d must be >= 0", o.TopK)
	}
	if o.TopP == 0 {
		o.TopP = 1
	}
	if !(o.TopP > 0 && o.TopP <= 1) {
		return nil, fmt.Errorf("top-p %g must be in (0, 1]", o.TopP)
	}
	if o.RepeatPenalty != 0 && !(o.RepeatPenalty > 0) || math.IsInf(o.RepeatPenalty, 0) {
		return nil, fmt.Errorf("repeat penalty %g must be a finite number > 0", o.RepeatPenalty)
	}
	if o.RepeatLastN < 0 {
		return nil, fmt.Errorf("repeat-last-n %d must be >= 0", o.RepeatLastN)
	}
	if o.RepeatLastN == 0 {
		o.RepeatLastN = 64
	}
	return &sampler{o: o, rng: rand.New(rand.NewSource(o.Seed))}, nil
}

// argmax returns the index of the first largest value.
func argmax(row []float32) int32 {
	best := 0
	for i, v := range row {
		if v > row[best] {
			best = i
		}
	}
	return int32(best)
}

// next picks a token from logits (which the repetition penalty may
// change in place), given the ids so far.
func (sm *sampler) next(logits []float32, history []int32) int32 {
	if pen := sm.o.RepeatPenalty; pen != 0 && pen != 1 {
		seen := map[int32]bool{}
		for _, id := range history[max(0, len(history)-sm.o.RepeatLastN):] {
			if seen[id] || int(id) >= len(logits) {
				continue
			}
			seen[id] = true
			if logits[id] > 0 {
				logits[id] = float32(float64(logits[id]) / pen)
			} else {
				logits[id] = float32(float64(logits[id]) * pen)
			}
		}
	}
	if sm.o.Temperature == 0 {
		return argmax(logits)
	}
	idx, keys := logitOrder(logits, sm.o.TopK, sm.idx, sm.keys)
	sm.idx, sm.keys = idx, keys
	p := sm.p[:0]
	top := float64(logits[idx[0]])
	sum := 0.0
	for _, j := range idx {
		e := math.Exp((float64(logits[j]) - top) / sm.o.Temperature)
		p = append(p, e)
		sum += e
	}
	sm.p = p
	cum := 0.0
	for i := range p {
		p[i] /= sum
		cum += p[i]
		if cum >= sm.o.TopP {
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

// Generate resets the session, encodes prompt (with BOS), evaluates it and
// samples up to opts.MaxTokens tokens, calling onToken (when not nil) with
// each id and its text; it stops after an end-of-generation token (passed
// to onToken with empty text), when the context is full, or when onToken
// returns an error (returned as is). It returns the generated ids.
func (s *Session) Generate(prompt string, opts GenerateOptions, onToken func(id int32, text string) error) ([]int32, error) {
	sm, err := newSampler(opts)
	if err != nil {
		return nil, err
	}
	n := opts.MaxTokens
	if n == 0 {
		n = 32
	}
	if n < 0 {
		return nil, fmt.Errorf("max tokens %d must be >= 0", n)
	}
	tok := s.m.tok
	ids := tok.Encode(prompt, true)
	if len(ids) == 0 {
		return nil, fmt.Errorf("the prompt has no tokens")
	}
	s.Reset()
	logits, err := s.Prefill(ids)
	if err != nil {
		return nil, err
	}
	history := append([]int32(nil), ids...)
	var out []int32
	for len(out) < n {
		id := sm.next(logits, history)
		out = append(out, id)
		history = append(history, id)
		if onToken != nil {
			text := ""
			if !tok.IsEOG(id) {
				text = tok.TokenText(id)
			}
			if err := onToken(id, text); err != nil {
				return out, err
			}
		}
		if tok.IsEOG(id) || len(out) == n || s.pos >= s.m.cfg.Context {
			break
		}
		if logits, err = s.Step(id); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Generate runs Session.Generate in a new session.
func (m *Model) Generate(prompt string, opts GenerateOptions, onToken func(id int32, text string) error) ([]int32, error) {
	return m.NewSession().Generate(prompt, opts, onToken)
}
