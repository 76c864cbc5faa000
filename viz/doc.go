// Package viz draws a module as a picture: it writes the module's graph in
// Graphviz's DOT language (ops as boxes coloured by their kind in the op
// table, edges labelled with value types, regions as nested clusters,
// constants summarized on the ops that read them, source locations and
// value names as tooltips), lays it out and renders it to SVG through
// Graphviz, and wraps the SVG in a self-contained HTML page with pan, zoom
// and a search box.
//
// Graphviz's layered layout is what people expect of a dataflow graph and
// does far better than a hand-written layout would, so viz leaves layout to
// it. Graphviz comes from github.com/goccy/go-graphviz, which embeds it as
// WebAssembly: no cgo, no program to install.
//
// Package viz imports ir and the Graphviz library only (and the standard
// library). The CLI's `kiln graph` calls it.
package viz
