package viz

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// Options tune the picture. The zero value gives the default picture.
type Options struct {
	// Title is printed above the graph, e.g. the model's file name; empty
	// for none.
	Title string
	// NoEdgeTypes leaves the edges unlabelled, for a less cluttered
	// picture of a large graph. Type labels are on by default.
	NoEdgeTypes bool
}

// maxConstLines is how many constant operands an op's box lists before it
// says how many more there are.
const maxConstLines = 4

// maxInlineElems is the largest constant whose values an op's box spells
// out (an axes list, a reshape target); larger ones show their type only.
const maxInlineElems = 8

// maxAttrText caps one attribute's text in a tooltip.
const maxAttrText = 96

// DOT returns m drawn as one Graphviz digraph: every function's ops as
// boxes filled by their kind in the op table, control-flow regions as
// nested clusters, function inputs and outputs as house shapes, edges
// labelled with value types. Constants do not get boxes: the ops that read
// them list them. The text depends only on m and opts, so the same module
// gives the same bytes.
func DOT(m *ir.Module, opts Options) ([]byte, error) {
	if m == nil {
		return nil, errors.New("viz: no module")
	}
	if len(m.Funcs) == 0 {
		return nil, errors.New("viz: module has no function")
	}
	g := &graph{opts: opts}
	g.header()
	for i, f := range m.Funcs {
		if f == nil || f.Body == nil {
			return nil, fmt.Errorf("viz: function %d has no body", i)
		}
		g.function(f, len(m.Funcs) > 1)
	}
	g.flushEdges()
	g.b.WriteString("}\n")
	return g.b.Bytes(), nil
}

// graph accumulates the DOT text of one module.
type graph struct {
	b    bytes.Buffer
	opts Options

	names map[*ir.Value]string // how the text form spells each value, per function
	src   map[*ir.Value]string // the node each value leaves from, per function
	opID  map[*ir.Op]string    // each op's node
	next  int                  // counter for node and cluster ids
	edges []edge
	seen  map[edge]bool
}

// edge is one arrow, collected while nodes are written and emitted at the
// end at the top level: an edge statement inside a cluster would pull its
// outer endpoint into the cluster.
type edge struct {
	from, to, label, tooltip string
	invisible                bool // only to steer the layout
	dashed                   bool // control: a region's results reach its op's end
}

// Fill colours by op kind: cool colours for the cheap, fusible kinds,
// warm ones for reductions, blue for the opaque heavy ops (conv, matmul),
// violet for control flow. The HTML page shows them as its legend.
var kindFill = map[ir.OpKind]string{
	ir.Elementwise: "#d4f0d4",
	ir.Broadcast:   "#c9ecef",
	ir.Injective:   "#fdf1c0",
	ir.Reduction:   "#ffd8c2",
	ir.Opaque:      "#d6def7",
}

const (
	controlFill = "#e6d3f7"
	unknownFill = "#eeeeee"
	ioFill      = "#ffffff"
	constFill   = "#f4f4f4"
)

// legend lists the fill colours of the picture with what they mean, in
// the order a legend shows them.
func legend() []legendEntry {
	return []legendEntry{
		{"elementwise", kindFill[ir.Elementwise]},
		{"broadcast", kindFill[ir.Broadcast]},
		{"injective", kindFill[ir.Injective]},
		{"reduction", kindFill[ir.Reduction]},
		{"opaque", kindFill[ir.Opaque]},
		{"control flow", controlFill},
		{"unknown op", unknownFill},
	}
}

// legendEntry is one colour of the picture and what it marks.
type legendEntry struct {
	Label, Color string
}

func (g *graph) printf(format string, args ...any) { fmt.Fprintf(&g.b, format, args...) }

func (g *graph) header() {
	g.b.WriteString("digraph kiln {\n")
	// nslimit and nslimit1 cap the network-simplex passes that place
	// ranks and x coordinates: uncapped, they take over a minute on a
	// graph with many long edges (stories260K-decoder's KV-cache inputs),
	// capped a second or two, and the pictures of the shared models read
	// as well.
	g.b.WriteString("  graph [rankdir=TB, nodesep=0.2, ranksep=0.3, nslimit=2, nslimit1=2, outputorder=edgesfirst, bgcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=14, labelloc=t")
	if g.opts.Title != "" {
		g.printf(", label=%s", quote(g.opts.Title))
	}
	g.b.WriteString("]\n")
	g.b.WriteString("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11, height=0.3, margin=\"0.1,0.03\", color=\"#6b7280\", penwidth=0.8]\n")
	g.b.WriteString("  edge [fontname=\"Helvetica\", fontsize=8, fontcolor=\"#4b5563\", color=\"#6b7280\", arrowsize=0.5, penwidth=0.8]\n")
}

// newID returns a fresh node or cluster id.
func (g *graph) newID() string {
	g.next++
	return "n" + strconv.Itoa(g.next-1)
}

// function writes f: its inputs, its ops and its outputs, inside a
// cluster of its own when the module has several functions.
func (g *graph) function(f *ir.Func, cluster bool) {
	g.names = ir.ValueNames(f)
	g.src = map[*ir.Value]string{}
	g.opID = map[*ir.Op]string{}

	indent := "  "
	if cluster {
		g.printf("  subgraph cluster_%s {\n", g.newID())
		g.printf("    graph [label=%s, style=\"rounded\", color=\"#9ca3af\"]\n", quote("@"+f.Name))
		indent = "    "
	}
	var ins, outs []string
	for i, p := range f.Body.Params {
		id := g.newID()
		name := ""
		if i < len(f.InputNames) {
			name = f.InputNames[i]
		}
		g.printf("%s%s [id=%s, shape=invhouse, fillcolor=%q, penwidth=1.4, color=\"#1f2937\", label=%s, tooltip=%s]\n",
			indent, id, quote(id), ioFill, htmlLabel(name, []string{typeLabel(p.Type)}),
			tip("input "+strconv.Quote(name)+"\n"+g.valueName(p)+": "+p.Type.String()))
		g.src[p] = id
		ins = append(ins, id)
	}
	g.ops(f.Body, indent)
	for i, v := range f.Body.Results {
		if v == nil {
			continue
		}
		id := g.newID()
		name := ""
		if i < len(f.OutputNames) {
			name = f.OutputNames[i]
		}
		g.printf("%s%s [id=%s, shape=house, fillcolor=%q, penwidth=1.4, color=\"#1f2937\", label=%s, tooltip=%s]\n",
			indent, id, quote(id), ioFill, htmlLabel(name, []string{typeLabel(v.Type)}),
			tip("output "+strconv.Quote(name)+"\n"+g.valueName(v)+": "+v.Type.String()))
		g.flow(v, id, indent)
		outs = append(outs, id)
	}
	// Inputs on top and outputs at the bottom, when the function is not
	// a cluster (rank constraints do not mix well with clusters).
	if !cluster {
		if len(ins) > 0 {
			g.printf("  {rank=min; %s}\n", strings.Join(ins, "; "))
		}
		if len(outs) > 0 {
			g.printf("  {rank=max; %s}\n", strings.Join(outs, "; "))
		}
	}
	if cluster {
		g.b.WriteString("  }\n")
	}
}

// ops writes r's ops, each region of a control-flow op as a cluster
// nested in the op's own cluster.
func (g *graph) ops(r *ir.Region, indent string) {
	for _, op := range r.Ops {
		if op == nil {
			continue
		}
		if len(op.Regions) == 0 {
			g.opNode(op, indent)
			continue
		}
		cid := g.newID()
		g.printf("%ssubgraph cluster_%s {\n", indent, cid)
		in := indent + "  "
		g.printf("%sgraph [label=%s, style=\"rounded,filled\", fillcolor=\"#faf6fe\", color=\"#8b5cf6\", fontsize=11]\n", in, quote(g.opTitle(op)))
		id := g.opNode(op, in)
		var rets []string
		for _, sub := range op.Regions {
			if sub != nil {
				rets = append(rets, g.region(sub, id, in))
			}
		}
		// The results leave from an end node below the regions, so the
		// picture reads top to bottom: operands, op, regions, results.
		end := g.newID()
		g.printf("%s%s [id=%s, shape=box, style=\"rounded,dashed,filled\", fillcolor=%q, color=\"#6d28d9\", fontsize=9, label=%s, tooltip=%s]\n",
			in, end, quote(end), controlFill, quote(clean("end "+op.Name)), tip("results of "+g.opTitle(op)))
		for _, r := range rets {
			g.addEdge(edge{from: r, to: end, dashed: true})
		}
		for _, v := range op.Results {
			g.src[v] = end
		}
		g.printf("%s}\n", indent)
	}
}

// opTitle names a control-flow op in its cluster's label: its name and
// location.
func (g *graph) opTitle(op *ir.Op) string {
	title := op.Name
	if loc := opLoc(op); loc != "" {
		title += " " + loc
	}
	return clean(title)
}

// region writes one region of the control-flow op whose node is opID
// and returns the id of the region's return node.
func (g *graph) region(r *ir.Region, opID, indent string) string {
	g.printf("%ssubgraph cluster_%s {\n", indent, g.newID())
	in := indent + "  "
	g.printf("%sgraph [label=%s, style=\"rounded,dashed,filled\", fillcolor=\"#ffffff\", color=\"#8b5cf6\", fontsize=10]\n", in, quote(clean(r.Name)))
	for _, p := range r.Params {
		id := g.newID()
		name := g.valueName(p)
		g.printf("%s%s [id=%s, shape=ellipse, fillcolor=%q, fontsize=9, label=%s, tooltip=%s]\n",
			in, id, quote(id), ioFill, htmlLabel(name, []string{typeLabel(p.Type)}),
			tip("param "+name+" of "+clean(r.Name)+": "+p.Type.String()))
		g.src[p] = id
		// The op's node sits above its regions.
		g.addEdge(edge{from: opID, to: id, invisible: true})
	}
	g.ops(r, in)
	if len(r.Params) == 0 {
		// Without params, the ops that read nothing of the region hang
		// from the op's node.
		for _, op := range r.Ops {
			if op != nil && !readsFrom(op, r) {
				g.addEdge(edge{from: opID, to: g.opID[op], invisible: true})
			}
		}
	}
	ret := g.newID()
	g.printf("%s%s [id=%s, shape=box, style=\"rounded\", fontsize=9, label=\"return\", tooltip=%s]\n",
		in, ret, quote(ret), tip("results of "+clean(r.Name)))
	if len(r.Params) == 0 && len(r.Ops) == 0 {
		g.addEdge(edge{from: opID, to: ret, invisible: true})
	}
	for _, v := range r.Results {
		if v != nil {
			g.flow(v, ret, in)
		}
	}
	g.printf("%s}\n", indent)
	return ret
}

// readsFrom reports whether op reads a value defined directly in r.
func readsFrom(op *ir.Op, r *ir.Region) bool {
	for _, a := range op.Args {
		if a != nil && (a.Param == r || (a.Def != nil && a.Def.Parent == r)) {
			return true
		}
	}
	return false
}

// opNode writes op's box and the edges from its operands, and returns
// its id.
func (g *graph) opNode(op *ir.Op, indent string) string {
	id := g.newID()
	def := ir.Lookup(op.Name)
	fill, kind := unknownFill, "unknown op"
	switch {
	case def == nil:
	case len(def.Regions) > 0 || len(op.Regions) > 0:
		fill, kind = controlFill, "control flow"
	default:
		if c, ok := kindFill[def.Kind]; ok {
			fill, kind = c, def.Kind.String()
		}
	}
	var lines, consts []string
	for i, a := range op.Args {
		if a == nil || a.Const == nil {
			continue
		}
		name := operandName(def, i)
		consts = append(consts, name+" = "+g.valueName(a)+" "+a.Type.String())
		if len(lines) < maxConstLines {
			lines = append(lines, constSummary(name, a))
		}
	}
	if len(consts) > len(lines) {
		lines = append(lines, fmt.Sprintf("+%d more constants", len(consts)-len(lines)))
	}
	style := ""
	if len(op.Regions) > 0 {
		style = ", penwidth=1.4, color=\"#6d28d9\""
	}
	g.printf("%s%s [id=%s, fillcolor=%q%s, label=%s, tooltip=%s]\n",
		indent, id, quote(id), fill, style, htmlLabel(op.Name, lines), tip(g.opTooltip(op, kind, consts)))
	g.opID[op] = id
	for _, v := range op.Results {
		g.src[v] = id
	}
	for _, a := range op.Args {
		if a != nil && a.Const == nil {
			g.flow(a, id, indent)
		}
	}
	return id
}

// opTooltip is what hovering over op's box shows: results, kind,
// location, attributes and constant operands.
func (g *graph) opTooltip(op *ir.Op, kind string, consts []string) string {
	var b strings.Builder
	var results []*ir.Value
	for _, v := range op.Results {
		if v != nil {
			results = append(results, v)
		}
	}
	for i, v := range results {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(g.valueName(v))
	}
	if len(results) > 0 {
		b.WriteString(" = ")
	}
	fmt.Fprintf(&b, "%s (%s)", op.Name, kind)
	if loc := opLoc(op); loc != "" {
		b.WriteString("\nloc: " + loc)
	}
	for _, v := range results {
		b.WriteString("\n" + g.valueName(v) + ": " + v.Type.String())
	}
	for _, a := range op.Attrs {
		b.WriteString("\n" + a.Name + " = " + attrText(a.Value))
	}
	for _, c := range consts {
		b.WriteString("\n" + c)
	}
	return b.String()
}

// flow records the edge that carries value v to node to. A constant gets
// a node of its own here (only returned constants reach this).
func (g *graph) flow(v *ir.Value, to, indent string) {
	from, ok := g.src[v]
	if !ok {
		from = g.newID()
		label, tt := "undefined value", "a value defined nowhere in scope"
		fill := unknownFill
		if v.Const != nil {
			label, tt, fill = g.valueName(v), "constant "+g.valueName(v)+": "+v.Type.String(), constFill
		}
		g.printf("%s%s [id=%s, shape=note, fillcolor=%q, fontsize=9, label=%s, tooltip=%s]\n",
			indent, from, quote(from), fill, quote(clean(label)), tip(tt))
		g.src[v] = from
	}
	e := edge{from: from, to: to, tooltip: g.valueName(v) + ": " + v.Type.String()}
	if !g.opts.NoEdgeTypes {
		e.label = typeLabel(v.Type)
	}
	g.addEdge(e)
}

func (g *graph) addEdge(e edge) {
	if g.seen == nil {
		g.seen = map[edge]bool{}
	}
	if g.seen[e] {
		return
	}
	g.seen[e] = true
	g.edges = append(g.edges, e)
}

func (g *graph) flushEdges() {
	for _, e := range g.edges {
		if e.invisible {
			g.printf("  %s -> %s [style=invis]\n", e.from, e.to)
			continue
		}
		if e.dashed {
			g.printf("  %s -> %s [style=dashed, color=\"#8b5cf6\"]\n", e.from, e.to)
			continue
		}
		g.printf("  %s -> %s [", e.from, e.to)
		if e.label != "" {
			// An xlabel is placed after layout; a label would become a
			// node of its own in every rank the edge crosses, which on
			// large graphs makes the layout many times slower and can
			// exhaust Graphviz's memory.
			g.printf("xlabel=%s, ", quote(e.label))
		}
		g.printf("tooltip=%s]\n", tip(e.tooltip))
	}
}

// operandName names operand i of an op declared by def (the variadic
// last operand repeats), or "#i" for an undeclared op.
func operandName(def *ir.OpDef, i int) string {
	if def == nil || len(def.Inputs) == 0 {
		return "#" + strconv.Itoa(i)
	}
	if i < len(def.Inputs) {
		return def.Inputs[i].Name
	}
	if last := def.Inputs[len(def.Inputs)-1]; last.Variadic {
		return last.Name
	}
	return "#" + strconv.Itoa(i)
}
