package tokenizer

import (
	"fmt"
	"sort"
	"strings"
)

// Tokenizer encodes text to token ids and decodes ids to text for one
// Vocab. It is safe for concurrent use.
type Tokenizer struct {
	v       Vocab
	ids     map[string]int32 // token text → id
	maxLen  int              // longest token text, in bytes
	byteTok [256]int32       // the token of each byte (<0xNN>), NoToken if none
	ranks   map[[2]string]int
	pre     *preTokenizer
	special []int32 // control, unknown and user-defined tokens, longest text first
	lstrip  map[int32]bool
	rstrip  map[int32]bool
	eog     map[int32]bool
	// spmWords: no token has U+2581 after anything but U+2581, so
	// SentencePiece merging can go word by word (see encodeSPM).
	spmWords bool
}

// newTokenizer is New. (New itself lives in new.go, which compiled
// language model packages leave out: their New builds the model.)
func newTokenizer(v Vocab) (*Tokenizer, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	t := &Tokenizer{v: v, ids: make(map[string]int32, len(v.Tokens))}
	t.v.Tokens = make([]string, len(v.Tokens))
	for i, s := range v.Tokens {
		if s == "" {
			s = fmt.Sprintf("[EMPTY_%d]", i)
		}
		if j, dup := t.ids[s]; dup {
			return nil, fmt.Errorf("tokenizer: tokens %d and %d are both %q", j, i, s)
		}
		t.ids[s] = int32(i)
		t.v.Tokens[i] = s
		t.maxLen = max(t.maxLen, len(s))
	}
	for b := range t.byteTok {
		t.byteTok[b] = NoToken
		if v.Model == ModelSPM {
			if id, ok := t.ids[fmt.Sprintf("<0x%02X>", b)]; ok {
				t.byteTok[b] = id
			} else if id, ok := t.ids[string([]byte{byte(b)})]; ok {
				t.byteTok[b] = id
			} else {
				// llama.cpp stops with an error here; kiln writes UNK
				// (or nothing when there is none) for a byte it cannot
				// spell.
				t.byteTok[b] = v.UNK
			}
		}
	}
	if v.Model == ModelSPM {
		t.spmWords = true
		for _, s := range t.v.Tokens {
			for i := strings.Index(s, "\u2581"); i >= 0; {
				if i > 0 && !strings.HasSuffix(s[:i], "\u2581") {
					t.spmWords = false
				}
				j := strings.Index(s[i+1:], "\u2581")
				if j < 0 {
					break
				}
				i += 1 + j
			}
		}
	}
	if v.Model == ModelBPE {
		t.ranks = buildRanks(v.Merges)
		p := preTokenizers[v.Pre]
		t.pre = &p
	}
	for id := range v.Tokens {
		switch v.typeOf(int32(id)) {
		case TypeControl, TypeUnknown, TypeUserDefined:
			t.special = append(t.special, int32(id))
		}
	}
	sort.SliceStable(t.special, func(i, j int) bool {
		return len(t.v.Tokens[t.special[i]]) > len(t.v.Tokens[t.special[j]])
	})
	t.lstrip = idSet(v.LStrip)
	t.rstrip = idSet(v.RStrip)
	t.eog = idSet(v.EOG)
	if v.EOS != NoToken {
		t.eog[v.EOS] = true
	}
	return t, nil
}

func idSet(ids []int32) map[int32]bool {
	m := make(map[int32]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// Len returns the number of tokens.
func (t *Tokenizer) Len() int { return len(t.v.Tokens) }

// Model returns the tokenizer model: ModelSPM, ModelBPE or ModelWPM.
func (t *Tokenizer) Model() string { return t.v.Model }

// BOS returns the beginning-of-sequence id, NoToken if there is none.
func (t *Tokenizer) BOS() int32 { return t.v.BOS }

// EOS returns the end-of-sequence id, NoToken if there is none.
func (t *Tokenizer) EOS() int32 { return t.v.EOS }

// IsEOG reports whether id ends a generation: EOS or one of Vocab.EOG.
func (t *Tokenizer) IsEOG(id int32) bool { return t.eog[id] }

// AddBOS reports whether Encode with addSpecial starts with BOS.
func (t *Tokenizer) AddBOS() bool { return t.v.AddBOS }

// Token returns the text of id as the vocabulary stores it (with U+2581
// for spaces, or GPT-2's byte alphabet); "" for an id outside the
// vocabulary.
func (t *Tokenizer) Token(id int32) string {
	if id < 0 || int(id) >= len(t.v.Tokens) {
		return ""
	}
	return t.v.Tokens[id]
}

// ID returns the id of the token whose text is s.
func (t *Tokenizer) ID(s string) (int32, bool) {
	id, ok := t.ids[s]
	return id, ok
}

func (t *Tokenizer) score(id int32) float32 {
	if t.v.Scores == nil {
		return 0
	}
	return t.v.Scores[id]
}

// Encode returns the token ids of text. With addSpecial, BOS and EOS are
// added as the vocabulary asks (AddBOS, AddEOS; WordPiece frames the text
// with BOS, which is [CLS], and SEP). Control tokens written in the text
// are encoded as plain text; user-defined tokens are recognised.
func (t *Tokenizer) Encode(text string, addSpecial bool) []int32 {
	return t.EncodeSpecial(text, addSpecial, false)
}

// EncodeSpecial is Encode that, with parseSpecial, also recognises control
// tokens (such as "<s>" or "<|endoftext|>") written in the text.
func (t *Tokenizer) EncodeSpecial(text string, addSpecial, parseSpecial bool) []int32 {
	var out []int32
	frags := t.partition(text, parseSpecial)
	switch t.v.Model {
	case ModelSPM:
		if addSpecial && t.v.AddBOS {
			out = append(out, t.v.BOS)
		}
		afterSpecial := true // the text start counts as following a special token
		for _, f := range frags {
			if f.id != NoToken {
				out = append(out, f.id)
				afterSpecial = true
				continue
			}
			s := f.text
			if t.v.AddSpacePrefix && afterSpecial {
				s = " " + s
			}
			out = t.encodeSPM(s, out)
			afterSpecial = false
		}
		if addSpecial && t.v.AddEOS {
			out = append(out, t.v.EOS)
		}
	case ModelBPE:
		if addSpecial && t.v.AddBOS {
			out = append(out, t.v.BOS)
		}
		for _, f := range frags {
			if f.id != NoToken {
				out = append(out, f.id)
				continue
			}
			out = t.encodeBPE(f.text, out)
		}
		if addSpecial && t.v.AddEOS {
			out = append(out, t.v.EOS)
		}
	case ModelWPM:
		if addSpecial && t.v.BOS != NoToken {
			out = append(out, t.v.BOS)
		}
		for _, f := range frags {
			if f.id != NoToken {
				out = append(out, f.id)
				continue
			}
			out = wordPiece(t, f.text, out)
		}
		if addSpecial && t.v.SEP != NoToken {
			out = append(out, t.v.SEP)
		}
	}
	return out
}

// wordPiece is the WordPiece encoder (encodeWPM), set by wpm.go. The
// language model packages kiln compiles carry wpm.go and the NFD table it
// needs only when their vocabulary is WordPiece; without them, a WordPiece
// vocabulary is refused.
var wordPiece func(t *Tokenizer, text string, out []int32) []int32

// fragment is a run of text to encode, or a special token found in the
// text (id != NoToken).
type fragment struct {
	text string
	id   int32
}

// partition cuts the special tokens out of text, longest token text
// first. User-defined tokens are always cut out; control and unknown ones
// only with parseSpecial. A token marked LStrip or RStrip also takes the
// whitespace before or after it.
func (t *Tokenizer) partition(text string, parseSpecial bool) []fragment {
	if text == "" {
		return nil
	}
	frags := []fragment{{text: text, id: NoToken}}
	for _, id := range t.special {
		if !parseSpecial && t.v.typeOf(id) != TypeUserDefined {
			continue
		}
		tok := t.v.Tokens[id]
		var next []fragment
		changed := false
		for _, f := range frags {
			if f.id != NoToken || !strings.Contains(f.text, tok) {
				next = append(next, f)
				continue
			}
			changed = true
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
					next = append(next, fragment{text: left, id: NoToken})
				}
				next = append(next, fragment{id: id})
				rest = rest[k+len(tok):]
				if t.rstrip[id] {
					rest = strings.TrimLeft(rest, cSpace)
				}
			}
			if rest != "" {
				next = append(next, fragment{text: rest, id: NoToken})
			}
		}
		if changed {
			frags = next
		}
	}
	return frags
}

// cSpace is the whitespace C's isspace knows, which special-token
// stripping removes.
const cSpace = " \t\n\v\f\r"
