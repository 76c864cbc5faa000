package ir

import (
	"sort"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// Comments are the // comments of a module read from text, kept so that
// Print gives them back (kiln fmt keeps comments, as gofmt does). Each
// comment belongs to one printed line, its Anchor: a comment on a line of
// its own to the next line below it, a comment after code to the end of
// that line. Print writes the comments above a line at the line's
// indentation, and an end-of-line comment after one space.
//
// Comments are keyed by the objects of the module, so they follow an op
// through rewrites and vanish with it; Clone does not copy them.
type Comments struct {
	Above    map[Anchor][]string // whole-line comments, "//" included, top to bottom
	Trailing map[Anchor]string   // the end-of-line comment, "//" included
}

// AnchorKind says which printed line an Anchor names.
type AnchorKind uint8

// The lines of the text form a comment can belong to.
const (
	AnchorMeta      AnchorKind = iota + 1 // a meta line (Name is the key)
	AnchorSym                             // a sym line (Name is the symbol)
	AnchorConst                           // a const line (Value)
	AnchorFunc                            // a func header line (Func)
	AnchorOp                              // an op's line (Op); for an op with regions, the line ending in "{"
	AnchorOpEnd                           // the "}" closing an op's regions (Op)
	AnchorRegion                          // a region's header line, "body(...) {" (Region)
	AnchorReturn                          // a region's return line (Region; a function's Body for its return)
	AnchorEnd                             // the "}" closing a region (Region; a function's Body for the func's "}")
	AnchorModuleEnd                       // after the last line of the module
)

// Anchor names a printed line of a module; the field its Kind names is set.
type Anchor struct {
	Kind   AnchorKind
	Name   string
	Value  *Value
	Func   *Func
	Op     *Op
	Region *Region
}

// printHeader is the first line Print writes; Parse does not keep it as a
// comment of its own.
const printHeader = "// kiln IR"

// srcComment is a comment found in the text.
type srcComment struct {
	offset, line int
	text         string
	ownLine      bool // nothing but blanks before it on its line
}

// scanComments finds the // comments of src, skipping string literals as
// the lexer does.
func scanComments(src []byte) []srcComment {
	var out []srcComment
	line, code := 1, false
	for i := 0; i < len(src); i++ {
		switch ch := src[i]; {
		case ch == '\n':
			line, code = line+1, false
		case ch == ' ' || ch == '\t' || ch == '\r':
		case ch == '"':
			code = true
			for i++; i < len(src) && src[i] != '"' && src[i] != '\n'; i++ {
				if src[i] == '\\' && i+1 < len(src) && src[i+1] != '\n' {
					i++
				}
			}
			if i < len(src) && src[i] == '\n' {
				i-- // the newline ends the line above
			}
		case ch == '/' && i+1 < len(src) && src[i+1] == '/':
			j := i
			for j < len(src) && src[j] != '\n' {
				j++
			}
			text := strings.TrimRight(string(src[i:j]), " \t\r")
			if !(i == 0 && text == printHeader) {
				out = append(out, srcComment{offset: i, line: line, text: text, ownLine: !code})
			}
			i = j - 1
		default:
			code = true
		}
	}
	return out
}

// anchorAt is a printed line's anchor and where its line starts in the text.
type anchorAt struct {
	pos lexer.Position
	a   Anchor
}

// attachComments gives each comment of src to its line: an end-of-line
// comment to the anchor that begins on its line (or, when none or that one
// has one already, like a comment of its own), a comment of its own to the
// next anchor below it, or to the module's end.
func attachComments(src []byte, anchors []anchorAt) *Comments {
	cs := scanComments(src)
	if len(cs) == 0 {
		return nil
	}
	sort.SliceStable(anchors, func(i, j int) bool { return anchors[i].pos.Offset < anchors[j].pos.Offset })
	k := &Comments{Above: map[Anchor][]string{}, Trailing: map[Anchor]string{}}
	for _, c := range cs {
		// The first anchor after the comment.
		next := sort.Search(len(anchors), func(i int) bool { return anchors[i].pos.Offset > c.offset })
		if !c.ownLine {
			first := next
			for first > 0 && anchors[first-1].pos.Line == c.line {
				first--
			}
			if first < next {
				a := anchors[first].a
				if _, taken := k.Trailing[a]; !taken {
					k.Trailing[a] = c.text
					continue
				}
			}
		}
		a := Anchor{Kind: AnchorModuleEnd}
		if next < len(anchors) {
			a = anchors[next].a
		}
		k.Above[a] = append(k.Above[a], c.text)
	}
	return k
}

// commentsAbove prints the comments above the line of a at depth.
func (p *printer) commentsAbove(a Anchor, depth int) {
	if p.comments == nil {
		return
	}
	// A line printed twice (two meta lines with one key) takes its
	// comments once.
	if p.commented[a] {
		return
	}
	p.commented[a] = true
	for _, c := range p.comments.Above[a] {
		p.indent(depth)
		p.b.WriteString(c)
		p.b.WriteByte('\n')
	}
}

// endLine ends the line of a: its end-of-line comment, then a newline.
func (p *printer) endLine(a Anchor) {
	if p.comments != nil && !p.trailed[a] {
		p.trailed[a] = true
		if c, ok := p.comments.Trailing[a]; ok {
			p.b.WriteByte(' ')
			p.b.WriteString(c)
		}
	}
	p.b.WriteByte('\n')
}
