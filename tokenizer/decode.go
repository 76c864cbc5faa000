package tokenizer

import (
	"fmt"
	"strings"
)

// Piece returns the text id stands for: spaces restored (U+2581 → " "),
// byte tokens as their byte, GPT-2's byte alphabet turned back into bytes.
// A piece may be part of a UTF-8 sequence. Control and unknown tokens give
// their own text when special is set and "" otherwise; unused tokens and
// ids outside the vocabulary give "".
func (t *Tokenizer) Piece(id int32, special bool) string {
	if id < 0 || int(id) >= len(t.v.Tokens) {
		return ""
	}
	text := t.v.Tokens[id]
	typ := t.v.typeOf(id)
	switch typ {
	case TypeControl, TypeUnknown:
		if !special {
			return ""
		}
		return text
	case TypeUserDefined:
		return text
	case TypeNormal:
		if t.v.Model == ModelBPE {
			return decodeByteLevel(text)
		}
		return strings.ReplaceAll(text, "\u2581", " ")
	case TypeByte:
		if t.v.Model != ModelBPE {
			if b, ok := parseByteToken(text); ok {
				return string([]byte{b})
			}
		}
	}
	return ""
}

// TokenText is Piece(id, false): the text id adds to generated text, ""
// for control, unknown and unused tokens.
func (t *Tokenizer) TokenText(id int32) string { return t.Piece(id, false) }

// parseByteToken reads "<0xNN>".
func parseByteToken(s string) (byte, bool) {
	if len(s) != 6 || s[:3] != "<0x" || s[5] != '>' {
		return 0, false
	}
	var b byte
	for _, c := range s[3:5] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = byte(c - '0')
		case c >= 'A' && c <= 'F':
			d = byte(c-'A') + 10
		case c >= 'a' && c <= 'f':
			d = byte(c-'a') + 10
		default:
			return 0, false
		}
		b = b<<4 | d
	}
	return b, true
}

// Decode returns the text of ids: their pieces joined, control tokens
// left out, and for BPE and WordPiece vocabularies spaces before
// punctuation cleaned up as their decoders do. When the vocabulary adds a
// space prefix, the first id's piece loses its leading space; as in
// llama.cpp, that is BOS's (empty) piece when the ids start with BOS, so
// [BOS ▁Once] decodes as " Once" (DecodeSpecial with removeSpecial gives
// the same). An id outside the vocabulary is an error.
func (t *Tokenizer) Decode(ids []int32) (string, error) {
	return t.DecodeSpecial(ids, false, false)
}

// DecodeSpecial is Decode with llama.cpp's two switches: removeSpecial
// drops a leading BOS and a trailing EOS the vocabulary adds, and
// unparseSpecial writes control tokens as their text.
func (t *Tokenizer) DecodeSpecial(ids []int32, removeSpecial, unparseSpecial bool) (string, error) {
	for i, id := range ids {
		if id < 0 || int(id) >= len(t.v.Tokens) {
			return "", fmt.Errorf("tokenizer: id %d at position %d outside the %d tokens", id, i, len(t.v.Tokens))
		}
	}
	stripSpace := t.v.AddSpacePrefix
	if removeSpecial && t.v.AddBOS && len(ids) > 0 && ids[0] == t.v.BOS {
		stripSpace = false
		ids = ids[1:]
	}
	if removeSpecial && t.v.AddEOS && len(ids) > 0 && ids[len(ids)-1] == t.v.EOS {
		ids = ids[:len(ids)-1]
	}
	var b []byte
	for _, id := range ids {
		p := t.Piece(id, unparseSpecial)
		if stripSpace {
			p = strings.TrimPrefix(p, " ")
			stripSpace = false
		}
		b = append(b, p...)
	}
	if t.v.CleanSpaces {
		b = cleanSpaces(b)
	}
	return string(b), nil
}

// cleanSpaces undoes the spaces BPE and WordPiece decoding leaves around
// punctuation, in three passes over the text:
//  1. " ?", " !", " ." and " ," lose their space;
//  2. a lone apostrophe between spaces (" ' ") loses both spaces;
//  3. " 's", " 'm", " 're" and " 've" lose their space (" 't", " 'd" and
//     " 'll" keep it).
func cleanSpaces(b []byte) []byte {
	// Each pass compacts in place: w is where the next kept byte goes,
	// and b[i-1] is still the original byte before b[i], because w never
	// passes i.
	if len(b) == 0 {
		return b
	}
	w := 1
	for i := 1; i < len(b); i++ {
		x := b[i]
		if b[i-1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',') {
			w--
		}
		b[w] = x
		w++
	}
	b = b[:w]

	w = 1
	for i := 1; i < len(b); i++ {
		x := b[i]
		if x == '\'' && i+1 < len(b) && b[i-1] == ' ' && b[i+1] == ' ' {
			w--
			// The space after is dropped too; the NUL left in its place
			// keeps it from matching as the next byte's predecessor.
			b[w] = x
			w++
			i++
			b[i] = 0
			continue
		}
		b[w] = x
		w++
	}
	b = b[:w]

	w = 1
	for i := 1; i < len(b); i++ {
		x := b[i]
		if b[i-1] == ' ' && x == '\'' && i+1 < len(b) {
			x1 := b[i+1]
			switch {
			case x1 == 's' || x1 == 'm':
				w--
			case i+2 < len(b) && ((x1 == 'r' && b[i+2] == 'e') || (x1 == 'v' && b[i+2] == 'e')):
				w--
			}
		}
		b[w] = x
		w++
	}
	return b[:w]
}
