package ir

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// ParseOptions controls Parse.
type ParseOptions struct {
	// BaseDir is the folder relative file references are resolved against:
	// normally the folder of the .kir file. Empty means the working
	// directory.
	BaseDir string

	// verifyOnly leaves every op check to Verify (tests of Verify's own
	// messages use it).
	verifyOnly bool
}

// maxNesting bounds how deeply brackets, regions and types may nest, so that
// hostile input cannot exhaust the parser's stack.
const maxNesting = 200

// Parse reads a module in kiln's text form (docs/ir.md). filename is used
// in error messages, which read "file:line:col: what was expected". Result
// types are taken from the text, not re-inferred; the module is then
// checked with Verify. Constants given as file(...) alias the mapped file
// where the platform allows; Close the module to release it.
func Parse(filename string, src []byte, opts ParseOptions) (m *Module, err error) {
	if err := checkNesting(filename, src); err != nil {
		return nil, err
	}
	tree, err := parseTree(filename, src)
	if err != nil {
		return nil, err
	}
	c := &converter{filename: filename, src: src, opts: opts, m: NewModule(), files: map[string]*dataFile{}}
	defer func() {
		// Inference functions are other people's code running on arbitrary
		// types; a panic there must still come out as an error.
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: internal error while checking the module: %v", filename, r)
		}
		if err != nil {
			c.m.Close()
			m = nil
		}
	}()
	if err := c.module(tree); err != nil {
		return nil, err
	}
	c.m.Comments = attachComments(src, c.anchors)
	if err := Verify(c.m); err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	return c.m, nil
}

// parseTree runs the participle parser. participle panics on some grammar
// problems it detects only at parse time; those must come out as errors.
func parseTree(filename string, src []byte) (tree *astModule, err error) {
	defer func() {
		if r := recover(); r != nil {
			tree, err = nil, fmt.Errorf("%s: internal parser error: %v", filename, r)
		}
	}()
	tree, err = kirParser.ParseBytes(filename, src)
	if perr, ok := err.(participle.Error); ok {
		pos := perr.Position()
		err = fmt.Errorf("%s:%d:%d: %s", filename, pos.Line, pos.Column, simplifyExpected(perr.Message()))
	}
	return tree, err
}

// astNames turns grammar struct names in participle's messages into words.
var astNames = strings.NewReplacer(
	"AstAttr", "attribute", "AstWord", "type", "AstRegion", "region", "AstStmt", "statement",
	"AstParam", "parameter", "AstOut", "output", "AstRef", "operand", "AstDef", "value",
	"AstDim", "dim", "AstList", "list", "AstScalar", "value", "AstFile", "file(...)",
	"AstElem", "type", "AstShape", "shape", "AstMeta", "meta", "AstSym", "sym",
	"AstConst", "const", "AstFunc", "func", "AstItem", "meta, sym, const or func", "AstOp", "op",
	"AstReturn", "return values", "AstLoc", "location string")

// simplifyExpected shortens participle's "(expected ...)", which spells out
// the whole rest of the rule, to the first thing that could come next.
func simplifyExpected(msg string) string {
	i := strings.Index(msg, " (expected ")
	if i < 0 || !strings.HasSuffix(msg, ")") {
		return astNames.Replace(msg)
	}
	rest := msg[i+len(" (expected ") : len(msg)-1]
	end, depth, inStr := len(rest), 0, false
scan:
	for j := 0; j < len(rest); j++ {
		switch ch := rest[j]; {
		case inStr:
			if ch == '\\' {
				j++
			} else if ch == '"' {
				inStr = false
			}
		case ch == '"':
			inStr = true
		case ch == '(' || ch == '<':
			depth++
		case ch == ')' || ch == '>':
			depth--
		case ch == ' ' && depth == 0:
			end = j
			break scan
		}
	}
	return astNames.Replace(msg[:i] + " (expected " + rest[:end] + ")")
}

// checkNesting rejects input nested deeper than maxNesting before the
// recursive-descent parser sees it. Strings and comments are skipped.
func checkNesting(filename string, src []byte) error {
	depth, line, col := 0, 1, 0
	for i := 0; i < len(src); i++ {
		ch := src[i]
		col++
		switch ch {
		case '\n':
			line, col = line+1, 0
		case '"':
			for i++; i < len(src) && src[i] != '"' && src[i] != '\n'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '/':
			if i+1 < len(src) && src[i+1] == '/' {
				for i < len(src) && src[i] != '\n' {
					i++
				}
				i--
			}
		case '(', '[', '{', '<':
			depth++
			if depth > maxNesting {
				return fmt.Errorf("%s:%d:%d: nesting deeper than %d", filename, line, col, maxNesting)
			}
		case ')', ']', '}', '>':
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

type converter struct {
	filename string
	src      []byte     // the text, which literal lists are read from
	anchors  []anchorAt // the lines comments can belong to
	opts     ParseOptions
	m        *Module
	consts   map[string]*Value
	files    map[string]*dataFile
}

// errorf returns an error at a position of the text.
func (c *converter) errorf(pos lexer.Position, format string, args ...any) error {
	return fmt.Errorf("%s:%d:%d: %s", c.filename, pos.Line, pos.Column, fmt.Sprintf(format, args...))
}

func (c *converter) unquote(t lexer.Token) (string, error) {
	s, err := strconv.Unquote(t.Value)
	if err != nil {
		return "", c.errorf(t.Pos, "bad string literal %s", t.Value)
	}
	return s, nil
}

// refName returns the name in a @name, @"name" or %name token.
func (c *converter) refName(t lexer.Token) (string, error) {
	s := t.Value[1:]
	if strings.HasPrefix(s, `"`) {
		return c.unquote(lexer.Token{Value: s, Pos: t.Pos})
	}
	return s, nil
}

// nameTok returns the text of an Ident or String token.
func (c *converter) nameTok(t lexer.Token) (string, error) {
	if strings.HasPrefix(t.Value, `"`) {
		return c.unquote(t)
	}
	return t.Value, nil
}

func (c *converter) module(tree *astModule) error {
	c.consts = map[string]*Value{}
	for _, it := range tree.Items {
		var err error
		var a Anchor
		switch {
		case it.Meta != nil:
			err = c.meta(it.Meta)
			a = Anchor{Kind: AnchorMeta}
			if err == nil {
				a.Name = c.m.Meta[len(c.m.Meta)-1].Key
			}
		case it.Sym != nil:
			var name string
			name, err = c.nameTok(it.Sym.Name)
			if err == nil {
				err = c.sym(it.Sym)
			}
			a = Anchor{Kind: AnchorSym, Name: name}
		case it.Const != nil:
			err = c.constant(it.Const)
			a = Anchor{Kind: AnchorConst}
			if err == nil {
				a.Value = c.m.Consts[len(c.m.Consts)-1]
			}
		default:
			continue
		}
		if err != nil {
			return err
		}
		c.anchors = append(c.anchors, anchorAt{it.Pos, a})
	}
	funcs := map[string]bool{}
	for _, it := range tree.Items {
		if it.Func == nil {
			continue
		}
		name, err := c.refName(it.Func.Name)
		if err != nil {
			return err
		}
		if funcs[name] {
			return c.errorf(it.Func.Pos, "function @%s defined twice", name)
		}
		funcs[name] = true
		if err := c.function(name, it.Func); err != nil {
			return err
		}
		f := c.m.Funcs[len(c.m.Funcs)-1]
		c.anchors = append(c.anchors, anchorAt{it.Pos, Anchor{Kind: AnchorFunc, Func: f}},
			anchorAt{it.Func.Close.Pos, Anchor{Kind: AnchorEnd, Region: f.Body}})
	}
	return nil
}

func (c *converter) meta(a *astMeta) error {
	k, err := c.unquote(a.Key)
	if err != nil {
		return err
	}
	v, err := c.unquote(a.Value)
	if err != nil {
		return err
	}
	c.m.Meta = append(c.m.Meta, MetaEntry{k, v})
	return nil
}

func (c *converter) sym(a *astSym) error {
	name, err := c.nameTok(a.Name)
	if err != nil {
		return err
	}
	if name == "" {
		return c.errorf(a.Name.Pos, "empty symbol name")
	}
	min, err := strconv.ParseInt(a.Min.Value, 10, 64)
	if err != nil {
		return c.errorf(a.Min.Pos, "bound %s out of range", a.Min.Value)
	}
	max := int64(-1)
	if a.Max.Value != "?" {
		if max, err = strconv.ParseInt(a.Max.Value, 10, 64); err != nil {
			return c.errorf(a.Max.Pos, "bound %s out of range", a.Max.Value)
		}
		if max < min {
			return c.errorf(a.Max.Pos, "max %d below min %d", max, min)
		}
	}
	c.m.Syms = append(c.m.Syms, SymBound{Name: name, Min: min, Max: max})
	return nil
}

// typ converts a type written in the text.
func (c *converter) typ(w *astWord) (Type, error) {
	switch {
	case w.Elem != nil && (w.Name == "seq" || w.Name == "opt"):
		var elem *Type
		if !w.Elem.Unknown {
			e, err := c.typ(w.Elem.Type)
			if err != nil {
				return Type{}, err
			}
			elem = &e
		}
		kind := SequenceKind
		if w.Name == "opt" {
			kind = OptionalKind
		}
		return Type{Kind: kind, Elem: elem}, nil
	case w.Shape != nil:
		d, ok := ParseDType(w.Name)
		if !ok {
			return Type{}, c.errorf(w.Pos, "unknown element type %q", w.Name)
		}
		s, err := c.shape(w.Shape)
		if err != nil {
			return Type{}, err
		}
		return TensorType(d, s), nil
	}
	return Type{}, c.errorf(w.Pos, "expected a type (f32[1,3], seq<...>, opt<...>), got %q", w.Name)
}

func (c *converter) shape(a *astShape) (Shape, error) {
	if a.Unknown {
		if len(a.Dims) > 0 {
			return Shape{}, c.errorf(a.Pos, "a shape is either [*] or a list of dims")
		}
		return UnrankedShape(), nil
	}
	s := Shape{Ranked: true, Dims: make([]Dim, 0, len(a.Dims))}
	for _, ad := range a.Dims {
		toks := make([]dimToken, len(ad.Toks))
		for i, t := range ad.Toks {
			switch b := t[0]; {
			case isDigit(b):
				toks[i] = dimToken{kind: 'n', text: t}
			case b == '"':
				name, err := strconv.Unquote(t)
				if err != nil {
					return Shape{}, c.errorf(ad.Pos, "bad string literal %s", t)
				}
				toks[i] = dimToken{kind: 's', text: name}
			case b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z':
				toks[i] = dimToken{kind: 's', text: t}
			default:
				toks[i] = dimToken{kind: b}
			}
		}
		d, err := parseDimTokens(toks)
		if err != nil {
			return Shape{}, c.errorf(ad.Pos, "%v", err)
		}
		s.Dims = append(s.Dims, d)
	}
	return s, nil
}

func (c *converter) constant(a *astConst) error {
	name, err := c.refName(a.Name)
	if err != nil {
		return err
	}
	if c.consts[name] != nil {
		return c.errorf(a.Pos, "constant @%s defined twice", name)
	}
	t, err := c.typ(a.Type)
	if err != nil {
		return err
	}
	if !t.IsTensor() {
		return c.errorf(a.Type.Pos, "constant type %v is not a tensor type", t)
	}
	n, ok := numElements(t.Shape)
	if !ok {
		return c.errorf(a.Type.Pos, "constant shape %v is not static or too large", t.Shape)
	}
	k := &Constant{}
	switch {
	case a.File != nil:
		if t.DType == String {
			return c.errorf(a.File.Pos, "string constants cannot live in a data file")
		}
		size, err := t.ByteSize()
		if err != nil {
			return c.errorf(a.File.Pos, "constant type %v: %v", t, err)
		}
		if err := c.fileData(a.File, k, size); err != nil {
			return err
		}
	case a.List != nil && t.DType.IsBlock():
		// A block type's payload is spelled as its raw block bytes.
		size, err := t.ByteSize()
		if err != nil {
			return c.errorf(a.List.Pos, "constant type %v: %v", t, err)
		}
		if err := c.listData(a.List, t, size, k); err != nil {
			return err
		}
	case a.List != nil:
		if err := c.listData(a.List, t, n, k); err != nil {
			return err
		}
	case t.DType.IsBlock():
		return c.errorf(a.Scalar.Pos, "a %v constant is a list of its block bytes or a file(...) reference", t.DType)
	default:
		e, err := c.literal(a.Scalar.Tokens, a.Scalar.Pos)
		if err != nil {
			return err
		}
		if n != 1 {
			return c.errorf(a.Scalar.Pos, "1 value for %v (%d elements)", t, n)
		}
		if err := c.constData(t.DType, []*literal{e}, k); err != nil {
			return err
		}
	}
	v := c.m.AddConst(name, t, k)
	c.consts[name] = v
	return nil
}

// numElements is Shape.NumElements with an overflow check: sizes in the
// text are arbitrary.
func numElements(s Shape) (int64, bool) {
	if !s.IsStatic() {
		return 0, false
	}
	n := int64(1)
	for _, d := range s.Dims {
		if d.Size != 0 && n > (1<<47)/d.Size {
			return 0, false
		}
		n *= d.Size
	}
	return n, true
}

// valueKey is how a value is spelled in the text: its name and its
// collision suffix (%x#1 is {"x", "1"}; %x is {"x", ""}).
type valueKey struct{ name, suffix string }

// scope maps value spellings to values; a region sees the scopes around it.
type scope struct {
	names  map[valueKey]*Value
	parent *scope
}

func newScope(parent *scope) *scope { return &scope{names: map[valueKey]*Value{}, parent: parent} }

func (s *scope) lookup(k valueKey) *Value {
	for ; s != nil; s = s.parent {
		if v, ok := s.names[k]; ok {
			return v
		}
	}
	return nil
}

// valueName splits a %name, %"name", %name#k or %"name"#k token.
func (c *converter) valueName(t lexer.Token) (valueKey, error) {
	s := t.Value[1:]
	var k valueKey
	if i := strings.LastIndexByte(s, '#'); i >= 0 && !strings.HasSuffix(s, `"`) {
		s, k.suffix = s[:i], s[i+1:]
	}
	if strings.HasPrefix(s, `"`) {
		name, err := c.unquote(lexer.Token{Value: s, Pos: t.Pos})
		if err != nil {
			return k, err
		}
		s = name
	}
	if s == "" {
		return k, c.errorf(t.Pos, "empty value name")
	}
	k.name = s
	return k, nil
}

// define binds the value token t to v and gives v the name it spells (the
// suffix is the printer's, recomputed when printing).
func (c *converter) define(s *scope, t lexer.Token, v *Value) error {
	k, err := c.valueName(t)
	if err != nil {
		return err
	}
	if s.lookup(k) != nil {
		return c.errorf(t.Pos, "value %s already defined", t.Value)
	}
	s.names[k] = v
	v.Name = k.name
	return nil
}

// use resolves an operand: %value, @constant or _ (absent).
func (c *converter) use(s *scope, t lexer.Token) (*Value, error) {
	switch t.Value[0] {
	case '_':
		return nil, nil
	case '@':
		name, err := c.refName(t)
		if err != nil {
			return nil, err
		}
		v := c.consts[name]
		if v == nil {
			return nil, c.errorf(t.Pos, "undefined constant @%s", name)
		}
		return v, nil
	}
	k, err := c.valueName(t)
	if err != nil {
		return nil, err
	}
	v := s.lookup(k)
	if v == nil {
		return nil, c.errorf(t.Pos, "undefined value %s", t.Value)
	}
	return v, nil
}

func (c *converter) function(name string, a *astFunc) error {
	f := c.m.NewFunc(name)
	s := newScope(nil)
	for _, p := range a.Params {
		// Without an external name, the input is called by its value name.
		k, err := c.valueName(p.Name)
		if err != nil {
			return err
		}
		ext := k.name
		if p.Ext != nil {
			if ext, err = c.unquote(*p.Ext); err != nil {
				return err
			}
		}
		t, err := c.typ(p.Type)
		if err != nil {
			return err
		}
		if err := c.define(s, p.Name, f.AddInput(ext, t)); err != nil {
			return err
		}
	}
	ret, err := c.body(f.Body, s, a.Body, a.Pos)
	if err != nil {
		return err
	}
	// Fresh names given while the ops were created were replaced by the
	// text's; count on from the text's numbers.
	f.Body.named, f.Body.nextName = false, 0
	f.Body.SyncNames()
	if len(ret.Vals) != len(a.Outs) {
		return c.errorf(ret.Pos, "return gives %d values, @%s declares %d outputs", len(ret.Vals), name, len(a.Outs))
	}
	for i, o := range a.Outs {
		ext, err := c.unquote(o.Ext)
		if err != nil {
			return err
		}
		t, err := c.typ(o.Type)
		if err != nil {
			return err
		}
		v := f.Body.Results[i]
		if v == nil {
			return c.errorf(ret.Pos, "function output %d is absent", i)
		}
		if !v.Type.Equal(t) {
			return c.errorf(o.Pos, "output %q declared %v, but the returned value is %v", ext, t, v.Type)
		}
		f.OutputNames = append(f.OutputNames, ext)
	}
	return nil
}

// body fills r from statements: ops, then exactly one return at the end.
func (c *converter) body(r *Region, s *scope, stmts []*astStmt, pos lexer.Position) (*astReturn, error) {
	if len(stmts) == 0 || stmts[len(stmts)-1].Return == nil {
		return nil, c.errorf(pos, "region must end with a return")
	}
	for _, st := range stmts[:len(stmts)-1] {
		if st.Return != nil {
			return nil, c.errorf(st.Return.Pos, "return must be the last statement of a region")
		}
		if err := c.op(r, s, st.Op); err != nil {
			return nil, err
		}
		op := r.Ops[len(r.Ops)-1]
		c.anchors = append(c.anchors, anchorAt{st.Pos, Anchor{Kind: AnchorOp, Op: op}})
		if st.Op.Block != nil {
			c.anchors = append(c.anchors, anchorAt{st.Op.Block.Close.Pos, Anchor{Kind: AnchorOpEnd, Op: op}})
		}
	}
	c.anchors = append(c.anchors, anchorAt{stmts[len(stmts)-1].Pos, Anchor{Kind: AnchorReturn, Region: r}})
	ret := stmts[len(stmts)-1].Return
	for _, t := range ret.Vals {
		v, err := c.use(s, t.Tok)
		if err != nil {
			return nil, err
		}
		r.Results = append(r.Results, v)
	}
	return ret, nil
}

func (c *converter) op(r *Region, s *scope, a *astOp) error {
	if len(a.Types) != len(a.Results) {
		return c.errorf(a.Pos, "%d results but %d result types", len(a.Results), len(a.Types))
	}
	args := make([]*Value, len(a.Args))
	for i, t := range a.Args {
		v, err := c.use(s, t.Tok)
		if err != nil {
			return err
		}
		args[i] = v
	}
	attrs := make([]Attr, 0, len(a.Attrs))
	seen := map[string]bool{}
	for _, aa := range a.Attrs {
		at, err := c.attr(a.Name.Value, aa)
		if err != nil {
			return err
		}
		if seen[at.Name] {
			return c.errorf(aa.Pos, "attribute %q given twice", at.Name)
		}
		seen[at.Name] = true
		attrs = append(attrs, at)
	}
	types := make([]Type, len(a.Types))
	for i, w := range a.Types {
		t, err := c.typ(w)
		if err != nil {
			return err
		}
		types[i] = t
	}
	op := r.NewOp(a.Name.Value, args, attrs, types)
	for _, l := range a.Locs {
		loc, err := c.unquote(l.Tok)
		if err != nil {
			return err
		}
		op.Loc = append(op.Loc, Loc(loc))
	}
	// Results are named before the regions are read: printed numbering
	// puts an op's results before the values inside its regions.
	for i, t := range a.Results {
		if err := c.define(s, t.Tok, op.Results[i]); err != nil {
			return err
		}
	}
	var regions []*astRegion
	if a.Block != nil {
		regions = a.Block.Regions
	}
	for _, ar := range regions {
		name, err := c.nameTok(ar.Name)
		if err != nil {
			return err
		}
		reg := op.AddRegion(name)
		inner := newScope(s)
		for _, p := range ar.Params {
			if p.Ext != nil {
				return c.errorf(p.Ext.Pos, "region params have no external names")
			}
			t, err := c.typ(p.Type)
			if err != nil {
				return err
			}
			if err := c.define(inner, p.Name, reg.AddParam(t)); err != nil {
				return err
			}
		}
		if _, err := c.body(reg, inner, ar.Body, ar.Pos); err != nil {
			return err
		}
		c.anchors = append(c.anchors, anchorAt{ar.Pos, Anchor{Kind: AnchorRegion, Region: reg}},
			anchorAt{ar.Close.Pos, Anchor{Kind: AnchorEnd, Region: reg}})
	}
	if c.opts.verifyOnly {
		return nil
	}
	return c.checkOp(op, a)
}

// checkOp reports, at the op's position, the problems of hand-edited text
// that Verify would report without one: unknown ops and attributes, broken
// contracts (ContractProblems), and result types that contradict inference. Everything else is left to
// Verify, which runs on the whole module afterwards.
func (c *converter) checkOp(op *Op, a *astOp) (err error) {
	d := Lookup(op.Name)
	if d == nil {
		return c.errorf(a.Name.Pos, "unknown op %q%s", op.Name, opHint(op.Name))
	}
	for _, at := range a.Attrs {
		name, _ := c.nameTok(at.Name)
		if d.Attr(name) == nil {
			return c.errorf(at.Pos, "%s has no attribute %q%s", op.Name, name, d.attrHint(name))
		}
	}
	lo, hi := Arity(d.Inputs)
	if len(op.Args) < lo || (hi >= 0 && len(op.Args) > hi) || len(op.Regions) != len(d.Regions) {
		return nil
	}
	defer func() {
		if recover() != nil {
			err = nil // malformed in a way Verify will name
		}
	}()
	if ps := ContractProblems(op); len(ps) > 0 {
		return c.errorf(a.Pos, "%s: %s", op.Name, ps[0])
	}
	types, ierr := d.Infer(op)
	if ierr != nil {
		return c.errorf(a.Pos, "%s: %v", op.Name, ierr)
	}
	for i, res := range op.Results {
		if i < len(types) {
			if _, merr := MergeTypes(types[i], res.Type); merr != nil {
				return c.errorf(a.Types[i].Pos, "%s result %d: declared %v, inferred %v", op.Name, i, res.Type, types[i])
			}
		}
	}
	return nil
}

// attr converts an attribute. Its kind comes from the op table when the op
// declares it (so that [] and 1 read as what the op expects), and from its
// spelling otherwise.
func (c *converter) attr(opName string, a *astAttr) (Attr, error) {
	name, err := c.nameTok(a.Name)
	if err != nil {
		return Attr{}, err
	}
	kind := AttrInvalid
	if d := Lookup(opName); d != nil {
		if ad := d.Attr(name); ad != nil {
			kind = ad.Kind
		}
	}
	bad := func(got string) (Attr, error) {
		return Attr{}, c.errorf(a.Pos, "attribute %q of %s is %v, got %s", name, opName, kind, got)
	}
	switch {
	case a.Const != nil:
		if kind != AttrInvalid && kind != AttrTensor {
			return bad("a constant")
		}
		v, err := c.use(nil, *a.Const)
		if err != nil {
			return Attr{}, err
		}
		return Attr{name, TensorAttr(v)}, nil
	case a.List != nil:
		var elems []*literal
		err := c.eachLiteral(a.List, func(e *literal) error {
			elems = append(elems, e)
			return nil
		})
		if err != nil {
			return Attr{}, err
		}
		if kind == AttrInvalid {
			kind = AttrInts
			for _, e := range elems {
				if e.kind == litString {
					kind = AttrStrings
					break
				}
				if e.isFloat() {
					kind = AttrFloats
				}
			}
		}
		switch kind {
		case AttrInts:
			out := make([]int64, len(elems))
			for i, e := range elems {
				if out[i], err = c.litInt(e); err != nil {
					return Attr{}, err
				}
			}
			return Attr{name, IntsAttr(out)}, nil
		case AttrFloats:
			out := make([]float32, len(elems))
			for i, e := range elems {
				b, err := c.litFloat(e, F32)
				if err != nil {
					return Attr{}, err
				}
				out[i] = f32frombits(b)
			}
			return Attr{name, FloatsAttr(out)}, nil
		case AttrStrings:
			out := make([]string, len(elems))
			for i, e := range elems {
				if e.kind != litString {
					return Attr{}, c.errorf(e.pos, "expected a string")
				}
				out[i] = e.text
			}
			return Attr{name, StringsAttr(out)}, nil
		}
		return bad("a list")
	case a.Word != nil:
		w := a.Word
		if w.Elem != nil || w.Shape != nil {
			if kind != AttrInvalid && kind != AttrType {
				return bad("a type")
			}
			t, err := c.typ(w)
			if err != nil {
				return Attr{}, err
			}
			return Attr{name, TypeAttr(t)}, nil
		}
		if d, ok := ParseDType(w.Name); ok && w.NaNBits.Value == "" {
			if kind != AttrInvalid && kind != AttrDType {
				return bad("an element type")
			}
			return Attr{name, DTypeAttr(d)}, nil
		}
		e := &literal{pos: w.Pos, kind: litWord, text: w.Name}
		if w.NaNBits.Value != "" {
			e.kind, e.text = litNaNBits, w.NaNBits.Value
		}
		if kind != AttrInvalid && kind != AttrFloat {
			return bad(w.Name)
		}
		b, err := c.litFloat(e, F32)
		if err != nil {
			return Attr{}, err
		}
		return Attr{name, FloatAttr(f32frombits(b))}, nil
	}
	e, err := c.literal(a.Lit.Tokens, a.Lit.Pos)
	if err != nil {
		return Attr{}, err
	}
	if kind == AttrInvalid {
		switch {
		case e.kind == litString:
			kind = AttrString
		case e.isFloat():
			kind = AttrFloat
		default:
			kind = AttrInt
		}
	}
	switch kind {
	case AttrInt:
		v, err := c.litInt(e)
		if err != nil {
			return Attr{}, err
		}
		return Attr{name, IntAttr(v)}, nil
	case AttrFloat:
		b, err := c.litFloat(e, F32)
		if err != nil {
			return Attr{}, err
		}
		return Attr{name, FloatAttr(f32frombits(b))}, nil
	case AttrString:
		if e.kind != litString {
			return bad("a number")
		}
		return Attr{name, StringAttr(e.text)}, nil
	}
	return bad("a single value")
}

func isTok(t lexer.Token, typ string) bool { return t.Type == kirSymbols[typ] }

// eachLiteral reads the literals of list l from the source, in order, and
// calls fn with each. It lexes one literal at a time, so a constant's
// values never exist as tokens all at once.
func (c *converter) eachLiteral(l *astList, fn func(*literal) error) error {
	lx := &kirLexer{src: c.src, pos: l.Tok.Pos}
	lx.advance(1) // "["
	var toks []lexer.Token
	depth, n := 0, 0
	for {
		t, err := lx.Next()
		if err != nil {
			if le, ok := err.(*lexer.Error); ok {
				return c.errorf(le.Pos, "%s", le.Msg)
			}
			return err
		}
		if t.EOF() {
			// The lexer found the closing "]"; this cannot happen.
			return c.errorf(l.Tok.Pos, "unterminated list")
		}
		punct := isTok(t, "Punct")
		switch {
		case punct && t.Value == "]":
			if n == 0 && len(toks) == 0 {
				return nil // []
			}
			e, err := c.literal(toks, l.Tok.Pos)
			if err != nil {
				return err
			}
			return fn(e)
		case punct && t.Value == "(":
			depth++
		case punct && t.Value == ")":
			depth--
		case punct && t.Value == "," && depth == 0:
			e, err := c.literal(toks, t.Pos)
			if err != nil {
				return err
			}
			if err := fn(e); err != nil {
				return err
			}
			toks, n = toks[:0], n+1
			continue
		}
		toks = append(toks, t)
	}
}

// splitList splits a list's tokens at top-level commas into literals.
func (c *converter) splitList(toks []lexer.Token, pos lexer.Position) ([]*literal, error) {
	if len(toks) == 0 {
		return nil, nil
	}
	var out []*literal
	start, depth := 0, 0
	for i, t := range toks {
		switch {
		case isTok(t, "Punct") && t.Value == "(":
			depth++
		case isTok(t, "Punct") && t.Value == ")":
			depth--
		case isTok(t, "Punct") && t.Value == "," && depth == 0:
			e, err := c.literal(toks[start:i], t.Pos)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
			start = i + 1
		}
	}
	e, err := c.literal(toks[start:], pos)
	if err != nil {
		return nil, err
	}
	return append(out, e), nil
}

type litKind uint8

const (
	litInt     litKind = iota // 3, -3
	litFloat                  // 1.5, -1e-05
	litString                 // "a"
	litWord                   // inf, -inf, nan, true, false
	litNaNBits                // nan(0x7fc00001)
	litPair                   // (re, im)
)

// literal is one value of a list or a scalar, before its dtype is applied.
type literal struct {
	pos  lexer.Position
	kind litKind
	neg  bool
	text string // digits, unquoted string, word or hex bits
	pair [2]*literal
}

func (e *literal) isFloat() bool {
	return e.kind == litFloat || e.kind == litNaNBits || e.kind == litWord && (e.text == "inf" || e.text == "nan")
}

// literal parses the tokens of one literal.
func (c *converter) literal(toks []lexer.Token, pos lexer.Position) (*literal, error) {
	if len(toks) == 0 {
		return nil, c.errorf(pos, "expected a value")
	}
	e := &literal{pos: toks[0].Pos}
	if isTok(toks[0], "Punct") && toks[0].Value == "(" {
		last := toks[len(toks)-1]
		if len(toks) < 2 || !(isTok(last, "Punct") && last.Value == ")") {
			return nil, c.errorf(toks[0].Pos, "expected (re, im)")
		}
		parts, err := c.splitList(toks[1:len(toks)-1], toks[0].Pos)
		if err != nil {
			return nil, err
		}
		if len(parts) != 2 || parts[0].kind == litPair || parts[1].kind == litPair {
			return nil, c.errorf(toks[0].Pos, "expected (re, im)")
		}
		e.kind, e.pair = litPair, [2]*literal{parts[0], parts[1]}
		return e, nil
	}
	if isTok(toks[0], "Punct") && toks[0].Value == "-" {
		e.neg = true
		toks = toks[1:]
		if len(toks) == 0 {
			return nil, c.errorf(pos, "expected a number after -")
		}
	}
	t := toks[0]
	switch {
	case len(toks) == 1 && isTok(t, "Int"):
		e.kind, e.text = litInt, t.Value
	case len(toks) == 1 && isTok(t, "Float"):
		e.kind, e.text = litFloat, t.Value
	case len(toks) == 1 && isTok(t, "String") && !e.neg:
		s, err := c.unquote(t)
		if err != nil {
			return nil, err
		}
		e.kind, e.text = litString, s
	case len(toks) == 1 && isTok(t, "Ident"):
		e.kind, e.text = litWord, t.Value
	case len(toks) == 4 && t.Value == "nan" && toks[1].Value == "(" && isTok(toks[2], "Hex") && toks[3].Value == ")" && !e.neg:
		e.kind, e.text = litNaNBits, toks[2].Value
	default:
		return nil, c.errorf(t.Pos, "unexpected %q: expected a number, string, inf, nan, nan(0x...), true or false", t.Value)
	}
	return e, nil
}

func (c *converter) litInt(e *literal) (int64, error) {
	if e.kind != litInt {
		return 0, c.errorf(e.pos, "expected an integer")
	}
	s := e.text
	if e.neg {
		s = "-" + s
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, c.errorf(e.pos, "integer %s out of range", s)
	}
	return v, nil
}

// litFloat returns the bits of e as a float of type d (f16, bf16, f32 or
// f64). Numbers are rounded to float32 (float64 for f64) and then to d;
// printed values are exact in float32, so that rounding is exact for them.
// nan(0x...) gives its bits exactly.
func (c *converter) litFloat(e *literal, d DType) (uint64, error) {
	switch e.kind {
	case litNaNBits:
		bits, err := strconv.ParseUint(e.text[2:], 16, 64)
		if err != nil || !isNaNBits(bits, d) {
			return 0, c.errorf(e.pos, "nan(%s) is not the bit pattern of a NaN of this type", e.text)
		}
		return bits, nil
	case litWord:
		switch {
		case e.text == "inf":
			return floatBits(math.Inf(sign(e.neg)), d), nil
		case e.text == "nan" && !e.neg:
			return canonNaN(d), nil
		}
		return 0, c.errorf(e.pos, "expected a number, got %q", e.text)
	case litInt, litFloat:
		s := e.text
		if e.neg {
			s = "-" + s
		}
		bitSize := 32
		if d == F64 {
			bitSize = 64
		}
		f, err := strconv.ParseFloat(s, bitSize)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return 0, c.errorf(e.pos, "bad number %s", s)
		}
		// A finite literal too large for its type (1e999 for f32, 70000
		// for f16) is refused rather than stored as an infinity the text
		// never wrote: infinities are spelled inf. One too small to
		// represent rounds to zero or a subnormal, as the conversion does.
		bits := floatBits(f, d)
		if isInfBits(bits, d) {
			return 0, c.errorf(e.pos, "%s out of range for %v", s, d)
		}
		return bits, nil
	}
	return 0, c.errorf(e.pos, "expected a number")
}
