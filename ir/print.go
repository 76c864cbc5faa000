package ir

import (
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultInlineLimit is the element count up to which constants print their
// values inline when PrintOptions.InlineLimit is 0.
const DefaultInlineLimit = 16

// PrintOptions controls Print.
type PrintOptions struct {
	// BaseDir, when set, is the folder file references are printed relative
	// to: the folder the .kir file will live in, so that Parse with the same
	// folder as ParseOptions.BaseDir finds the data again.
	BaseDir string
	// InlineLimit is the largest element count of a constant that prints its
	// values inline even though its bytes lie in a file. 0 means
	// DefaultInlineLimit; a negative limit prints every constant inline.
	// String tensors and constants without a Source always print inline;
	// block-typed constants (q4_0, q4_k, ...) with a Source always print
	// as their file reference, and without one as their raw block bytes.
	InlineLimit int
}

// Print writes m in kiln's text form (docs/ir.md). The output is a function
// of the module alone: values print by their names (Value.Name; the second
// and later values of one function with the same name get a suffix, %x#1),
// attributes come sorted, and Parse gives back a module that prints to the
// same bytes. A malformed module still prints (undefined
// values show as %undef) so that the verifier's complaints can be read
// against it.
func Print(w io.Writer, m *Module, opts PrintOptions) error {
	p := &printer{opts: opts}
	if p.opts.InlineLimit == 0 {
		p.opts.InlineLimit = DefaultInlineLimit
	}
	p.module(m)
	_, err := io.WriteString(w, p.b.String())
	return err
}

// String returns m's text form with default options (file references as the
// module holds them).
func (m *Module) String() string {
	var b strings.Builder
	Print(&b, m, PrintOptions{})
	return b.String()
}

// ValueNames returns how the text form spells each value of f (%x,
// %"/a/b", %x#1), so that other views of a module (pictures, reports) name
// values exactly as `kiln dump` does.
func ValueNames(f *Func) map[*Value]string {
	p := &printer{opts: PrintOptions{InlineLimit: DefaultInlineLimit}}
	p.function(f)
	return p.names
}

type printer struct {
	b        strings.Builder
	opts     PrintOptions
	names    map[*Value]string // how each value defined so far prints
	comments *Comments         // the module's comments, or nil
	// commented and trailed mark the lines whose comments are printed.
	commented, trailed map[Anchor]bool
	seen               map[string]int // how many values of the function carry a name
	next               int            // the number for the next unnamed value
}

func (p *printer) printf(format string, args ...any) { fmt.Fprintf(&p.b, format, args...) }

func (p *printer) indent(n int) {
	for range n {
		p.b.WriteString("  ")
	}
}

func (p *printer) module(m *Module) {
	p.comments = m.Comments
	p.commented, p.trailed = map[Anchor]bool{}, map[Anchor]bool{}
	p.b.WriteString(printHeader + "\n")
	if len(m.Meta) > 0 {
		p.b.WriteByte('\n')
		for _, e := range m.Meta {
			a := Anchor{Kind: AnchorMeta, Name: e.Key}
			p.commentsAbove(a, 0)
			p.printf("meta %s = %s", strconv.Quote(e.Key), strconv.Quote(e.Value))
			p.endLine(a)
		}
	}
	if len(m.Syms) > 0 {
		p.b.WriteByte('\n')
		for _, s := range m.Syms {
			max := "?"
			if s.Max >= 0 {
				max = strconv.FormatInt(s.Max, 10)
			}
			name := s.Name
			if !isIdent(name) {
				name = strconv.Quote(name)
			}
			a := Anchor{Kind: AnchorSym, Name: s.Name}
			p.commentsAbove(a, 0)
			p.printf("sym %s in [%d, %s]", name, s.Min, max)
			p.endLine(a)
		}
	}
	if len(m.Consts) > 0 {
		p.b.WriteByte('\n')
		for _, c := range m.Consts {
			p.constant(c)
		}
	}
	for _, f := range m.Funcs {
		p.b.WriteByte('\n')
		p.function(f)
	}
	if end := (Anchor{Kind: AnchorModuleEnd}); p.comments != nil && len(p.comments.Above[end]) > 0 {
		p.b.WriteByte('\n')
		p.commentsAbove(end, 0)
	}
}

// globalName prints a constant or function name after '@', quoted unless it
// is a plain identifier.
func globalName(s string) string {
	if isGlobalIdent(s) {
		return "@" + s
	}
	return "@" + strconv.Quote(s)
}

// isGlobalIdent reports whether s can follow '@' unquoted: it matches the
// lexer's [A-Za-z0-9_.]+ (numeric names such as PyTorch's "123" included).
func isGlobalIdent(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func (p *printer) constant(v *Value) {
	c := v.Const
	a := Anchor{Kind: AnchorConst, Value: v}
	p.commentsAbove(a, 0)
	p.printf("const %s : %s = ", globalName(c.Name), v.Type)
	n := v.Type.Shape.NumElements()
	inline := p.opts.InlineLimit < 0 || n <= int64(p.opts.InlineLimit)
	// Block-typed constants have no readable values: with a source they
	// always print as their file reference.
	if c.Source != nil && v.Type.DType != String && (!inline || v.Type.DType.IsBlock()) {
		sum := c.SHA256()
		p.printf("file(%s, offset=%d, length=%d, sha256=%q)",
			strconv.Quote(p.relPath(c.Source.Path)), c.Source.Offset, c.Source.Length, hex.EncodeToString(sum[:]))
		p.endLine(a)
		return
	}
	p.b.WriteString(formatConstData(v))
	p.endLine(a)
}

// relPath returns path as seen from opts.BaseDir, with forward slashes.
func (p *printer) relPath(path string) string {
	if p.opts.BaseDir == "" {
		return filepath.ToSlash(path)
	}
	base, target := p.opts.BaseDir, path
	if filepath.IsAbs(base) != filepath.IsAbs(target) {
		var err1, err2 error
		base, err1 = filepath.Abs(base)
		target, err2 = filepath.Abs(target)
		if err1 != nil || err2 != nil {
			return filepath.ToSlash(path)
		}
	}
	rel, err := filepath.Rel(base, target)
	if err != nil {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(rel)
}

// formatConstData returns a constant's values: a bare element for a scalar,
// otherwise a flat list in C order. Malformed payloads (wrong byte count)
// print what they hold as a byte list so nothing is hidden.
func formatConstData(v *Value) string {
	c := v.Const
	d := v.Type.DType
	n := v.Type.Shape.NumElements()
	scalar := v.Type.Shape.Ranked && len(v.Type.Shape.Dims) == 0
	var elems []string
	switch {
	case d == String:
		if int64(len(c.Strings)) != n {
			scalar = false
		}
		for _, s := range c.Strings {
			elems = append(elems, strconv.Quote(s))
		}
	case d.IsNarrow() && wholePayload(v):
		data, _ := DecodeNarrow(d, c.Bytes, int(n))
		elems = formatNarrow(d, data)
	case d.Valid() && d.Info().BlockLen == 1 && wholePayload(v):
		size := d.Size()
		for i := int64(0); i < n; i++ {
			elems = append(elems, formatElem(d, c.Bytes[i*int64(size):(i+1)*int64(size)]))
		}
	default:
		scalar = false
		for _, x := range c.Bytes {
			elems = append(elems, strconv.Itoa(int(x)))
		}
	}
	if scalar && len(elems) == 1 {
		return elems[0]
	}
	return "[" + strings.Join(elems, ", ") + "]"
}

// formatNarrow formats the elements of a narrow type held in memory (see
// DecodeNarrow): integers for i4 and u4, values for the float8 and float4
// types, whose NaN codes print as "nan" for the canonical one (positive,
// MiniFloat.NaN) and as nan(0x..) with their code otherwise.
func formatNarrow(d DType, data any) []string {
	var out []string
	switch x := data.(type) {
	case []int8:
		for _, v := range x {
			out = append(out, strconv.Itoa(int(v)))
		}
	case []uint8:
		f, mini := MiniFloatOf(d)
		canon, _ := f.NaN(false)
		for _, v := range x {
			switch {
			case !mini:
				out = append(out, strconv.Itoa(int(v)))
			case f.IsNaN(v) && v == canon:
				out = append(out, "nan")
			case f.IsNaN(v):
				out = append(out, fmt.Sprintf("nan(0x%02x)", v))
			default:
				out = append(out, FormatFloat32(float32(f.Float64(v))))
			}
		}
	}
	return out
}

// Canonical NaN bit patterns: these print as plain "nan"; every other NaN
// prints its bits so that parsing gives the identical pattern back.
const (
	canonNaN16   = 0x7e00
	canonNaNBF16 = 0x7fc0
	canonNaN32   = 0x7fc00000
	canonNaN64   = 0x7ff8000000000000
)

// formatElem formats one element of dtype d from its little-endian bytes.
func formatElem(d DType, b []byte) string {
	size := d.Size()
	if d == C64 || d == C128 {
		size /= 2
	}
	v := loadBits(b, size)
	switch d {
	case F32:
		return formatF32Bits(uint32(v))
	case F64:
		return formatF64Bits(v)
	case F16:
		if isNaNBits(v, d) {
			if v == canonNaN16 {
				return "nan"
			}
			return fmt.Sprintf("nan(0x%04x)", v)
		}
		return FormatFloat32(Float16(v).Float32())
	case BF16:
		if isNaNBits(v, d) {
			if v == canonNaNBF16 {
				return "nan"
			}
			return fmt.Sprintf("nan(0x%04x)", v)
		}
		return FormatFloat32(BFloat16(v).Float32())
	case I8, I16, I32, I64:
		return strconv.FormatInt(signExtend(v, size), 10)
	case U8, U16, U32, U64:
		return strconv.FormatUint(v, 10)
	case Bool:
		switch v {
		case 0:
			return "false"
		case 1:
			return "true"
		}
		return strconv.FormatUint(v, 10) // not a proper bool; keep the byte
	case C64:
		return "(" + formatF32Bits(uint32(v)) + ", " + formatF32Bits(uint32(loadBits(b[4:], 4))) + ")"
	case C128:
		return "(" + formatF64Bits(v) + ", " + formatF64Bits(loadBits(b[8:], 8)) + ")"
	}
	return "?"
}

func formatF32Bits(u uint32) string {
	f := math.Float32frombits(u)
	if f != f {
		if u == canonNaN32 {
			return "nan"
		}
		return fmt.Sprintf("nan(0x%08x)", u)
	}
	return FormatFloat32(f)
}

func formatF64Bits(u uint64) string {
	f := math.Float64frombits(u)
	if f != f {
		if u == canonNaN64 {
			return "nan"
		}
		return fmt.Sprintf("nan(0x%016x)", u)
	}
	return floatText(strconv.FormatFloat(f, 'g', -1, 64))
}

// FormatFloat32 formats f as the shortest decimal that reads back as the
// same float32, always recognizable as a float ("1.0", "1e-05", "inf",
// "-inf", "nan", "-0.0").
func FormatFloat32(f float32) string {
	if f != f {
		return "nan"
	}
	return floatText(strconv.FormatFloat(float64(f), 'g', -1, 32))
}

// floatText turns strconv's output into kiln's float spelling.
func floatText(s string) string {
	switch s {
	case "+Inf":
		return "inf"
	case "-Inf":
		return "-inf"
	case "NaN":
		return "nan"
	}
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

func (p *printer) function(f *Func) {
	p.names = map[*Value]string{}
	p.seen = map[string]int{}
	// Values without a name (built by hand, not through NewOp) print as
	// numbers above every numeric name of the function.
	p.next = 0
	walkValues(f.Body, func(v *Value) {
		if n, err := strconv.Atoi(v.Name); err == nil && n >= p.next && n < 1<<40 && strconv.Itoa(n) == v.Name {
			p.next = n + 1
		}
	})
	fa := Anchor{Kind: AnchorFunc, Func: f}
	p.commentsAbove(fa, 0)
	p.printf("func %s(", globalName(f.Name))
	for i, v := range f.Body.Params {
		if i > 0 {
			p.b.WriteString(", ")
		}
		ref := p.define(v)
		p.b.WriteString(ref)
		// The external name is left out when it is the value's own name.
		if i < len(f.InputNames) && ref != valueRef(f.InputNames[i], 0) {
			p.printf(" %s", strconv.Quote(f.InputNames[i]))
		}
		p.printf(": %s", v.Type)
	}
	p.b.WriteString(") -> (")
	for i, v := range f.Body.Results {
		if i > 0 {
			p.b.WriteString(", ")
		}
		name := ""
		if i < len(f.OutputNames) {
			name = f.OutputNames[i]
		}
		t := Type{}
		if v != nil {
			t = v.Type
		}
		p.printf("%s: %s", strconv.Quote(name), t)
	}
	p.b.WriteString(") {")
	p.endLine(fa)
	p.body(f.Body, 1)
	end := Anchor{Kind: AnchorEnd, Region: f.Body}
	p.commentsAbove(end, 1)
	p.b.WriteString("}")
	p.endLine(end)
}

// define names v and returns how it prints: %name, or %name#k for the
// k-th value after the first to carry that name in the function.
func (p *printer) define(v *Value) string {
	name := v.Name
	if name == "" {
		name = strconv.Itoa(p.next)
		p.next++
	}
	k := p.seen[name]
	p.seen[name] = k + 1
	ref := valueRef(name, k)
	p.names[v] = ref
	return ref
}

// valueRef spells a value name with its collision suffix: %x, %"/a/b",
// %x#1, %"/a/b"#2.
func valueRef(name string, suffix int) string {
	s := "%" + name
	if !isGlobalIdent(name) {
		s = "%" + strconv.Quote(name)
	}
	if suffix > 0 {
		s += "#" + strconv.Itoa(suffix)
	}
	return s
}

// ref returns how a use of v prints.
func (p *printer) ref(v *Value) string {
	switch {
	case v == nil:
		return "_"
	case v.Const != nil:
		return globalName(v.Const.Name)
	}
	if ref, ok := p.names[v]; ok {
		return ref
	}
	return "%undef"
}

// body prints a region's ops and its return at the given depth.
func (p *printer) body(r *Region, depth int) {
	for _, op := range r.Ops {
		p.op(op, depth)
	}
	ret := Anchor{Kind: AnchorReturn, Region: r}
	p.commentsAbove(ret, depth)
	p.indent(depth)
	p.b.WriteString("return")
	for i, v := range r.Results {
		if i > 0 {
			p.b.WriteByte(',')
		}
		p.b.WriteString(" " + p.ref(v))
	}
	p.endLine(ret)
}

func (p *printer) op(op *Op, depth int) {
	a := Anchor{Kind: AnchorOp, Op: op}
	p.commentsAbove(a, depth)
	p.indent(depth)
	for i, v := range op.Results {
		if i > 0 {
			p.b.WriteString(", ")
		}
		p.b.WriteString(p.define(v))
	}
	if len(op.Results) > 0 {
		p.b.WriteString(" = ")
	}
	p.b.WriteString(op.Name + "(")
	for i, a := range op.Args {
		if i > 0 {
			p.b.WriteString(", ")
		}
		p.b.WriteString(p.ref(a))
	}
	p.b.WriteByte(')')
	if len(op.Attrs) == 0 && len(op.Results) == 0 && len(op.Loc) == 0 && len(op.Regions) > 0 {
		// Keeps the region block from reading as an attribute block.
		p.b.WriteString(" {}")
	}
	if len(op.Attrs) > 0 {
		p.b.WriteString(" {")
		for i, a := range op.Attrs {
			if i > 0 {
				p.b.WriteString(", ")
			}
			p.printf("%s = %s", attrName(a.Name), formatAttr(a.Value))
		}
		p.b.WriteByte('}')
	}
	for i, v := range op.Results {
		if i == 0 {
			p.b.WriteString(" : ")
		} else {
			p.b.WriteString(", ")
		}
		p.b.WriteString(v.Type.String())
	}
	if len(op.Loc) > 0 {
		p.printf(" loc(%s)", op.Loc)
	}
	if len(op.Regions) == 0 {
		p.endLine(a)
		return
	}
	p.b.WriteString(" {")
	p.endLine(a)
	for _, r := range op.Regions {
		ra := Anchor{Kind: AnchorRegion, Region: r}
		p.commentsAbove(ra, depth+1)
		p.indent(depth + 1)
		p.b.WriteString(attrName(r.Name) + "(")
		for i, v := range r.Params {
			if i > 0 {
				p.b.WriteString(", ")
			}
			p.printf("%s: %s", p.define(v), v.Type)
		}
		p.b.WriteString(") {")
		p.endLine(ra)
		p.body(r, depth+2)
		end := Anchor{Kind: AnchorEnd, Region: r}
		p.commentsAbove(end, depth+2)
		p.indent(depth + 1)
		p.b.WriteString("}")
		p.endLine(end)
	}
	end := Anchor{Kind: AnchorOpEnd, Op: op}
	p.commentsAbove(end, depth+1)
	p.indent(depth)
	p.b.WriteString("}")
	p.endLine(end)
}

// attrName prints attribute and region names bare when they are
// identifiers (as all of ONNX's are), quoted otherwise.
func attrName(s string) string {
	if isIdent(s) && !strings.Contains(s, ".") {
		return s
	}
	return strconv.Quote(s)
}

// formatAttr returns an attribute value's text form.
func formatAttr(v AttrValue) string {
	switch v.Kind {
	case AttrInt:
		return strconv.FormatInt(v.Int, 10)
	case AttrFloat:
		return formatF32Bits(math.Float32bits(v.Float))
	case AttrString:
		return strconv.Quote(v.Str)
	case AttrInts:
		s := make([]string, len(v.Ints))
		for i, x := range v.Ints {
			s[i] = strconv.FormatInt(x, 10)
		}
		return "[" + strings.Join(s, ", ") + "]"
	case AttrFloats:
		s := make([]string, len(v.Floats))
		for i, x := range v.Floats {
			s[i] = formatF32Bits(math.Float32bits(x))
		}
		return "[" + strings.Join(s, ", ") + "]"
	case AttrStrings:
		s := make([]string, len(v.Strings))
		for i, x := range v.Strings {
			s[i] = strconv.Quote(x)
		}
		return "[" + strings.Join(s, ", ") + "]"
	case AttrTensor:
		if v.Tensor == nil || v.Tensor.Const == nil {
			return "@undef"
		}
		return globalName(v.Tensor.Const.Name)
	case AttrDType:
		return v.DType.String()
	case AttrType:
		return v.Type.String()
	}
	return "invalid"
}
