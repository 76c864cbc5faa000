package viz

import (
	"bytes"
	_ "embed"
	"errors"
	"html"
	"io"
	"strings"
)

//go:embed page.css
var pageCSS string

//go:embed page.js
var pageJS string

// WriteHTML writes a self-contained HTML page showing svg (as RenderSVG
// returns it): a header with the title, the colour legend and a search
// box for node names, locations and types, and the graph below it with
// pan (drag) and zoom (wheel). The page loads nothing from the network.
func WriteHTML(w io.Writer, title string, svg []byte) error {
	i := bytes.Index(svg, []byte("<svg"))
	if i < 0 {
		return errors.New("viz: no <svg> element to wrap")
	}
	var b strings.Builder
	t := html.EscapeString(clean(title))
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<title>" + t + " · kiln graph</title>\n<style>\n" + pageCSS + "</style>\n</head>\n<body>\n<header>\n")
	b.WriteString("<h1>" + t + "</h1>\n<div class=\"legend\">")
	for _, e := range legend() {
		b.WriteString("<span><i style=\"background:" + e.Color + "\"></i>" + html.EscapeString(e.Label) + "</span>")
	}
	b.WriteString("</div>\n<div class=\"tools\"><input id=\"q\" type=\"search\" placeholder=\"find op, location, %value, type\" aria-label=\"find\">")
	b.WriteString("<span id=\"count\"></span><button id=\"zout\" title=\"zoom out\">−</button><button id=\"zin\" title=\"zoom in\">+</button>")
	b.WriteString("<button id=\"top\" title=\"back to the top\">top</button><button id=\"fit\" title=\"the whole graph\">fit</button></div>\n</header>\n")
	b.WriteString("<main id=\"view\">\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if _, err := w.Write(svg[i:]); err != nil {
		return err
	}
	_, err := io.WriteString(w, "</main>\n<script>\n"+pageJS+"</script>\n</body>\n</html>\n")
	return err
}
