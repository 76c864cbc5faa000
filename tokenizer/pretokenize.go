package tokenizer

import (
	"sort"
	"strings"
)

// A splitter refines a pre-tokenization: given the text's code points and
// the lengths (in code points) of the pieces found so far, it returns the
// lengths of the pieces after splitting each one further. Pieces never
// merge, and a splitter looks at one piece at a time: a scanner reading past
// a piece's end sees outOfRange.
type splitter func(cps []rune, pieces []int) []int

// preTokenizer is what tokenizer.ggml.pre selects for a BPE vocabulary: the
// splitters applied in order and the flags llama.cpp ties to the name.
type preTokenizer struct {
	splits       []splitter
	ignoreMerges bool // a word that is a token is taken whole
	addBOS       bool // encodings start with BOS by default
	keepSpaces   bool // decoding keeps spaces before punctuation
}

// The pre-tokenizer regexes, as the original tokenizers define them:
//
//	gpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//	llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//	qwen2:  the same with \p{N} for \p{N}{1,3}
//
// and the simpler ones llama.cpp runs before or after them: runs of
// punctuation ([\p{P}\$\+<=>\^~\|]+, falcon's adds the backtick), runs of
// numbers (\p{N}+), single numbers (\p{N}) and groups of three ASCII digits
// ([0-9][0-9][0-9]).
var (
	gpt2Family = preTokenizer{splits: []splitter{splitGPT2}}
	llama3     = preTokenizer{splits: []splitter{splitLlama3}, ignoreMerges: true, addBOS: true}
	starcoder  = preTokenizer{splits: []splitter{splitEach(isNumber), splitGPT2}}
	qwen2      = preTokenizer{splits: []splitter{llama3Style(1)}, keepSpaces: true}
)

// preTokenizers maps tokenizer.ggml.pre values to pre-tokenizers. An empty
// name is what files written before the key existed have; llama.cpp falls
// back to "default" for them.
var preTokenizers = map[string]preTokenizer{
	"":        {splits: []splitter{splitRuns(isDefaultPunct), splitGPT2, splitRuns(isNumber), splitDigitTriples}},
	"default": {splits: []splitter{splitRuns(isDefaultPunct), splitGPT2, splitRuns(isNumber), splitDigitTriples}},
	"falcon":  {splits: []splitter{splitRuns(isFalconPunct), splitGPT2, splitDigitTriples}},

	"gpt-2": gpt2Family, "phi-2": gpt2Family, "jina-es": gpt2Family, "jina-de": gpt2Family,
	"gigachat": gpt2Family, "jina-v1-en": gpt2Family, "jina-v2-es": gpt2Family,
	"jina-v2-de": gpt2Family, "jina-v2-code": gpt2Family, "roberta-bpe": gpt2Family,
	"mpt": gpt2Family, "olmo": gpt2Family, "jais": gpt2Family,

	"llama3": llama3, "llama-v3": llama3, "llama-bpe": llama3, "falcon3": llama3,
	"dbrx":      {splits: []splitter{splitLlama3}},
	"smaug-bpe": {splits: []splitter{splitLlama3}},

	"starcoder": starcoder, "refact": starcoder, "codeshell": starcoder, "exaone": starcoder,
	"minerva-7b": starcoder,
	"command-r":  {splits: starcoder.splits, keepSpaces: true},
	"smollm":     {splits: starcoder.splits, keepSpaces: true},

	"qwen2": qwen2, "deepseek-r1-qwen": qwen2,
	"megrez":    {splits: qwen2.splits},
	"stablelm2": {splits: qwen2.splits},
}

// supportedPre lists the supported pre-tokenizer names for error messages.
func supportedPre() string {
	var names []string
	for n := range preTokenizers {
		if n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// split cuts text into the words BPE merges within, as lengths in code
// points.
func (p *preTokenizer) split(cps []rune) []int {
	pieces := []int{len(cps)}
	if len(cps) == 0 {
		return nil
	}
	for _, s := range p.splits {
		pieces = s(cps, pieces)
	}
	return pieces
}

func isNumber(r rune) bool { return flagsOf(r)&fNumber != 0 }

// isDefaultPunct is [\p{P}\$\+<=>\^~\|].
func isDefaultPunct(r rune) bool {
	return flagsOf(r)&fPunct != 0 || strings.ContainsRune("$+<=>^~|", r)
}

// isFalconPunct is [\p{P}\$\+<=>\^~\|`].
func isFalconPunct(r rune) bool {
	return flagsOf(r)&fPunct != 0 || strings.ContainsRune("$+<=>^~|`", r)
}

// splitRuns splits each piece into maximal runs of code points that match
// and runs that do not: the regex class+ with the gaps kept as pieces.
func splitRuns(match func(rune) bool) splitter {
	return func(cps []rune, pieces []int) []int {
		out := make([]int, 0, len(pieces))
		start := 0
		for _, n := range pieces {
			end := start + n
			for i := start; i < end; {
				m := match(cps[i])
				j := i + 1
				for j < end && match(cps[j]) == m {
					j++
				}
				out = append(out, j-i)
				i = j
			}
			start = end
		}
		return out
	}
}

// splitEach makes every matching code point a piece of its own: the regex
// class (one character) with the gaps kept as pieces.
func splitEach(match func(rune) bool) splitter {
	return func(cps []rune, pieces []int) []int {
		out := make([]int, 0, len(pieces))
		start := 0
		for _, n := range pieces {
			end := start + n
			gap := start
			for i := start; i < end; i++ {
				if match(cps[i]) {
					if i > gap {
						out = append(out, i-gap)
					}
					out = append(out, 1)
					gap = i + 1
				}
			}
			if end > gap {
				out = append(out, end-gap)
			}
			start = end
		}
		return out
	}
}

// splitDigitTriples is [0-9][0-9][0-9]: scanning left to right, every three
// consecutive ASCII digits not already taken become a piece.
func splitDigitTriples(cps []rune, pieces []int) []int {
	isDigit := func(r rune) bool { return r >= '0' && r <= '9' }
	out := make([]int, 0, len(pieces))
	start := 0
	for _, n := range pieces {
		end := start + n
		gap := start
		for i := start; i+3 <= end; {
			if isDigit(cps[i]) && isDigit(cps[i+1]) && isDigit(cps[i+2]) {
				if i > gap {
					out = append(out, i-gap)
				}
				out = append(out, 3)
				i += 3
				gap = i
				continue
			}
			i++
		}
		if end > gap {
			out = append(out, end-gap)
		}
		start = end
	}
	return out
}

// scanner walks one piece of a code point slice, cutting it into words.
type scanner struct {
	cps        []rune
	start, end int // the piece
	prev       int // end of the last word
	out        []int
}

// at returns the code point at i, outOfRange outside the piece.
func (s *scanner) at(i int) rune {
	if i < s.start || i >= s.end {
		return outOfRange
	}
	return s.cps[i]
}

func (s *scanner) flags(i int) cpFlags { return flagsOf(s.at(i)) }

// cut ends a word at end and returns its length.
func (s *scanner) cut(end int) int {
	n := end - s.prev
	if n > 0 {
		s.out = append(s.out, n)
	}
	s.prev = end
	return n
}

// eachPiece runs scan over every piece.
func eachPiece(cps []rune, pieces []int, scan func(s *scanner)) []int {
	s := &scanner{cps: cps, out: make([]int, 0, len(pieces))}
	start := 0
	for _, n := range pieces {
		s.start, s.end, s.prev = start, start+n, start
		scan(s)
		start += n
	}
	return s.out
}

const notLetterNumberSpace = fSpace | fLetter | fNumber

// trailingSpaces handles the whitespace alternatives \s+(?!\S)|\s+ at pos:
// a run of whitespace followed by more text leaves its last code point to
// start the next word (so " world" keeps its space); a run at the end of the
// piece is one word. It returns the new position; pos itself when there is
// no whitespace.
func (s *scanner) trailingSpaces(pos int) int {
	n := 0
	for s.flags(pos+n)&fSpace != 0 {
		n++
	}
	if n > 1 && s.at(pos+n) != outOfRange {
		pos += n - 1
		s.cut(pos)
		return pos
	}
	if n > 0 {
		pos += n
		s.cut(pos)
	}
	return pos
}

// contraction matches 's 't 'm 'd 're 've 'll at pos, lowering the letters
// first when fold is set, and returns the length matched (0 for none).
func (s *scanner) contraction(pos int, fold bool) int {
	if s.at(pos) != '\'' || pos+1 >= s.end {
		return 0
	}
	c1 := s.at(pos + 1)
	if fold {
		c1 = toLower(c1)
	}
	switch c1 {
	case 's', 't', 'm', 'd':
		return 2
	}
	if pos+2 >= s.end {
		return 0
	}
	c2 := s.at(pos + 2)
	if fold {
		c2 = toLower(c2)
	}
	if (c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l') {
		return 3
	}
	return 0
}

// splitGPT2 is the gpt2 regex. Alternatives are tried in order at each
// position, as a backtracking regex engine would.
func splitGPT2(cps []rune, pieces []int) []int {
	return eachPiece(cps, pieces, func(s *scanner) {
		for pos := s.start; pos < s.end; {
			if n := s.contraction(pos, false); n > 0 {
				pos += s.cut(pos + n)
				continue
			}
			c := s.at(pos)
			// " ?" before a letter, number or other run: the class is
			// decided by the code point after an optional space.
			f := s.flags(pos)
			if c == ' ' {
				f = s.flags(pos + 1)
			}
			var class func(cpFlags) bool
			switch {
			case f&fLetter != 0:
				class = func(f cpFlags) bool { return f&fLetter != 0 }
			case f&fNumber != 0:
				class = func(f cpFlags) bool { return f&fNumber != 0 }
			case f&notLetterNumberSpace == 0 && f != 0:
				class = func(f cpFlags) bool { return f&notLetterNumberSpace == 0 && f != 0 }
			}
			if class != nil {
				if c == ' ' {
					pos++
				}
				for class(s.flags(pos)) {
					pos++
				}
				s.cut(pos)
				continue
			}
			if p := s.trailingSpaces(pos); p != pos {
				pos = p
				continue
			}
			pos++
			s.cut(pos)
		}
	})
}

// splitLlama3 is the llama3 regex.
var splitLlama3 = llama3Style(3)

// llama3Style is the llama3 regex with numbers in groups of up to
// maxDigits code points: \p{N}{1,3} for llama3, \p{N} for qwen2.
func llama3Style(maxDigits int) splitter {
	return func(cps []rune, pieces []int) []int {
		return splitLlama3Style(cps, pieces, maxDigits)
	}
}

func splitLlama3Style(cps []rune, pieces []int, maxDigits int) []int {
	return eachPiece(cps, pieces, func(s *scanner) {
		for pos := s.start; pos < s.end; {
			if n := s.contraction(pos, true); n > 0 {
				pos += s.cut(pos + n)
				continue
			}
			c := s.at(pos)
			f := s.flags(pos)
			// [^\r\n\p{L}\p{N}]?\p{L}+
			if c != '\r' && c != '\n' && f&fNumber == 0 && (f&fLetter != 0 || s.flags(pos+1)&fLetter != 0) {
				pos++
				for s.flags(pos)&fLetter != 0 {
					pos++
				}
				s.cut(pos)
				continue
			}
			// \p{N}{1,maxDigits}
			if f&fNumber != 0 {
				first := pos
				for s.flags(pos)&fNumber != 0 {
					pos++
					if pos-first >= maxDigits {
						s.cut(pos)
						first = pos
					}
				}
				s.cut(pos)
				continue
			}
			// " ?[^\s\p{L}\p{N}]+[\r\n]*"
			f2 := f
			if c == ' ' {
				f2 = s.flags(pos + 1)
			}
			if f2&notLetterNumberSpace == 0 && f != 0 {
				if c == ' ' {
					pos++
				}
				for g := s.flags(pos); g&notLetterNumberSpace == 0 && g != 0; g = s.flags(pos) {
					pos++
				}
				for c2 := s.at(pos); c2 == '\r' || c2 == '\n'; c2 = s.at(pos) {
					pos++
				}
				s.cut(pos)
				continue
			}
			// \s*[\r\n]+: whitespace up to its last line break
			lastBreak := -1
			for i := pos; s.flags(i)&fSpace != 0; i++ {
				if c2 := s.at(i); c2 == '\r' || c2 == '\n' {
					lastBreak = i + 1
				}
			}
			if lastBreak >= 0 {
				pos = lastBreak
				s.cut(pos)
				continue
			}
			if p := s.trailingSpaces(pos); p != pos {
				pos = p
				continue
			}
			pos++
			s.cut(pos)
		}
	})
}
