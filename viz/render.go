package viz

import (
	"bytes"
	"context"
	"fmt"

	"github.com/goccy/go-graphviz"
	"github.com/kiln-ml/kiln/ir"
)

// SVG draws m (see DOT) and lays it out with Graphviz's dot engine.
func SVG(ctx context.Context, m *ir.Module, opts Options) ([]byte, error) {
	dot, err := DOT(m, opts)
	if err != nil {
		return nil, err
	}
	return RenderSVG(ctx, dot)
}

// RenderSVG lays out a DOT graph with Graphviz's dot engine (top to
// bottom, layered) and returns the SVG document.
func RenderSVG(ctx context.Context, dot []byte) (svg []byte, err error) {
	// Graphviz runs as WebAssembly behind a thin binding; a fault there
	// is reported as an error like any other bad input.
	defer func() {
		if r := recover(); r != nil {
			svg, err = nil, fmt.Errorf("viz: graphviz failed: %v", r)
		}
	}()
	gv, err := graphviz.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("viz: starting graphviz: %w", err)
	}
	defer gv.Close()
	g, err := graphviz.ParseBytes(dot)
	if err != nil {
		return nil, fmt.Errorf("viz: graphviz cannot read the graph: %w", err)
	}
	if g == nil {
		return nil, fmt.Errorf("viz: graphviz found no graph in the DOT text")
	}
	defer g.Close()
	var buf bytes.Buffer
	if err := gv.Render(ctx, g, graphviz.SVG, &buf); err != nil {
		return nil, fmt.Errorf("viz: graphviz layout: %w", err)
	}
	if buf.Len() == 0 {
		return nil, fmt.Errorf("viz: graphviz wrote no SVG")
	}
	return buf.Bytes(), nil
}
