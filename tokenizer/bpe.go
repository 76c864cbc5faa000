package tokenizer

import (
	"strings"
)

// GPT-2's byte-level alphabet: every byte maps to a printable code point so
// that merges and tokens are ordinary text. The bytes that are printable
// Latin-1 already ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves; the
// other 68 take the code points 256, 257, ... in byte order.
var byteRune, runeByte = func() (enc [256]rune, dec map[rune]byte) {
	dec = make(map[rune]byte, 256)
	printable := func(b int) bool {
		return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	next := rune(256)
	for b := 0; b < 256; b++ {
		if printable(b) {
			enc[b] = rune(b)
		} else {
			enc[b] = next
			next++
		}
		dec[enc[b]] = byte(b)
	}
	return enc, dec
}()

// byteEncoded holds the UTF-8 of every byte's stand-in code point.
var byteEncoded = func() (t [256]string) {
	for b := range t {
		t[b] = string(byteRune[b])
	}
	return t
}()

// bpeSymbol is a piece of a word during merging: its text is
// word[start:start+n], and prev and next link the live symbols.
type bpeSymbol struct {
	start, n   int
	prev, next int
}

// bpeBigram is a candidate merge of two adjacent symbols; llen and rlen
// record their lengths when it was queued, so a merge made stale by an
// earlier one is recognised and skipped.
type bpeBigram struct {
	left, right int
	llen, rlen  int
	rank        int
}

// before orders BPE merges: the lowest rank first, the leftmost on ties.
func (b bpeBigram) before(o bpeBigram) bool {
	if b.rank != o.rank {
		return b.rank < o.rank
	}
	return b.left < o.left
}

// bpeState is scratch space reused across the words of one encoding.
type bpeState struct {
	syms  []bpeSymbol
	queue mergeQueue[bpeBigram]
	word  []byte
}

// encodeBPE appends the ids of text, a fragment without special tokens.
func (t *Tokenizer) encodeBPE(text string, out []int32) []int32 {
	cps := codePoints(text)
	pieces := t.pre.split(cps)
	st := &bpeState{}
	start := 0
	for _, n := range pieces {
		// The word's UTF-8 bytes (invalid input already replaced by
		// U+FFFD), each written as its stand-in code point.
		st.word = st.word[:0]
		var buf [4]byte
		for _, r := range cps[start : start+n] {
			for _, b := range appendUTF8(buf[:0], r) {
				st.word = append(st.word, byteEncoded[b]...)
			}
		}
		start += n
		out = t.bpeWord(string(st.word), st, out)
	}
	return out
}

// bpeWord merges one pre-tokenized word and appends its ids.
func (t *Tokenizer) bpeWord(word string, st *bpeState, out []int32) []int32 {
	if t.v.IgnoreMerges {
		if id, ok := t.ids[word]; ok {
			return append(out, id)
		}
	}
	st.syms = st.syms[:0]
	for i := 0; i < len(word); {
		n := min(utf8Len(word[i]), len(word)-i)
		st.syms = append(st.syms, bpeSymbol{start: i, n: n, prev: len(st.syms) - 1, next: len(st.syms) + 1})
		i += n
	}
	if len(st.syms) == 0 {
		return out
	}
	st.syms[len(st.syms)-1].next = -1
	st.queue = st.queue[:0]
	for i := 1; i < len(st.syms); i++ {
		t.addBigram(word, st, i-1, i)
	}
	for len(st.queue) > 0 {
		b := st.queue.pop()
		l, r := &st.syms[b.left], &st.syms[b.right]
		if l.n == 0 || r.n == 0 || l.n != b.llen || r.n != b.rlen {
			continue
		}
		l.n += r.n
		r.n = 0
		l.next = r.next
		if r.next >= 0 {
			st.syms[r.next].prev = b.left
		}
		t.addBigram(word, st, l.prev, b.left)
		t.addBigram(word, st, b.left, l.next)
	}
	for i := 0; i >= 0; i = st.syms[i].next {
		s := st.syms[i]
		piece := word[s.start : s.start+s.n]
		if id, ok := t.ids[piece]; ok {
			out = append(out, id)
			continue
		}
		// No token for the merged piece: fall back to its single bytes
		// that are tokens, dropping the others, as llama.cpp does.
		for j := 0; j < len(piece); j++ {
			if id, ok := t.ids[piece[j:j+1]]; ok {
				out = append(out, id)
			}
		}
	}
	return out
}

// addBigram queues the merge of symbols left and right if the merges list
// has it.
func (t *Tokenizer) addBigram(word string, st *bpeState, left, right int) {
	if left < 0 || right < 0 {
		return
	}
	l, r := st.syms[left], st.syms[right]
	rank, ok := t.ranks[[2]string{word[l.start : l.start+l.n], word[r.start : r.start+r.n]}]
	if !ok {
		return
	}
	st.queue.push(bpeBigram{left: left, right: right, llen: l.n, rlen: r.n, rank: rank})
}

// buildRanks reads the merges: each is "left right", split at the first
// space after the first byte (so a merge may start with a space); the first
// occurrence of a pair keeps its rank.
func buildRanks(merges []string) map[[2]string]int {
	ranks := make(map[[2]string]int, len(merges))
	for i, m := range merges {
		var key [2]string
		if len(m) > 1 {
			if p := strings.IndexByte(m[1:], ' '); p >= 0 {
				key = [2]string{m[:p+1], m[p+2:]}
			}
		}
		if _, dup := ranks[key]; !dup {
			ranks[key] = i
		}
	}
	return ranks
}

// decodeByteLevel turns a BPE token's text back into the bytes it stands
// for. A code point outside the byte alphabet is written as llama.cpp
// writes it: "[UNK_BYTE_0x" + its UTF-8 in hex + the token's text + "]".
func decodeByteLevel(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); {
		r, n := decodeRune(text, i)
		if c, ok := runeByte[r]; ok {
			b.WriteByte(c)
		} else {
			b.WriteString("[UNK_BYTE_0x")
			for _, c := range appendUTF8(nil, r) {
				b.WriteString(hex2(c))
			}
			b.WriteString(text)
			b.WriteString("]")
		}
		i += n
	}
	return b.String()
}

// hex2 is c in two lowercase hex digits.
func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}
