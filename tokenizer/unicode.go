package tokenizer

import (
	"unicode"
)

// cpFlags classifies a code point the way llama.cpp's tokenizers do: one
// general-category group (Cn is "undefined"; Cc, Cf, Co and Cs are
// "control") plus a whitespace bit from Unicode's White_Space property.
type cpFlags uint16

const (
	fUndefined cpFlags = 1 << iota
	fNumber
	fLetter
	fSeparator
	fMark
	fPunct
	fSymbol
	fControl
	fSpace
)

// outOfRange is the code point scanners read past the end of a piece.
const outOfRange = -1

var asciiFlags = func() (t [128]cpFlags) {
	for r := rune(0); r < 128; r++ {
		t[r] = classify(r)
	}
	return t
}()

// flagsOf returns the flags of r; a position outside the text (outOfRange)
// has no flags at all.
func flagsOf(r rune) cpFlags {
	if r >= 0 && r < 128 {
		return asciiFlags[r]
	}
	if r < 0 {
		return 0
	}
	return classify(r)
}

func classify(r rune) cpFlags {
	var f cpFlags
	switch {
	case r > unicode.MaxRune:
		f = fUndefined
	case unicode.Is(unicode.L, r):
		f = fLetter
	case unicode.Is(unicode.N, r):
		f = fNumber
	case unicode.Is(unicode.P, r):
		f = fPunct
	case unicode.Is(unicode.S, r):
		f = fSymbol
	case unicode.Is(unicode.M, r):
		f = fMark
	case unicode.Is(unicode.Z, r):
		f = fSeparator
	case unicode.Is(unicode.C, r):
		f = fControl
	default:
		f = fUndefined
	}
	if isWhiteSpace(r) {
		f |= fSpace
	}
	return f
}

// isWhiteSpace is Unicode's White_Space property (PropList.txt), which is
// what llama.cpp's \s means: U+0009..U+000D, space, U+0085, U+00A0 and the
// wide spaces, but not U+001C..U+001F.
func isWhiteSpace(r rune) bool {
	return r >= 0 && unicode.Is(unicode.White_Space, r)
}

// toLower is the simple lowercase mapping of UnicodeData.txt.
func toLower(r rune) rune {
	if r < 0 || r > unicode.MaxRune {
		return r
	}
	return unicode.ToLower(r)
}

// utf8Len is the length of the UTF-8 sequence a lead byte announces, judged
// by its high four bits alone, as llama.cpp splits text into symbols: a
// stray continuation byte counts as one byte.
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

// decodeRune decodes one code point at s[i:] as llama.cpp does: lead and
// continuation bits are checked, overlong forms and surrogates are not. An
// invalid sequence yields U+FFFD and advances one byte.
func decodeRune(s string, i int) (rune, int) {
	b := s[i]
	switch {
	case b < 0x80:
		return rune(b), 1
	case b&0x40 == 0:
		return unicode.ReplacementChar, 1
	case b&0x20 == 0:
		if i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
			return rune(b&0x1F)<<6 | rune(s[i+1]&0x3F), 2
		}
	case b&0x10 == 0:
		if i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			return rune(b&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), 3
		}
	case b&0x08 == 0:
		if i+3 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 && s[i+3]&0xC0 == 0x80 {
			return rune(b&0x07)<<18 | rune(s[i+1]&0x3F)<<12 | rune(s[i+2]&0x3F)<<6 | rune(s[i+3]&0x3F), 4
		}
	}
	return unicode.ReplacementChar, 1
}

// codePoints decodes s with decodeRune.
func codePoints(s string) []rune {
	out := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		r, n := decodeRune(s, i)
		out = append(out, r)
		i += n
	}
	return out
}

// appendUTF8 appends r's UTF-8 bytes, writing code points Go would refuse
// (surrogates, values past U+10FFFF from a lenient decode) bit for bit as
// llama.cpp does, up to 21 bits.
func appendUTF8(b []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(b, byte(r))
	case r < 0x800:
		return append(b, 0xC0|byte(r>>6), 0x80|byte(r&0x3F))
	case r < 0x10000:
		return append(b, 0xE0|byte(r>>12), 0x80|byte(r>>6&0x3F), 0x80|byte(r&0x3F))
	default:
		return append(b, 0xF0|byte(r>>18&0x07), 0x80|byte(r>>12&0x3F), 0x80|byte(r>>6&0x3F), 0x80|byte(r&0x3F))
	}
}
