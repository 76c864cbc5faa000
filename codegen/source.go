package codegen

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/kiln-ml/kiln/ir"
)

// goNames gives each external name an exported Go identifier, unique
// among names.
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
			case r == '_':
				if b.Len() > 0 {
					b.WriteRune(r)
				}
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
func (g *graph) describe(x *val, bind string) string {
	s := fmt.Sprintf("float32, shape %s", strings.ReplaceAll(typeText(x.shape), "f32", ""))
	if sym := symbolicShape(x.v.Type.Shape); sym != strings.ReplaceAll(typeText(x.shape), "f32", "") {
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
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s=%d", n, g.bind[n]))
	}
	if len(parts) == 0 {
		return ""
	}
	return " with " + strings.Join(parts, ", ")
}

// expr is the Go expression for a value's elements inside Run.
func (g *graph) expr(x *val) string {
	if d := x.v.Def; d != nil && isView(d) {
		return g.expr(g.vals[d.Args[0]])
	}
	switch x.where {
	case inWeight:
		return fmt.Sprintf("w[%d]", x.index)
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
	} else {
		b.WriteString("\"crypto/sha256\"\n\"encoding/hex\"\n\"os\"\n\"path/filepath\"\n")
	}
	b.WriteString("\"encoding/binary\"\n\"fmt\"\n\"math\"\n)\n\n")

	b.WriteString(`// Tensor is a dense float32 tensor in row-major (C) order. Other element
// types will get their own data field.
type Tensor struct {
	// Shape holds the dims, outermost first.
	Shape []int
	// F32 holds the elements; its length is the product of Shape.
	F32 []float32
}

`)
	b.WriteString("// Inputs are the model's inputs, one field per input. Each must have\n// exactly the shape given.\ntype Inputs struct {\n")
	for i, x := range g.inputs {
		fmt.Fprintf(&b, "// %s is input %q: %s.\n%s Tensor\n", inNames[i], g.f.InputNames[i], g.describe(x, bind), inNames[i])
	}
	b.WriteString("}\n\n")
	b.WriteString("// Outputs are the model's outputs, one field per output, in slices\n// that Run allocates for each call.\ntype Outputs struct {\n")
	for i, r := range g.f.Body.Results {
		fmt.Fprintf(&b, "// %s is output %q: %s.\n%s Tensor\n", outNames[i], g.f.OutputNames[i], g.describe(g.vals[r], bind), outNames[i])
	}
	b.WriteString("}\n\n")

	// Weights.
	fmt.Fprintf(&b, "// weightsSize and weightsSHA256 describe %s, the little-endian blob\n// of every weight, each 64-byte aligned.\nconst (\nweightsSize = %d\nweightsSHA256 = %q\n)\n\n", WeightsFileName, g.blobLen(), g.weightsSHA)
	b.WriteString("// weightTable gives each weight's byte offset in the blob and its\n// element count.\n")
	fmt.Fprintf(&b, "var weightTable = [%d]struct{ off, n int }{\n", len(g.weights))
	for i, w := range g.weights {
		fmt.Fprintf(&b, "{%d, %d}, // @%s %s\n", g.weightOff[i], w.n, w.v.Const.Name, typeText(w.shape))
	}
	b.WriteString("}\n\n")
	fmt.Fprintf(&b, "// Model holds the weights, decoded once. It is read-only after Load and\n// safe to share between goroutines.\ntype Model struct {\nweights [%d][]float32\n}\n\n", len(g.weights))
	if opts.Weights == WeightsEmbed {
		fmt.Fprintf(&b, "//go:embed %s\nvar weightsBlob []byte\n\n", WeightsFileName)
		b.WriteString("// Load returns the model with the weights embedded in the package.\nfunc Load() (*Model, error) {\nreturn newModel(weightsBlob)\n}\n\n")
	} else {
		fmt.Fprintf(&b, `// Load reads the weights from %[1]s in the folder of the running
// executable.
func Load() (*Model, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding %[1]s: %%w", err)
	}
	return LoadFile(filepath.Join(filepath.Dir(exe), %[1]q))
}

// LoadFile reads the weights from path and checks them against the
// size and SHA-256 recorded when the package was generated.
func LoadFile(path string) (*Model, error) {
	blob, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(blob) != weightsSize {
		return nil, fmt.Errorf("%%s: %%d bytes, want %%d", path, len(blob), weightsSize)
	}
	sum := sha256.Sum256(blob)
	if hex.EncodeToString(sum[:]) != weightsSHA256 {
		return nil, fmt.Errorf("%%s: sha256 does not match the weights this package was generated with", path)
	}
	return newModel(blob)
}

`, WeightsFileName)
	}
	b.WriteString(`// newModel decodes the weights blob.
func newModel(blob []byte) (*Model, error) {
	if len(blob) != weightsSize {
		return nil, fmt.Errorf("weights: %d bytes, want %d", len(blob), weightsSize)
	}
	m := &Model{}
	for i, w := range weightTable {
		src := blob[w.off : w.off+4*w.n]
		dst := make([]float32, w.n)
		for j := range dst {
			dst[j] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*j:]))
		}
		m.weights[i] = dst
	}
	return m, nil
}

`)
	// Session.
	fmt.Fprintf(&b, `// arenaLen is the activation arena's length in float32 elements, as the
// memory plan in manifest.json lays it out; colLen is the im2col scratch.
const (
	arenaLen = %d
	colLen   = %d
)

// Session runs the model. It owns the activation arena, so each goroutine
// needs its own; a session may run any number of times.
type Session struct {
	m     *Model
	arena []float32
	col   []float32
	pack  []float32
}

// NewSession returns a session with its own arena.
func (m *Model) NewSession() *Session {
	s := &Session{m: m, arena: make([]float32, arenaLen), col: make([]float32, colLen)}
`, g.arenaLen, g.colLen)
	if g.needGemm {
		b.WriteString("s.pack = make([]float32, gemmScratchLen)\n")
	}
	b.WriteString("return s\n}\n\n")

	b.WriteString(`// checkInput returns an error unless t holds float32 data of exactly
// shape want.
func checkInput(name string, t Tensor, want ...int) error {
	if t.Shape == nil && t.F32 == nil {
		return fmt.Errorf("input %q is missing", name)
	}
	if t.F32 == nil {
		return fmt.Errorf("input %q: no float32 data (F32 is nil)", name)
	}
	if len(t.Shape) != len(want) {
		return fmt.Errorf("input %q: shape %v has rank %d, want %v", name, t.Shape, len(t.Shape), want)
	}
	n := 1
	for i, d := range t.Shape {
		if d != want[i] {
			return fmt.Errorf("input %q: shape %v, want %v (dim %d)", name, t.Shape, want, i)
		}
		n *= d
	}
	if len(t.F32) != n {
		return fmt.Errorf("input %q: %d elements for shape %v, want %d", name, len(t.F32), t.Shape, n)
	}
	return nil
}

`)
	// Run.
	b.WriteString("// Run computes the outputs for in. It returns an error, and no outputs,\n// when an input is missing or has the wrong shape.\nfunc (s *Session) Run(in Inputs) (Outputs, error) {\nvar out Outputs\n")
	for i, x := range g.inputs {
		fmt.Fprintf(&b, "if err := checkInput(%q, in.%s, %s); err != nil {\nreturn out, err\n}\n", g.f.InputNames[i], inNames[i], shapeList(x.shape))
	}
	if len(g.weights) > 0 {
		b.WriteString("w := &s.m.weights\n")
	}
	if len(g.bufs) > 0 {
		b.WriteString("a := s.arena\n")
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
		if read[x] {
			fmt.Fprintf(&b, "%s := in.%s.F32 // %q\n", x.name, inNames[i], g.f.InputNames[i])
		}
	}
	for _, c := range g.calls {
		y := c.args[len(c.args)-1]
		if c.view {
			fmt.Fprintf(&b, "// %s %s: %s is a view of %s\n", c.op.Name, quoteLocs(c.op), typeText(y.shape), g.expr(c.args[0]))
			continue
		}
		nres := c.nres()
		for _, r := range c.args[len(c.args)-nres:] {
			st := r.storage()
			off := st.buf.offset
			note := ""
			if st != r {
				note = " // in place over " + st.name
			}
			fmt.Fprintf(&b, "%s := a[%d:%d:%d]%s\n", r.name, off, off+r.n, off+r.n, note)
		}
		var args []string
		for _, a := range c.args {
			args = append(args, g.expr(a))
		}
		if c.fn.scratch {
			args = append(args, "s.col", "s.pack")
		}
		fmt.Fprintf(&b, "%s(%s) // %s %s\n", c.fn.name, strings.Join(args, ", "), c.op.Name, quoteLocs(c.op))
	}
	for i, r := range g.f.Body.Results {
		x := g.vals[r]
		fmt.Fprintf(&b, "out.%s = Tensor{Shape: []int{%s}, F32: append([]float32(nil), %s...)}\n", outNames[i], shapeList(x.shape), g.expr(x))
	}
	b.WriteString("return out, nil\n}\n\n")

	// RunNamed.
	b.WriteString("// RunNamed is Run with inputs and outputs keyed by the model's names for\n// them. An unknown input name is an error.\nfunc (s *Session) RunNamed(in map[string]Tensor) (map[string]Tensor, error) {\nvar x Inputs\nfor name, t := range in {\nswitch name {\n")
	for i := range g.inputs {
		fmt.Fprintf(&b, "case %q:\nx.%s = t\n", g.f.InputNames[i], inNames[i])
	}
	b.WriteString("default:\nreturn nil, fmt.Errorf(\"unknown input %q\", name)\n}\n}\n")
	b.WriteString("out, err := s.Run(x)\nif err != nil {\nreturn nil, err\n}\nreturn map[string]Tensor{\n")
	for i := range g.f.OutputNames {
		fmt.Fprintf(&b, "%q: out.%s,\n", g.f.OutputNames[i], outNames[i])
	}
	b.WriteString("}, nil\n}\n")
	return b.String()
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
	usesMath := false
	for _, fn := range g.funcs {
		if strings.Contains(fn.body, "math.") {
			usesMath = true
		}
	}
	if usesMath {
		b.WriteString("import \"math\"\n\n")
	}
	for _, fn := range g.funcs {
		params := strings.Join(fn.params, ", ") + " []float32"
		if fn.scratch {
			params += ", col, pack []float32"
		}
		calls := "one call"
		if fn.uses > 1 {
			calls = fmt.Sprintf("%d calls", fn.uses)
		}
		fmt.Fprintf(&b, "// %s computes %s\n// (%s).\nfunc %s(%s) {\n%s}\n\n", fn.name, fn.comment, calls, fn.name, params, fn.body)
	}
	return b.String()
}
