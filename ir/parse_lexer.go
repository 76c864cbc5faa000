package ir

import (
	"io"

	"github.com/alecthomas/participle/v2/lexer"
)

// kiln's text form has a small fixed set of tokens, so it is scanned by
// hand: participle's regexp lexer spent most of a parse in the regexp
// engine. The token names are those the grammar in parse_grammar.go uses.

// Token types; participle reserves -1 for EOF.
const (
	tokEOF lexer.TokenType = -1 - iota
	tokString
	tokConstRef
	tokValueRef
	tokHex
	tokFloat
	tokInt
	tokIdent
	tokArrow
	tokPunct
	tokList
)

var kirSymbols = map[string]lexer.TokenType{
	"EOF": tokEOF, "String": tokString, "ConstRef": tokConstRef, "ValueRef": tokValueRef,
	"Hex": tokHex, "Float": tokFloat, "Int": tokInt, "Ident": tokIdent, "Arrow": tokArrow, "Punct": tokPunct, "List": tokList,
}

// kirLexDef is the lexer.Definition of the text form. It carries the
// symbol table so that package initialization orders it before the parser.
type kirLexDef struct{ syms map[string]lexer.TokenType }

func (d kirLexDef) Symbols() map[string]lexer.TokenType { return d.syms }

func (d kirLexDef) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexBytes(filename, src)
}

func (kirLexDef) LexBytes(filename string, src []byte) (lexer.Lexer, error) {
	return &kirLexer{src: src, pos: lexer.Position{Filename: filename, Line: 1, Column: 1}}, nil
}

func (d kirLexDef) LexString(filename string, src string) (lexer.Lexer, error) {
	return d.LexBytes(filename, []byte(src))
}

type kirLexer struct {
	src     []byte
	pos     lexer.Position // position of src[pos.Offset]
	afterEq bool           // the last token was "="
}

func isNameByte(c byte) bool {
	return c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// advance moves the position over n bytes (none of them newlines except
// where skipping whitespace, which tracks lines itself).
func (l *kirLexer) advance(n int) {
	l.pos.Offset += n
	l.pos.Column += n
}

func (l *kirLexer) Next() (lexer.Token, error) {
	src := l.src
	// Skip whitespace and comments.
	for l.pos.Offset < len(src) {
		c := src[l.pos.Offset]
		switch {
		case c == '\n':
			l.pos.Offset++
			l.pos.Line++
			l.pos.Column = 1
			continue
		case c == ' ' || c == '\t' || c == '\r':
			l.advance(1)
			continue
		case c == '/' && l.pos.Offset+1 < len(src) && src[l.pos.Offset+1] == '/':
			n := 0
			for l.pos.Offset+n < len(src) && src[l.pos.Offset+n] != '\n' {
				n++
			}
			l.advance(n)
			continue
		}
		break
	}
	start := l.pos
	i := start.Offset
	if i >= len(src) {
		return lexer.EOFToken(start), nil
	}
	afterEq := l.afterEq
	l.afterEq = false
	tok := func(t lexer.TokenType, end int) (lexer.Token, error) {
		l.advance(end - i)
		l.afterEq = t == tokPunct && src[i] == '='
		return lexer.Token{Type: t, Value: string(src[i:end]), Pos: start}, nil
	}
	// quoted returns the end of a string literal starting at j ('"').
	quoted := func(j int) (int, error) {
		for j++; j < len(src); j++ {
			switch src[j] {
			case '"':
				return j + 1, nil
			case '\\':
				j++
				if j < len(src) && src[j] == '\n' {
					return 0, &lexer.Error{Msg: "unterminated string literal", Pos: start}
				}
			case '\n':
				return 0, &lexer.Error{Msg: "unterminated string literal", Pos: start}
			}
		}
		return 0, &lexer.Error{Msg: "unterminated string literal", Pos: start}
	}
	name := func(j int) int {
		for j < len(src) && isNameByte(src[j]) {
			j++
		}
		return j
	}
	c := src[i]
	if c == '[' && afterEq {
		return l.list()
	}
	switch {
	case c == '"':
		end, err := quoted(i)
		if err != nil {
			return lexer.Token{}, err
		}
		return tok(tokString, end)
	case c == '@':
		if i+1 < len(src) && src[i+1] == '"' {
			end, err := quoted(i + 1)
			if err != nil {
				return lexer.Token{}, err
			}
			return tok(tokConstRef, end)
		}
		if end := name(i + 1); end > i+1 {
			return tok(tokConstRef, end)
		}
		return lexer.Token{}, &lexer.Error{Msg: "expected a name after @", Pos: start}
	case c == '%':
		// %name or %"name", then an optional collision suffix #digits.
		end := name(i + 1)
		if i+1 < len(src) && src[i+1] == '"' {
			var err error
			if end, err = quoted(i + 1); err != nil {
				return lexer.Token{}, err
			}
		}
		if end == i+1 {
			return lexer.Token{}, &lexer.Error{Msg: "expected a name after %", Pos: start}
		}
		if end < len(src) && src[end] == '#' {
			j := end + 1
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			if j == end+1 {
				return lexer.Token{}, &lexer.Error{Msg: "expected digits after # in a value name", Pos: start}
			}
			end = j
		}
		return tok(tokValueRef, end)
	case isDigit(c):
		if c == '0' && i+2 < len(src) && src[i+1] == 'x' && isHexDigit(src[i+2]) {
			j := i + 2
			for j < len(src) && isHexDigit(src[j]) {
				j++
			}
			return tok(tokHex, j)
		}
		j := i
		for j < len(src) && isDigit(src[j]) {
			j++
		}
		typ := tokInt
		if j < len(src) && src[j] == '.' {
			typ = tokFloat
			for j++; j < len(src) && isDigit(src[j]); j++ {
			}
		}
		// An exponent counts only when digits follow it.
		if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
			k := j + 1
			if k < len(src) && (src[k] == '+' || src[k] == '-') {
				k++
			}
			if k < len(src) && isDigit(src[k]) {
				for k < len(src) && isDigit(src[k]) {
					k++
				}
				typ, j = tokFloat, k
			}
		}
		return tok(typ, j)
	case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		return tok(tokIdent, name(i+1))
	case c == '-' && i+1 < len(src) && src[i+1] == '>':
		return tok(tokArrow, i+2)
	}
	switch c {
	case '-', '(', ')', '[', ']', '{', '}', '<', '>', ',', ':', '=', '?', '*', '+', '/':
		return tok(tokPunct, i+1)
	}
	return lexer.Token{}, &lexer.Error{Msg: "unexpected character " + quoteByte(c), Pos: start}
}

// list scans a literal list, "[" after "=" (a constant's values or a list
// attribute), as one List token, so that a constant of a million elements
// costs one token instead of two million: the converter reads the
// literals from the source itself (converter.eachLiteral), one at a time.
// The token's Value is "[" and its Pos the bracket's; the list ends at the
// first "]" outside strings and comments, as the grammar's list of tokens
// did. A string not closed on its line, or a list no "]" closes, is an
// error here.
func (l *kirLexer) list() (lexer.Token, error) {
	src, start := l.src, l.pos
	line, lineStart := start.Line, start.Offset-(start.Column-1)
	for j := start.Offset + 1; j < len(src); j++ {
		switch src[j] {
		case '\n':
			line, lineStart = line+1, j+1
		case '"':
			at := lexer.Position{Filename: start.Filename, Offset: j, Line: line, Column: j - lineStart + 1}
			for j++; j < len(src) && src[j] != '"'; j++ {
				if src[j] == '\\' {
					j++
				}
				if j < len(src) && src[j] == '\n' {
					return lexer.Token{}, &lexer.Error{Msg: "unterminated string literal", Pos: at}
				}
			}
			if j >= len(src) {
				return lexer.Token{}, &lexer.Error{Msg: "unterminated string literal", Pos: at}
			}
		case '/':
			if j+1 < len(src) && src[j+1] == '/' {
				for j < len(src) && src[j] != '\n' {
					j++
				}
				j-- // the newline is counted by the loop
			}
		case ']':
			l.pos = lexer.Position{Filename: start.Filename, Offset: j + 1, Line: line, Column: j + 1 - lineStart + 1}
			return lexer.Token{Type: tokList, Value: "[", Pos: start}, nil
		}
	}
	return lexer.Token{}, &lexer.Error{Msg: "list not closed by ]", Pos: start}
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	const hexd = "0123456789abcdef"
	return "byte 0x" + string([]byte{hexd[c>>4], hexd[c&15]})
}
