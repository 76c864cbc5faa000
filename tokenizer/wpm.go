package tokenizer

import "sort"

func init() { wordPiece = (*Tokenizer).encodeWPM }

// encodeWPM appends the WordPiece ids of text, a fragment without special
// tokens. Each word, marked with a leading U+2581 as the converted BERT
// vocabularies mark word starts, is cut greedily into the longest tokens
// from its left; a word with any part that matches no token becomes UNK
// as a whole.
func (t *Tokenizer) encodeWPM(text string, out []int32) []int32 {
	for _, word := range wpmWords(text) {
		w := "\u2581" + word
		mark := len(out)
		for i := 0; i < len(w); {
			j := min(len(w), i+t.maxLen)
			for ; j > i; j-- {
				if id, ok := t.ids[w[i:j]]; ok {
					out = append(out, id)
					break
				}
			}
			if j == i {
				out = out[:mark]
				break
			}
			i = j
		}
		if len(out) == mark {
			out = append(out, t.v.UNK)
		}
	}
	return out
}

// wpmWords normalizes text and cuts it into words as BERT's basic
// tokenizer does: every code point is reduced to the first code point of
// its canonical decomposition (which strips accents) and lowercased;
// whitespace separates words; NUL, U+FFFD and control characters vanish;
// punctuation, ASCII symbols and CJK ideographs are words of their own.
func wpmWords(text string) []string {
	var words []string
	var cur []byte
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	for i := 0; i < len(text); {
		r, n := decodeRune(text, i)
		i += n
		r = nfdFirstOf(r)
		f := flagsOf(r)
		if f&fSpace != 0 {
			flush()
			continue
		}
		if r == 0 || r == 0xFFFD || f&fControl != 0 {
			continue
		}
		lower := toLower(r)
		if f&fPunct != 0 || (r < 0x7F && f&fSymbol != 0) || isCJK(r) {
			flush()
			words = append(words, string(appendUTF8(nil, lower)))
			continue
		}
		cur = appendUTF8(cur, lower)
	}
	flush()
	return words
}

// isCJK reports whether r is in the CJK ideograph blocks BERT splits out:
// the unified ideographs with extensions A to E and the compatibility
// ideographs. Extension E is taken from U+2B920, not its real start
// U+2B820, as BERT's reference implementation has it.
func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) ||
		(r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) ||
		(r >= 0x2B920 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0x2F800 && r <= 0x2FA1F)
}

// nfdRange maps code points lo..hi to first.
type nfdRange struct{ lo, hi, first rune }

// nfdFirstOf returns the first code point of r's canonical decomposition
// (r itself when it has none), from nfd_table.go.
func nfdFirstOf(r rune) rune {
	if r < 0xC0 {
		return r
	}
	i := sort.Search(len(nfdFirst), func(i int) bool { return nfdFirst[i].lo > r }) - 1
	if i >= 0 && r <= nfdFirst[i].hi {
		return nfdFirst[i].first
	}
	return r
}
