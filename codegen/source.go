package codegen

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/kiln-ml/kiln/ir"
)

// goNames gives each external name an exported Go identifier, unique
// among names: letters and digits kept, each run of other characters
// dropped and the letter after it capitalized (input_ids → InputIds).
func goNames(names []string) []string {
	out := make([]string, len(names))
	seen := map[string]bool{}
	for i, n := range names {
		var b strings.Builder
		up := true
		for _, r := range n {
			switch {
			case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
				if up {
					r = unicode.ToUpper(r)
					up = false
				}
				b.WriteRune(r)
			default:
				up = true
			}
		}
		s := b.String()
		if s == "" || !unicode.IsLetter(rune(s[0])) {
			s = "X" + s
		}
		base := s
		for k := 2; seen[s]; k++ {
			s = fmt.Sprintf("%s_%d", base, k)
		}
		seen[s] = true
		out[i] = s
	}
	return out
}

// symbolicShape spells a declared shape with its symbols: [batch,3,224,224].
func symbolicShape(s ir.Shape) string {
	parts := make([]string, len(s.Dims))
	for i, d := range s.Dims {
		parts[i] = d.String()
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func shapeList(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, ", ")
}

// describe is the doc text of one input or output.
func (g *graph) describe(x *val, decl ir.Shape, bind string) string {
	if x.v.Type.Kind != ir.TensorKind {
		return g.describeBoxed(x)
	}
	if x.where == inHeap {
		return fmt.Sprintf("%s (field %s), shape %s, known only once Run computed it from the data; Run allocates it on the heap on each call", goElem[x.dtype], tensorField[x.dtype], symbolicShape(decl))
	}
	static := strings.TrimPrefix(dtypeText(x.dtype, x.shape), x.dtype.String())
	s := fmt.Sprintf("%s (field %s), shape %s", goElem[x.dtype], tensorField[x.dtype], static)
	if sym := symbolicShape(decl); sym != static {
		s += fmt.Sprintf(" (declared %s%s)", sym, bind)
	}
	return s
}

// bindingText spells the dim binding: " with batch=1".
func (g *graph) bindingText() string {
	var names []string
	for n := range g.bind {
		names = append(names, n)
	}
	sort.Strings(names)
	run := map[string]bool{}
	for _, r := range g.ranges {
		run[r.name] = true
	}
	var parts []string
	for _, n := range names {
		if !run[n] {
			parts = append(parts, fmt.Sprintf("%s=%d", n, g.bind[n]))
		}
	}
	for _, r := range g.ranges {
		parts = append(parts, fmt.Sprintf("%s from %d to %d, read at run time", r.name, r.lo, r.hi))
	}
	if len(parts) == 0 {
		return ""
	}
	return " with " + strings.Join(parts, ", ")
}

// expr is the Go expression for a value's elements inside Run.
func (g *graph) expr(x *val) string {
	if d := x.v.Def; d != nil && isView(d) && x.root != x {
		// (A view computed by a kernel, over run-time shapes, owns its
		// storage.)
		return g.expr(g.vals[d.Args[0]])
	}
	if x.v.Param != nil && x.root != x {
		// A loop body's carried param: the loop's result holds it.
		return g.expr(x.root)
	}
	switch x.where {
	case inWeight:
		return fmt.Sprintf("%s[%d]", weightsVar[x.dtype], x.index)
	case inInput:
		return x.name
	}
	return x.name
}

// modelSource writes model.go: the package's API and Run.
func (g *graph) modelSource(opts Options) string {
	var b strings.Builder
	b.WriteString(header(opts))
	inNames := goNames(g.f.InputNames)
	outNames := goNames(g.f.OutputNames)
	bind := g.bindingText()
	fmt.Fprintf(&b, "// Package %s runs the model %s, compiled by kiln into Go that needs\n// only the standard library.\n//\n", opts.Package, opts.Source.Name)
	b.WriteString("// Load the weights once (Load")
	if opts.Weights == WeightsFile {
		b.WriteString(" or LoadFile")
	}
	b.WriteString("), then give each goroutine its own Session:\n//\n")
	b.WriteString("//\tm, err := " + opts.Package + ".Load()\n//\t...\n//\ts := m.NewSession()\n//\tout, err := s.Run(" + opts.Package + ".Inputs{...})\n")
	fmt.Fprintf(&b, "package %s\n\n", opts.Package)
	b.WriteString("import (\n")
	if opts.Weights == WeightsEmbed {
		b.WriteString("_ \"embed\"\n")
	}
	b.WriteString("\"encoding/binary\"\n\"fmt\"\n\"math\"\n)\n\n")

	b.WriteString(g.withExtraFields(`// Tensor is a dense tensor in row-major (C) order. The field of its
// element type holds the data (F32 for float32, F64 for float64, I64 for
// int64, I32 for int32, Bool for bool); its length is the product of
// Shape.
type Tensor struct {
	// Shape holds the dims, outermost first.
	Shape []int
	// F32 holds float32 elements.
	F32 []float32
	// I64 holds int64 elements.
	I64 []int64
	// F64 holds float64 elements.
	F64 []float64
	// I32 holds int32 elements.
	I32 []int32
	// Bool holds bool elements.
	Bool []bool
}

`))
	b.WriteString("// Inputs are the model's inputs, one field per input. Each must have\n// exactly the shape given.\ntype Inputs struct {\n")
	for i, x := range g.inputs {
		fmt.Fprintf(&b, "// %s is input %q: %s.\n%s %s\n", inNames[i], g.f.InputNames[i], g.describe(x, g.declared[i], bind), inNames[i], ioType(x))
	}
	b.WriteString("}\n\n")
	b.WriteString("// Outputs are the model's outputs, one field per output, in slices\n// that Run allocates for each call.\ntype Outputs struct {\n")
	for i, r := range g.f.Body.Results {
		fmt.Fprintf(&b, "// %s is output %q: %s.\n%s %s\n", outNames[i], g.f.OutputNames[i], g.describe(g.vals[r], g.declared[len(g.inputs)+i], bind), outNames[i], ioType(g.vals[r]))
	}
	b.WriteString("}\n\n")

	// Weights.
	fmt.Fprintf(&b, "// weightsSize and weightsSHA256 describe %s, the little-endian blob\n// of every weight, each 64-byte aligned.\nconst (\nweightsSize = %d\nweightsSHA256 = %q\n)\n\n", WeightsFileName, g.blobLen(), g.weightsSHA)
	count := map[ir.DType]int{}
	for _, w := range g.weights {
		count[w.dtype]++
	}
	for _, d := range storedTypes {
		if d != ir.F32 && count[d] == 0 {
			continue
		}
		fmt.Fprintf(&b, "// %s gives each %s weight's byte offset in the blob and its\n// element count.\n", weightTableName(d), goElem[d])
		fmt.Fprintf(&b, "var %s = [%d]struct{ off, n int }{\n", weightTableName(d), count[d])
		for i, w := range g.weights {
			if w.dtype == d {
				note := ""
				if w.layout != "" {
					note = ", as " + w.layout
				}
				fmt.Fprintf(&b, "{%d, %d}, // @%s %s%s\n", g.weightOff[i], w.n, w.v.Const.Name, dtypeText(d, w.shape), note)
			}
		}
		b.WriteString("}\n\n")
	}
	b.WriteString("// Model holds the weights, decoded once. It is read-only after Load and\n// safe to share between goroutines.\ntype Model struct {\n")
	for _, d := range storedTypes {
		if d == ir.F32 || count[d] > 0 {
			fmt.Fprintf(&b, "%s [%d][]%s\n", weightsField(d), count[d], goElem[d])
		}
	}
	b.WriteString("}\n\n")
	if opts.Weights == WeightsEmbed {
		fmt.Fprintf(&b, "//go:embed %s\nvar weightsBlob []byte\n\n", WeightsFileName)
		b.WriteString("// Load returns the model with the weights embedded in the package.\nfunc Load() (*Model, error) {\nreturn newModel(weightsBlob)\n}\n\n")
	}
	b.WriteString(`// newModel decodes the weights blob.
func newModel(blob []byte) (*Model, error) {
	if len(blob) != weightsSize {
		return nil, fmt.Errorf("weights: %d bytes, want %d", len(blob), weightsSize)
	}
	m := &Model{}
`)
	for _, d := range storedTypes {
		if d != ir.F32 && count[d] == 0 {
			continue
		}
		fmt.Fprintf(&b, "for i, w := range %s {\nsrc := blob[w.off : w.off+%d*w.n]\ndst := make([]%s, w.n)\nfor j := range dst {\ndst[j] = %s\n}\nm.%s[i] = dst\n}\n",
			weightTableName(d), d.Size(), goElem[d], weightDecode[d], weightsField(d))
	}
	b.WriteString("return m, nil\n}\n\n")
	// Session.
	fmt.Fprintf(&b, "// arenaLen is the float32 activation arena's length in elements, im2col\n// columns included, as the memory plan in manifest.json lays it out.\nconst (\narenaLen = %d\n", g.arenaLen[ir.F32])
	for _, d := range storedTypes[1:] {
		if g.usesArena(d) {
			fmt.Fprintf(&b, "arenaLen%s = %d // the %s arena\n", tensorField[d], g.arenaLen[d], goElem[d])
		}
	}
	if g.needGemm || g.needPar {
		fmt.Fprintf(&b, "threads = %d // goroutines a GEMM or a large elementwise kernel splits its work over\n", opts.Threads)
	}
	b.WriteString(")\n\n// Session runs the model. It owns the activation arena, so each goroutine\n// needs its own; a session may run any number of times.\ntype Session struct {\nm *Model\narena []float32\n")
	for _, d := range storedTypes[1:] {
		if g.usesArena(d) {
			fmt.Fprintf(&b, "%s []%s\n", arenaField(d), goElem[d])
		}
	}
	b.WriteString("pack []float32\n}\n\n// NewSession returns a session with its own arena.\nfunc (m *Model) NewSession() *Session {\ns := &Session{m: m, arena: make([]float32, arenaLen)}\n")
	for _, d := range storedTypes[1:] {
		if g.usesArena(d) {
			fmt.Fprintf(&b, "s.%s = make([]%s, arenaLen%s)\n", arenaField(d), goElem[d], tensorField[d])
		}
	}
	if g.needGemm {
		b.WriteString("s.pack = make([]float32, threads*gemmScratchLen)\n")
	}
	b.WriteString("return s\n}\n\n")

	b.WriteString(g.withExtraFields(`// checkInput returns an error unless t holds data of element type elem
// ("float32", "int64", ...) and exactly shape want. A tensor with no
// elements may leave its data nil.
func checkInput(name string, t Tensor, elem string, want ...int) error {
	if t.Shape == nil && t.F32 == nil && t.I64 == nil && t.F64 == nil && t.I32 == nil && t.Bool == nil {
		return fmt.Errorf("input %q is missing", name)
	}
	var n int
	var ok bool
	switch elem {
	case "float32":
		n, ok = len(t.F32), t.F32 != nil
	case "int64":
		n, ok = len(t.I64), t.I64 != nil
	case "float64":
		n, ok = len(t.F64), t.F64 != nil
	case "int32":
		n, ok = len(t.I32), t.I32 != nil
	case "bool":
		n, ok = len(t.Bool), t.Bool != nil
	}
	if len(t.Shape) != len(want) {
		return fmt.Errorf("input %q: shape %v has rank %d, want %v", name, t.Shape, len(t.Shape), want)
	}
	size := 1
	for i, d := range t.Shape {
		if d != want[i] {
			return fmt.Errorf("input %q: shape %v, want %v (dim %d)", name, t.Shape, want, i)
		}
		size *= d
	}
	if !ok && size > 0 {
		return fmt.Errorf("input %q: want %s data", name, elem)
	}
	if n != size {
		return fmt.Errorf("input %q: %d elements for shape %v, want %d", name, n, t.Shape, size)
	}
	return nil
}

`))
	if len(g.ranges) > 0 {
		g.writeDimReader(&b, inNames)
	}
	// Run.
	b.WriteString("// Run computes the outputs for in. It returns an error, and no outputs,\n// when an input is missing or has the wrong shape.\nfunc (s *Session) Run(in Inputs) (Outputs, error) {\nvar out Outputs\n")
	if len(g.ranges) > 0 {
		b.WriteString("dv, err := readDims(in)\nif err != nil {\nreturn out, err\n}\n_ = dv\n")
	}
	for i, x := range g.inputs {
		if x.v.Type.Kind != ir.TensorKind {
			fmt.Fprintf(&b, "if err := %s; err != nil {\nreturn out, err\n}\n", g.checkBoxedInput(x, g.f.InputNames[i], "in."+inNames[i]))
			continue
		}
		fmt.Fprintf(&b, "if err := checkInput(%q, in.%s, %q, %s); err != nil {\nreturn out, err\n}\n", g.f.InputNames[i], inNames[i], elemName(x.dtype), shapeList(x.shape))
	}
	for _, d := range storedTypes {
		if count[d] > 0 {
			fmt.Fprintf(&b, "%s := &s.m.%s\n", weightsVar[d], weightsField(d))
		}
	}
	for _, d := range storedTypes {
		if g.usesArena(d) {
			fmt.Fprintf(&b, "%s := s.%s\n", arenaVar[d], arenaField(d))
		}
	}
	read := map[*val]bool{}
	for _, c := range g.calls {
		for _, a := range c.args {
			read[a.storage()] = true
		}
	}
	for _, r := range g.f.Body.Results {
		read[g.vals[r].storage()] = true
	}
	for i, x := range g.inputs {
		if read[x] && x.v.Type.Kind != ir.TensorKind {
			fmt.Fprintf(&b, "%s := in.%s // %q\n", x.name, inNames[i], g.f.InputNames[i])
		} else if read[x] {
			fmt.Fprintf(&b, "%s := in.%s.%s // %q\n", x.name, inNames[i], tensorField[x.dtype], g.f.InputNames[i])
		}
	}
	for _, x := range g.locals {
		parts := make([]string, len(x.local))
		for i, n := range x.local {
			switch x.dtype {
			case ir.Bool:
				parts[i] = fmt.Sprint(n != 0)
			default:
				parts[i] = fmt.Sprintf("%s(%d)", goElem[x.dtype], n)
			}
		}
		fmt.Fprintf(&b, "%s := []%s{%s} // %s, from the dims\n", x.name, goElem[x.dtype], strings.Join(parts, ", "), x.v.Name)
	}
	for _, x := range g.strConsts {
		fmt.Fprintf(&b, "%s := %s // @%s\n", x.name, stringLiteral(x.strs), x.v.Const.Name)
	}
	for _, c := range g.calls {
		switch c.ctl {
		case ctlIf:
			for _, r := range c.args[1:] {
				if boxed(r) {
					fmt.Fprintf(&b, "var %s %s\n", r.name, goType(r))
					continue
				}
				off := r.storage().buf.offset
				fmt.Fprintf(&b, "%s := %s[%d:%d:%d]\n", r.name, arenaVar[r.dtype], off, off+r.n, off+r.n)
			}
			fmt.Fprintf(&b, "if %s[0] { // If %s\n", g.expr(c.args[0]), quoteLocs(c.op))
			continue
		case ctlElse:
			b.WriteString("} else {\n")
			continue
		case ctlEnd:
			b.WriteString("}\n")
			continue
		case ctlCopy:
			if boxed(c.args[1]) {
				fmt.Fprintf(&b, "%s = %s\n", g.expr(c.args[1]), g.expr(c.args[0]))
				continue
			}
			fmt.Fprintf(&b, "copy(%s, %s)\n", g.expr(c.args[1]), g.expr(c.args[0]))
			continue
		case ctlMapBegin:
			g.writeSeqMapBegin(&b, c)
			continue
		case ctlMapEnd:
			g.writeSeqMapEnd(&b, c)
			continue
		case ctlLoop:
			g.writeLoopBegin(&b, c)
			continue
		case ctlLoopEnd:
			g.writeLoopEnd(&b, c)
			continue
		case ctlFail:
			fmt.Fprintf(&b, "return Outputs{}, fmt.Errorf(\"%%s\", %q)\n", c.msg)
			continue
		}
		y := c.args[len(c.args)-1]
		if c.view {
			fmt.Fprintf(&b, "// %s %s: %s is a view of %s\n", c.op.Name, quoteLocs(c.op), dtypeText(y.dtype, y.shape), g.expr(c.args[0]))
			continue
		}
		nres := c.nres()
		for _, r := range c.args[len(c.args)-nres:] {
			if r.where == inHeap {
				note := " // shape known once the kernel ran"
				if r.v.Type.Kind != ir.TensorKind || r.v.Def == nil || boxedEmitters[r.v.Def.Name] != nil || seqEmitters[r.v.Def.Name] != nil {
					note = ""
				}
				fmt.Fprintf(&b, "var %s %s%s\n", r.name, goType(r), note)
				continue
			}
			if r.where == inStr {
				fmt.Fprintf(&b, "%s := make([]string, %d) // strings have no arena\n", r.name, r.n)
				continue
			}
			st := r.storage()
			off := st.buf.offset
			note := ""
			if st != r {
				note = " // in place over " + st.name
			}
			fmt.Fprintf(&b, "%s := %s[%d:%d:%d]%s\n", r.name, arenaVar[r.dtype], off, off+r.n, off+r.n, note)
		}
		var args []string
		for _, a := range c.args {
			if boxed(a) {
				args = append(args, "&"+g.expr(a))
				continue
			}
			args = append(args, g.expr(a))
		}
		if c.fn.scratch {
			col := "nil"
			if cb := c.colBuf; cb != nil {
				col = fmt.Sprintf("%s[%d:%d:%d]", arenaVar[cb.dtype], cb.offset, cb.offset+cb.size, cb.offset+cb.size)
			}
			args = append(args, col, "s.pack")
		}
		if c.fn.fails {
			fmt.Fprintf(&b, "if err := %s(%s); err != nil {\nreturn Outputs{}, fmt.Errorf(\"%%s: %%w\", %q, err)\n}\n", c.fn.name, strings.Join(args, ", "), c.op.Name+" "+quoteLocs(c.op))
		} else {
			fmt.Fprintf(&b, "%s(%s) // %s %s\n", c.fn.name, strings.Join(args, ", "), c.op.Name, quoteLocs(c.op))
		}
	}
	for i, r := range g.f.Body.Results {
		x := g.vals[r]
		if x.v.Type.Kind != ir.TensorKind {
			fmt.Fprintf(&b, "out.%s = clone%s(%s)\n", outNames[i], goType(x), g.expr(x))
			continue
		}
		if x.where == inHeap {
			fmt.Fprintf(&b, "out.%s = %s\n", outNames[i], g.expr(x))
			continue
		}
		fmt.Fprintf(&b, "out.%s = Tensor{Shape: []int{%s}, %s: append([]%s(nil), %s...)}\n", outNames[i], shapeList(x.shape), tensorField[x.dtype], goElem[x.dtype], g.expr(x))
	}
	b.WriteString("return out, nil\n}\n\n")

	// RunNamed.
	loopVars := "name, t"
	if len(g.inputs) == 0 {
		loopVars = "name" // a model without inputs reads no tensor
	}
	named := g.namedType()
	if named == "Tensor" {
		b.WriteString("// RunNamed is Run with inputs and outputs keyed by the model's names for\n// them. An unknown input name is an error.\n")
	} else {
		b.WriteString("// RunNamed is Run with inputs and outputs keyed by the model's names for\n// them, each a Tensor, a Sequence or an Optional as the fields of Inputs\n// and Outputs are. An unknown input name, or a value of the wrong kind,\n// is an error.\n")
	}
	b.WriteString("func (s *Session) RunNamed(in map[string]" + named + ") (map[string]" + named + ", error) {\nvar x Inputs\nfor " + loopVars + " := range in {\nswitch name {\n")
	for i, v := range g.inputs {
		if named != "Tensor" {
			fmt.Fprintf(&b, "case %q:\nv, ok := t.(%s)\nif !ok {\nreturn nil, fmt.Errorf(\"input %%q: is a %%T, want a %s\", name, t)\n}\nx.%s = v\n", g.f.InputNames[i], ioType(v), ioType(v), inNames[i])
			continue
		}
		fmt.Fprintf(&b, "case %q:\nx.%s = t\n", g.f.InputNames[i], inNames[i])
	}
	b.WriteString("default:\nreturn nil, fmt.Errorf(\"unknown input %q\", name)\n}\n}\n")
	b.WriteString("out, err := s.Run(x)\nif err != nil {\nreturn nil, err\n}\nreturn map[string]" + named + "{\n")
	for i := range g.f.OutputNames {
		fmt.Fprintf(&b, "%q: out.%s,\n", g.f.OutputNames[i], outNames[i])
	}
	b.WriteString("}, nil\n}\n")
	return b.String()
}

// writeDimReader writes dimVals, the sizes of the dims Run reads from its
// inputs, and readDims, which reads them, checking each against its
// bounds and every input giving a dim against the first.
func (g *graph) writeDimReader(b *strings.Builder, inNames []string) {
	b.WriteString("// dimVals holds the sizes of the dims this package reads from its inputs\n// at run time.\ntype dimVals struct {\n")
	for _, r := range g.ranges {
		fmt.Fprintf(b, "%s int // %s, from %d to %d\n", r.field, r.name, r.lo, r.hi)
	}
	b.WriteString("}\n\n")
	b.WriteString(`// readDim reads dim axis of an input's shape (when it has the rank the
// model wants: checkInput reports the others) into *dst, checking it
// against the bounds lo..hi and, when *seen, against the size an earlier
// input gave.
func readDim(dst *int, seen *bool, input string, shape []int, axis, rank int, dim string, lo, hi int) error {
	if len(shape) != rank {
		return nil
	}
	n := shape[axis]
	if n < lo || n > hi {
		return fmt.Errorf("input %q: dim %d (%s) is %d, outside its bounds [%d, %d]", input, axis, dim, n, lo, hi)
	}
	if *seen && n != *dst {
		return fmt.Errorf("input %q: dim %d (%s) is %d, but an earlier input gives %s = %d", input, axis, dim, n, dim, *dst)
	}
	*dst, *seen = n, true
	return nil
}

// readDims reads the sizes of the dims known at run time from the inputs.
func readDims(in Inputs) (dimVals, error) {
`)
	b.WriteString("dv := dimVals{")
	for i, r := range g.ranges {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "%s: %d", r.field, r.lo)
	}
	b.WriteString("}\n")
	fmt.Fprintf(b, "var seen [%d]bool\n", len(g.ranges))
	for i, x := range g.inputs {
		decl := g.declared[i]
		for j, d := range decl.Dims {
			for k, r := range g.ranges {
				if d.String() == r.name && len(d.Symbols()) == 1 {
					fmt.Fprintf(b, "if err := readDim(&dv.%s, &seen[%d], %q, in.%s.Shape, %d, %d, %q, %d, %d); err != nil {\nreturn dv, err\n}\n",
						r.field, k, g.f.InputNames[i], inNames[i], j, len(decl.Dims), r.name, r.lo, r.hi)
				}
			}
		}
		_ = x
	}
	b.WriteString("return dv, nil\n}\n\n")
}

// quoteLocs names an op's source nodes for a comment.
func quoteLocs(op *ir.Op) string {
	if len(op.Loc) == 0 {
		return ""
	}
	return op.Loc.String()
}

// kernelSource writes kernels.go: one function per distinct kernel.
func (g *graph) kernelSource(opts Options) string {
	var b strings.Builder
	b.WriteString(header(opts))
	fmt.Fprintf(&b, "package %s\n\n", opts.Package)
	var imports []string
	for _, pkg := range []string{"fmt", "math"} {
		for _, fn := range g.funcs {
			if strings.Contains(fn.body, pkg+".") {
				imports = append(imports, pkg)
				break
			}
		}
	}
	if len(imports) > 0 {
		b.WriteString("import (\n")
		for _, p := range imports {
			fmt.Fprintf(&b, "%q\n", p)
		}
		b.WriteString(")\n\n")
	}
	for _, fn := range g.funcs {
		var ps []string
		for i, p := range fn.params {
			if i+1 < len(fn.params) && fn.types[i+1] == fn.types[i] {
				ps = append(ps, p)
			} else if strings.HasPrefix(fn.types[i], "*") {
				ps = append(ps, p+" "+fn.types[i]) // a result the kernel allocates
			} else {
				ps = append(ps, p+" []"+fn.types[i])
			}
		}
		params := strings.Join(ps, ", ")
		if fn.scratch {
			params += ", col, pack []float32"
		}
		if fn.fails {
			params += ") (error"
		}
		calls := "one call"
		if fn.uses > 1 {
			calls = fmt.Sprintf("%d calls", fn.uses)
		}
		body := fn.body
		if fn.fails {
			body += "return nil\n"
		}
		fmt.Fprintf(&b, "// %s computes %s\n// (%s).\nfunc %s(%s) {\n%s}\n\n", fn.name, fn.comment, calls, fn.name, params, body)
	}
	return b.String()
}

func weightTableName(d ir.DType) string {
	if d == ir.F32 {
		return "weightTable"
	}
	return "weightTable" + tensorField[d]
}

func weightsField(d ir.DType) string {
	if d == ir.F32 {
		return "weights"
	}
	return "weights" + tensorField[d]
}

func arenaField(d ir.DType) string {
	if d == ir.F32 {
		return "arena"
	}
	return "arena" + tensorField[d]
}
