package llmrt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// The token types of GGUF's tokenizer.ggml.token_type.
const (
	tokNormal      = 1
	tokUnknown     = 2
	tokControl     = 3
	tokUserDefined = 4
	tokUnused      = 5
	tokByte        = 6
)

// Tokenizer is the model's SentencePiece-style tokenizer (GGUF
// tokenizer.ggml.model "llama"), built from the vocabulary the compiler
// copied out of the GGUF metadata: merges by score, byte fallback
// (<0xNN> tokens), a space prefix, user-defined tokens recognised in
// text. It tokenizes as llama.cpp does. It is safe for concurrent use.
type Tokenizer struct {
	tokens         []string
	scores         []float32
	types          []byte
	ids            map[string]int32
	byteTok        [256]int32
	special        []int32 // user-defined tokens, longest text first
	lstrip, rstrip map[int32]bool
	eog            map[int32]bool
	bos, eos, unk  int32
	addBOS, addEOS bool
	addSpace       bool
}

// vocabMagic opens the vocabulary section of the weights blob.
const vocabMagic = "KLNV\x01\x00\x00\x00"

// vocabReader reads the vocabulary section, remembering the first error.
type vocabReader struct {
	b   []byte
	err error
}

func (r *vocabReader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		if r.err == nil {
			r.err = errors.New("vocabulary section is truncated")
		}
		return make([]byte, max(n, 0))
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *vocabReader) u32() uint32 { return binary.LittleEndian.Uint32(r.take(4)) }
func (r *vocabReader) i32() int32  { return int32(r.u32()) }

func (r *vocabReader) ids(n int) []int32 {
	c := int(r.u32())
	if c > n {
		r.err = errors.New("vocabulary section lists more ids than tokens")
		return nil
	}
	out := make([]int32, c)
	for i := range out {
		out[i] = r.i32()
	}
	return out
}

// newTokenizer parses the vocabulary section written by the compiler.
func newTokenizer(b []byte) (*Tokenizer, error) {
	if !strings.HasPrefix(string(b), vocabMagic) {
		return nil, errors.New("vocabulary section: bad magic")
	}
	r := &vocabReader{b: b[len(vocabMagic):]}
	n := int(r.u32())
	if n > len(r.b) {
		return nil, errors.New("vocabulary section: token count exceeds its bytes")
	}
	t := &Tokenizer{tokens: make([]string, n), scores: make([]float32, n), types: make([]byte, n), ids: make(map[string]int32, n)}
	for i := 0; i < n && r.err == nil; i++ {
		t.tokens[i] = string(r.take(int(r.u32())))
		t.scores[i] = math.Float32frombits(r.u32())
		t.types[i] = r.take(1)[0]
		t.ids[t.tokens[i]] = int32(i)
	}
	t.bos, t.eos, t.unk = r.i32(), r.i32(), r.i32()
	flags := r.take(3)
	t.addBOS, t.addEOS, t.addSpace = flags[0] != 0, flags[1] != 0, flags[2] != 0
	eog, ls, rs := r.ids(n), r.ids(n), r.ids(n)
	if r.err != nil {
		return nil, fmt.Errorf("vocabulary section: %w", r.err)
	}
	for _, id := range []int32{t.bos, t.eos, t.unk} {
		if id < -1 || int(id) >= n {
			return nil, fmt.Errorf("vocabulary section: special id %d outside %d tokens", id, n)
		}
	}
	set := func(ids []int32) map[int32]bool {
		m := map[int32]bool{}
		for _, id := range ids {
			if id >= 0 && int(id) < n {
				m[id] = true
			}
		}
		return m
	}
	t.eog, t.lstrip, t.rstrip = set(eog), set(ls), set(rs)
	if t.eos >= 0 {
		t.eog[t.eos] = true
	}
	for b := range t.byteTok {
		t.byteTok[b] = t.unk
		if id, ok := t.ids[fmt.Sprintf("<0x%02X>", b)]; ok {
			t.byteTok[b] = id
		} else if id, ok := t.ids[string([]byte{byte(b)})]; ok {
			t.byteTok[b] = id
		}
	}
	for id, typ := range t.types {
		if typ == tokUserDefined {
			t.special = append(t.special, int32(id))
		}
	}
	sort.SliceStable(t.special, func(i, j int) bool { return len(t.tokens[t.special[i]]) > len(t.tokens[t.special[j]]) })
	return t, nil
}

// Len returns the vocabulary size.
func (t *Tokenizer) Len() int { return len(t.tokens) }

// BOS returns the beginning-of-sequence id, -1 when there is none.
func (t *Tokenizer) BOS() int32 { return t.bos }

// EOS returns the end-of-sequence id, -1 when there is none.
func (t *Tokenizer) EOS() int32 { return t.eos }

// IsEOG reports whether id ends a generation (EOS and the end-of-turn
// tokens the metadata names).
func (t *Tokenizer) IsEOG(id int32) bool { return t.eog[id] }

// TokenText returns the text id stands for: spaces restored (U+2581 as
// " "), a byte token as its byte (possibly part of a UTF-8 sequence),
// user-defined tokens as written; control, unknown and unused tokens and
// ids outside the vocabulary give "".
func (t *Tokenizer) TokenText(id int32) string {
	if id < 0 || int(id) >= len(t.tokens) {
		return ""
	}
	s := t.tokens[id]
	switch t.types[id] {
	case tokUserDefined:
		return s
	case tokNormal:
		return strings.ReplaceAll(s, "\u2581", " ")
	case tokByte:
		if len(s) == 6 && s[:3] == "<0x" && s[5] == '>' {
			var b byte
			for _, c := range []byte(s[3:5]) {
				switch {
				case c >= '0' && c <= '9':
					b = b<<4 | (c - '0')
				case c >= 'A' && c <= 'F':
					b = b<<4 | (c - 'A' + 10)
				case c >= 'a' && c <= 'f':
					b = b<<4 | (c - 'a' + 10)
				default:
					return ""
				}
			}
			return string([]byte{b})
		}
	}
	return ""
}

// Decode returns the text of ids: their token texts joined, with the
// first one's leading space dropped when the vocabulary adds a space
// prefix (a leading BOS, whose text is empty, takes that role, as in
// llama.cpp). Ids outside the vocabulary are skipped.
func (t *Tokenizer) Decode(ids []int32) string {
	var b strings.Builder
	strip := t.addSpace
	for _, id := range ids {
		p := t.TokenText(id)
		if strip {
			p = strings.TrimPrefix(p, " ")
			strip = false
		}
		b.WriteString(p)
	}
	return b.String()
}

// Encode returns the token ids of text; with bos, the ids the vocabulary
// adds around a sequence (BOS, and EOS when it asks for it). Control
// tokens written in the text are encoded as plain text; user-defined ones
// are recognised.
func (t *Tokenizer) Encode(text string, bos bool) []int32 {
	var out []int32
	if bos && t.addBOS && t.bos >= 0 {
		out = append(out, t.bos)
	}
	after := true // the start of the text counts as following a special token
	for _, f := range t.partition(text) {
		if f.id >= 0 {
			out = append(out, f.id)
			after = true
			continue
		}
		s := f.text
		if t.addSpace && after {
			s = " " + s
		}
		out = t.encodeSPM(s, out)
		after = false
	}
	if bos && t.addEOS && t.eos >= 0 {
		out = append(out, t.eos)
	}
	return out
}

// fragment is a run of text, or a user-defined token found in it (id >= 0).
type fragment struct {
	text string
	id   int32
}

// cSpace is the whitespace C's isspace knows.
const cSpace = " \t\n\v\f\r"

// partition cuts the user-defined tokens out of text, longest first.
func (t *Tokenizer) partition(text string) []fragment {
	if text == "" {
		return nil
	}
	frags := []fragment{{text: text, id: -1}}
	for _, id := range t.special {
		tok := t.tokens[id]
		var next []fragment
		for _, f := range frags {
			if f.id >= 0 || !strings.Contains(f.text, tok) {
				next = append(next, f)
				continue
			}
			rest := f.text
			for {
				k := strings.Index(rest, tok)
				if k < 0 {
					break
				}
				left := rest[:k]
				if t.lstrip[id] {
					left = strings.TrimRight(left, cSpace)
				}
				if left != "" {
					next = append(next, fragment{text: left, id: -1})
				}
				next = append(next, fragment{id: id})
				rest = rest[k+len(tok):]
				if t.rstrip[id] {
					rest = strings.TrimLeft(rest, cSpace)
				}
			}
			if rest != "" {
				next = append(next, fragment{text: rest, id: -1})
			}
		}
		frags = next
	}
	return frags
}

// symbol is a run of text during merging, linked to its live neighbours.
type symbol struct{ start, n, prev, next int }

// bigram is a candidate merge; size is the joined text's length when
// queued, so a stale candidate is recognised when popped.
type bigram struct {
	left, right int
	score       float32
	size        int
}

// before orders merges: the highest score first, the leftmost on ties.
func (b bigram) before(o bigram) bool {
	if b.score != o.score {
		return b.score > o.score
	}
	return b.left < o.left
}

// utf8Len is the length of the UTF-8 sequence a lead byte announces, by
// its high four bits, as llama.cpp splits text into symbols.
func utf8Len(b byte) int {
	switch b >> 4 {
	case 0xC, 0xD:
		return 2
	case 0xE:
		return 3
	case 0xF:
		return 4
	}
	return 1
}

// encodeSPM appends the ids of text: spaces become U+2581, adjacent
// symbols merge (the pair whose joined text is the token of highest
// score first), and what never became a token is written as byte tokens.
func (t *Tokenizer) encodeSPM(text string, out []int32) []int32 {
	text = strings.ReplaceAll(text, " ", "\u2581")
	var syms []symbol
	for i := 0; i < len(text); {
		n := min(utf8Len(text[i]), len(text)-i)
		syms = append(syms, symbol{start: i, n: n, prev: len(syms) - 1, next: len(syms) + 1})
		i += n
	}
	if len(syms) == 0 {
		return out
	}
	syms[len(syms)-1].next = -1
	var queue []bigram
	push := func(left, right int) {
		if left < 0 || right < 0 {
			return
		}
		joined := text[syms[left].start : syms[left].start+syms[left].n+syms[right].n]
		id, ok := t.ids[joined]
		if !ok {
			return
		}
		queue = append(queue, bigram{left: left, right: right, score: t.scores[id], size: len(joined)})
		for i := len(queue) - 1; i > 0; {
			p := (i - 1) / 2
			if !queue[i].before(queue[p]) {
				break
			}
			queue[i], queue[p] = queue[p], queue[i]
			i = p
		}
	}
	pop := func() bigram {
		top := queue[0]
		n := len(queue) - 1
		queue[0] = queue[n]
		queue = queue[:n]
		for i := 0; ; {
			c := 2*i + 1
			if c >= n {
				break
			}
			if c+1 < n && queue[c+1].before(queue[c]) {
				c++
			}
			if !queue[c].before(queue[i]) {
				break
			}
			queue[i], queue[c] = queue[c], queue[i]
			i = c
		}
		return top
	}
	for i := 0; i+1 < len(syms); i++ {
		push(i, i+1)
	}
	for len(queue) > 0 {
		b := pop()
		l, r := &syms[b.left], &syms[b.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != b.size {
			continue
		}
		l.n += r.n
		r.n = 0
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		push(l.prev, b.left)
		push(b.left, l.next)
	}
	for i := 0; i >= 0; i = syms[i].next {
		piece := text[syms[i].start : syms[i].start+syms[i].n]
		if id, ok := t.ids[piece]; ok {
			out = append(out, id)
			continue
		}
		for j := 0; j < len(piece); j++ {
			if id := t.byteTok[piece[j]]; id >= 0 {
				out = append(out, id)
			}
		}
	}
	return out
}
