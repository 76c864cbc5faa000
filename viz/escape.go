package viz

import (
	"strconv"
	"strings"
)

// Escaping: names come from models and may hold anything. DOT strings,
// Graphviz's HTML-like labels and the SVG tooltips each need their own
// escaping, and control characters are shown, never passed on.

// quote returns s as a DOT string whose escape sequences Graphviz reads
// back as s: backslashes doubled, quotes escaped, newlines as \n (labels
// are escString attributes, where \n is a line break).
func quote(s string) string { return quoteDOT(s, `\\`) }

// tip returns s as a DOT string for a tooltip attribute. Graphviz's SVG
// output unescapes tooltips once more than labels, turning a pair of
// backslashes into one, so each backslash is written four times.
func tip(s string) string { return quoteDOT(s, `\\\\`) }

func quoteDOT(s, backslash string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(backslash)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			if isControl(r) {
				// Other control characters have no place in XML output:
				// they show as Go escapes.
				q := strconv.QuoteRune(r)
				b.WriteString(backslash + q[2:len(q)-1])
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// clean shows the control characters in a name as Go escapes (\n, \t,
// \x00), so that a name with a newline or a NUL in it stays on one
// visible line. Other characters stay as they are.
func clean(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !isControl(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// htmlLabel returns a Graphviz HTML-like label: title in bold, then each
// line in a smaller grey font.
func htmlLabel(title string, lines []string) string {
	var b strings.Builder
	b.WriteString("<<B>")
	b.WriteString(htmlText(title))
	b.WriteString("</B>")
	for _, l := range lines {
		b.WriteString(`<BR/><FONT POINT-SIZE="9" COLOR="#374151">`)
		b.WriteString(htmlText(l))
		b.WriteString("</FONT>")
	}
	b.WriteString(">")
	return b.String()
}

// htmlText escapes s for the text of an HTML-like label.
func htmlText(s string) string {
	s = clean(s)
	if s == "" {
		return " "
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
