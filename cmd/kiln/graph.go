package main

import (
	"bytes"
	"context"
	"github.com/kiln-ml/kiln/internal/safefile"
	"io"
	"path/filepath"
	"strings"

	"github.com/kiln-ml/kiln/viz"
)

func init() {
	commands = append(commands, command{
		name:    "graph",
		usage:   "kiln graph [-o OUT.svg|OUT.html|OUT.dot] [--no-types] MODEL|FILE.kir",
		summary: "draw a model's graph: DOT text, an SVG laid out by Graphviz, or an HTML page with pan, zoom and search",
		run:     runGraph,
	})
}

func runGraph(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("graph", stderr)
	out := fs.String("o", "", "write the picture to `FILE`; its extension picks the format: .svg, .html or .dot (default: DOT to stdout)")
	noTypes := fs.Bool("no-types", false, "leave edges unlabelled (a less cluttered picture of a large graph)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return usageError(fs, "want exactly one model")
	}
	format := "dot"
	if *out != "" {
		switch strings.ToLower(filepath.Ext(*out)) {
		case ".dot", ".gv":
		case ".svg":
			format = "svg"
		case ".html", ".htm":
			format = "html"
		default:
			return usageError(fs, "-o %s: want a .svg, .html or .dot file", *out)
		}
	}
	path := fs.Arg(0)
	if *out != "" {
		if err := safefile.Check(*out, path); err != nil {
			return fail(stderr, "graph", err)
		}
	}
	m, err := loadModel(path)
	if err != nil {
		return fail(stderr, "graph", err)
	}
	defer m.Close()
	title := filepath.Base(path)
	dot, err := viz.DOT(m, viz.Options{Title: title, NoEdgeTypes: *noTypes})
	if err != nil {
		return fail(stderr, "graph", err)
	}
	pic := dot
	if format != "dot" {
		svg, err := viz.RenderSVG(context.Background(), dot)
		if err != nil {
			return fail(stderr, "graph", err)
		}
		pic = svg
		if format == "html" {
			var buf bytes.Buffer
			if err := viz.WriteHTML(&buf, title, svg); err != nil {
				return fail(stderr, "graph", err)
			}
			pic = buf.Bytes()
		}
	}
	if *out == "" {
		_, err = stdout.Write(pic)
	} else {
		err = safefile.WriteFile(*out, pic)
	}
	if err != nil {
		return fail(stderr, "graph", err)
	}
	return exitOK
}
