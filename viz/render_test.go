package viz

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/golden"
)

// svgContent is what an SVG document holds that a reader sees: the text
// of its elements and its tooltips, and the ids of its elements.
type svgContent struct {
	texts, titles []string
	ids           map[string]bool
}

// parseSVG decodes svg as strict XML and collects its content.
func parseSVG(t *testing.T, svg []byte) svgContent {
	t.Helper()
	c := svgContent{ids: map[string]bool{}}
	d := xml.NewDecoder(bytes.NewReader(svg))
	d.Strict = true
	inText := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "text"
			for _, a := range tok.Attr {
				switch {
				case a.Name.Local == "id":
					c.ids[a.Value] = true
				case a.Name.Local == "title" && a.Name.Space == "http://www.w3.org/1999/xlink":
					c.titles = append(c.titles, a.Value)
				}
			}
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				c.texts = append(c.texts, string(tok))
			}
		}
	}
	return c
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestSVG lays out every testdata case with Graphviz: the SVG is
// well-formed, the same twice, and has a node for every node of the DOT
// text.
func TestSVG(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		t.Run(name, func(t *testing.T) {
			ar, err := golden.ReadArchive(path)
			if err != nil {
				t.Fatal(err)
			}
			m := caseModule(t, name, ar)
			ctx := context.Background()
			svg, err := SVG(ctx, m, Options{Title: name})
			if err != nil {
				t.Fatal(err)
			}
			again, err := SVG(ctx, m, Options{Title: name})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(svg, again) {
				t.Error("two SVG renders of one module differ")
			}
			c := parseSVG(t, svg)
			dot, err := DOT(m, Options{Title: name})
			if err != nil {
				t.Fatal(err)
			}
			nodes := 0
			for _, line := range strings.Split(string(dot), "\n") {
				line = strings.TrimSpace(line)
				if id, _, ok := strings.Cut(line, " [id="); ok {
					nodes++
					if !c.ids[id] {
						t.Errorf("node %s is not in the SVG", id)
					}
				}
			}
			if nodes == 0 {
				t.Fatal("no nodes in the DOT text")
			}
			if !contains(c.texts, name) {
				t.Errorf("the title %q is not in the SVG", name)
			}
		})
	}
}

// TestSVGHostileNames checks that hostile names reach the SVG's text and
// tooltips intact (as the DOT text escaped them).
func TestSVGHostileNames(t *testing.T) {
	svg, err := SVG(context.Background(), hostileModule(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := parseSVG(t, svg)
	for _, want := range []string{
		`in "q"\n<x>&\y\t`, // the input's label: control characters as escapes
		hostileOutput,      // the output's label
		hostileOp,          // the undeclared op
		"end If",
	} {
		if !contains(c.texts, want) {
			t.Errorf("no SVG text %q in %q", want, c.texts)
		}
	}
	typ := `f32["n\"<&>\\",1]`
	for _, want := range []string{
		// Values are named as the text form names them: the input after
		// its external name, the unnamed results by number.
		"input " + strconv.Quote(hostileInput) + "\n%" + strconv.Quote(hostileInput) + ": " + typ,
		"output " + strconv.Quote(hostileOutput) + "\n%1: " + typ,
		"%0 = Mul (broadcast)\nloc: " + strconv.Quote(hostileLoc) + "\n%0: " + typ + "\nB = @w\"<b>&\\n\\ f32[1]",
	} {
		if !contains(c.titles, want) {
			t.Errorf("no SVG tooltip %q in %q", want, c.titles)
		}
	}
}

func TestRenderSVGErrors(t *testing.T) {
	for _, dot := range []string{"", "digraph {", "digraph { a -> }", "not dot at all"} {
		if _, err := RenderSVG(context.Background(), []byte(dot)); err == nil {
			t.Errorf("RenderSVG(%q): no error", dot)
		}
	}
}

// TestHTML checks the page around the SVG: one svg and one script, the
// title escaped, nothing fetched from the network.
func TestHTML(t *testing.T) {
	svg, err := SVG(context.Background(), hostileModule(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, "a<b>&\"c\n", svg); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		"<title>a&lt;b&gt;&amp;&#34;c\\n · kiln graph</title>",
		"<h1>a&lt;b&gt;&amp;&#34;c\\n</h1>",
		`<input id="q" type="search"`,
		`<span><i style="background:#d6def7"></i>opaque</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for tag, n := range map[string]int{"<svg": 1, "</svg>": 1, "<script": 1, "</script>": 1, "<?xml": 0, "<!DOCTYPE svg": 0} {
		if got := strings.Count(page, tag); got != n {
			t.Errorf("the page has %d %s, want %d", got, tag, n)
		}
	}
	// Outside the SVG (whose namespaces are URLs) nothing names a URL.
	outside := page[:strings.Index(page, "<svg")] + page[strings.Index(page, "</svg>"):]
	for _, bad := range []string{"http:", "https:", "src=", "@import", "url("} {
		if strings.Contains(outside, bad) {
			t.Errorf("the page refers to the network: %s", bad)
		}
	}
	if err := WriteHTML(&b, "x", []byte("no picture")); err == nil {
		t.Error("WriteHTML accepted a document without <svg>")
	}
}
