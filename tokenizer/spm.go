package tokenizer

import (
	"strings"
)

// spmBigram is a candidate merge of two adjacent symbols into the token
// their joined text names; size is that text's length when queued.
type spmBigram struct {
	left, right int
	score       float32
	size        int
}

// before orders SentencePiece merges: the highest score first, the
// leftmost on ties.
func (b spmBigram) before(o spmBigram) bool {
	if b.score != o.score {
		return b.score > o.score
	}
	return b.left < o.left
}

// spmState is one SentencePiece encoding: the symbols (runs of text that
// start as single UTF-8 sequences) and the merge queue.
type spmState struct {
	text  string
	syms  []bpeSymbol
	queue mergeQueue[spmBigram]
}

// encodeSPM appends the ids of text, a fragment without special tokens:
// spaces become U+2581, then adjacent symbols merge, the pair whose joined
// text is the token of highest score first. What never became a token is
// written as byte tokens (<0xNN>).
//
// When no token has a U+2581 after anything but U+2581 (true of LLaMA's
// and Phi-3's vocabularies; checked when the tokenizer is built), no merge
// can join a symbol to a following word's "▁", so each such word merges on
// its own with a small queue. The result is the same as one queue over the whole text: merges
// in different words never interact, and within a word they pop in the
// same order.
func (t *Tokenizer) encodeSPM(text string, out []int32) []int32 {
	text = strings.ReplaceAll(text, " ", "\u2581")
	st := &spmState{text: text}
	for i := 0; i < len(text); {
		n := min(utf8Len(text[i]), len(text)-i)
		st.syms = append(st.syms, bpeSymbol{start: i, n: n, prev: len(st.syms) - 1, next: len(st.syms) + 1})
		i += n
	}
	if len(st.syms) == 0 {
		return out
	}
	st.syms[len(st.syms)-1].next = -1
	// Cut the symbol chain into words: heads lists each word's first
	// symbol.
	heads := []int{0}
	if t.spmWords {
		for k := 1; k < len(st.syms); k++ {
			if strings.HasPrefix(text[st.syms[k].start:], "\u2581") && !strings.HasSuffix(text[:st.syms[k].start], "\u2581") {
				st.syms[k-1].next = -1
				st.syms[k].prev = -1
				heads = append(heads, k)
			}
		}
	}
	for _, h := range heads {
		for i := h; st.syms[i].next >= 0; i++ {
			t.spmBigram(st, i, i+1)
		}
		for len(st.queue) > 0 {
			b := st.queue.pop()
			l, r := &st.syms[b.left], &st.syms[b.right]
			if l.n == 0 || r.n == 0 || l.n+r.n != b.size {
				continue
			}
			l.n += r.n
			r.n = 0
			l.next = r.next
			if r.next >= 0 {
				st.syms[r.next].prev = b.left
			}
			t.spmBigram(st, l.prev, b.left)
			t.spmBigram(st, b.left, l.next)
		}
		for i := h; i >= 0; i = st.syms[i].next {
			out = t.spmResegment(st, i, out)
		}
	}
	return out
}

// spmBigram queues the merge of symbols left and right if their joined
// text is a token. Adjacent symbols are adjacent in the text, so the joined
// text is a slice of it.
func (t *Tokenizer) spmBigram(st *spmState, left, right int) {
	if left < 0 || right < 0 {
		return
	}
	l, r := st.syms[left], st.syms[right]
	joined := st.text[l.start : l.start+l.n+r.n]
	id, ok := t.ids[joined]
	if !ok {
		return
	}
	st.queue.push(spmBigram{left: left, right: right, score: t.score(id), size: len(joined)})
}

// spmResegment appends the ids of symbol i: its token, else its bytes.
// Symbols only merge into tokens, so a symbol that is not a token is a
// single UTF-8 sequence the vocabulary lacks.
func (t *Tokenizer) spmResegment(st *spmState, i int, out []int32) []int32 {
	s := st.syms[i]
	piece := st.text[s.start : s.start+s.n]
	if id, ok := t.ids[piece]; ok {
		return append(out, id)
	}
	for j := 0; j < len(piece); j++ {
		if id := t.byteTok[piece[j]]; id != NoToken {
			out = append(out, id)
		}
	}
	return out
}
