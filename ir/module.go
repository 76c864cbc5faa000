package ir

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Module is a compilation unit: constants shared by every function, the
// functions themselves, and the bounds known for symbolic dimensions.
type Module struct {
	Consts []*Value // module-level constants, each with Const set
	Funcs  []*Func
	Syms   []SymBound  // bounds of symbolic dims, sorted by name
	Meta   []MetaEntry // free-form provenance (producer, opsets), in order
	// Comments are the // comments Parse read with the module, which Print
	// writes back; nil for a module with none (comments.go).
	Comments *Comments

	closers []func() error // mapped files to release on Close
}

// SymBound records what is known about a symbolic dimension's range.
// Max < 0 means unbounded.
type SymBound struct {
	Name     string
	Min, Max int64
}

// MetaEntry is one key/value pair of module metadata.
type MetaEntry struct{ Key, Value string }

// Func is a function: its body is a region whose params are the inputs and
// whose results are the outputs. Inputs and outputs carry external names
// (the names callers bind tensors by).
type Func struct {
	Name        string
	Body        *Region
	InputNames  []string
	OutputNames []string
}

// Region is a single-block region: params, ops in order, and the values it
// returns. Functions have one; control-flow ops (If, Loop, Scan) own theirs.
type Region struct {
	Name    string // the attribute name it came from: then_branch, body, ...
	Params  []*Value
	Ops     []*Op
	Results []*Value
	Parent  *Op // nil for a function body

	// nextName is the next fresh value number of a function body (see
	// Region.FreshName); named says whether it has been set.
	nextName int
	named    bool
}

// Op is one operation. Args may hold nil for an absent optional operand.
type Op struct {
	Name    string
	Args    []*Value
	Results []*Value
	Attrs   []Attr // sorted by name
	Regions []*Region
	Loc     Locs // every source location the op stands for, in order
	Parent  *Region
}

// Loc is a source location: where in the source model an op (and so its
// results) came from, e.g. an ONNX node name or a GGUF tensor name.
type Loc string

// Locs lists the source locations of one op. An imported op has one; an op
// a pass fuses from several carries every location it replaces, so that
// errors and dumps still point back to all of them.
type Locs []Loc

// String returns the locations Go-quoted and comma-separated, as error
// messages show them: "conv_3" or "conv_3", "bn_3".
func (l Locs) String() string {
	s := make([]string, len(l))
	for i, x := range l {
		s[i] = strconv.Quote(string(x))
	}
	return strings.Join(s, ", ")
}

// MergeLocs returns the locations of ops in order, each once: the location
// list of an op that replaces them.
func MergeLocs(ops ...*Op) Locs {
	var out Locs
	seen := map[Loc]bool{}
	for _, op := range ops {
		for _, l := range op.Loc {
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	return out
}

// Value is an SSA value: an op result, a region param, or a module constant.
type Value struct {
	Type Type
	// Name is how the value prints (%name): the source's name for it (an
	// ONNX value name) or a number the function's body gave it once when
	// it was created (Region.FreshName). It stays when other ops are added
	// or removed, so a change to one op changes only the lines it touches
	// in a dump. Module constants are named by Const.Name instead.
	Name string

	Def   *Op     // defining op for results
	Index int     // result index in Def, or param index in Region
	Param *Region // owning region for params

	Const *Constant // set for module constants
}

// Constant is the payload of a module constant: a tensor whose bytes are
// little-endian and C-ordered (see codec.go). Bytes may alias a mapped
// file; they are never modified in place (assign a new slice instead, so
// that the cached SHA256 follows). A Constant is used through its pointer
// and must not be copied.
type Constant struct {
	Name    string
	Bytes   []byte   // raw data for every dtype but string
	Strings []string // data for string tensors
	Source  *Source  // where Bytes lie in a file, when they do

	hash constHash // SHA256 of Bytes, computed once (consthash.go)
}

// Source locates a constant's bytes in a file.
type Source struct {
	Path   string // as the module refers to it (may be relative)
	Offset int64
	Length int64
}

// Attr is one named attribute of an op.
type Attr struct {
	Name  string
	Value AttrValue
}

// AttrKind tags the kind of an attribute's value.
type AttrKind uint8

// Attribute kinds.
const (
	AttrInvalid AttrKind = iota
	AttrInt
	AttrFloat
	AttrString
	AttrInts
	AttrFloats
	AttrStrings
	AttrTensor // a module constant
	AttrDType
	AttrType // a full value type (sequence or optional element type)
)

var attrKindNames = [...]string{"invalid", "int", "float", "string", "ints", "floats", "strings", "tensor", "dtype", "type"}

func (k AttrKind) String() string {
	if int(k) < len(attrKindNames) {
		return attrKindNames[k]
	}
	return fmt.Sprintf("attrkind(%d)", k)
}

// AttrValue is an attribute value. Exactly the field matching Kind is set.
type AttrValue struct {
	Kind    AttrKind
	Int     int64
	Float   float32
	Str     string
	Ints    []int64
	Floats  []float32
	Strings []string
	Tensor  *Value // module constant
	DType   DType
	Type    Type
}

// IntAttr, FloatAttr, ... build attribute values.
func IntAttr(v int64) AttrValue        { return AttrValue{Kind: AttrInt, Int: v} }
func FloatAttr(v float32) AttrValue    { return AttrValue{Kind: AttrFloat, Float: v} }
func StringAttr(v string) AttrValue    { return AttrValue{Kind: AttrString, Str: v} }
func IntsAttr(v []int64) AttrValue     { return AttrValue{Kind: AttrInts, Ints: v} }
func FloatsAttr(v []float32) AttrValue { return AttrValue{Kind: AttrFloats, Floats: v} }
func StringsAttr(v []string) AttrValue { return AttrValue{Kind: AttrStrings, Strings: v} }
func TensorAttr(c *Value) AttrValue    { return AttrValue{Kind: AttrTensor, Tensor: c} }
func DTypeAttr(d DType) AttrValue      { return AttrValue{Kind: AttrDType, DType: d} }
func TypeAttr(t Type) AttrValue        { return AttrValue{Kind: AttrType, Type: t} }

// NewModule returns an empty module.
func NewModule() *Module { return &Module{} }

// AddCloser registers f to run when the module is closed (e.g. to unmap a
// file whose bytes constants alias).
func (m *Module) AddCloser(f func() error) { m.closers = append(m.closers, f) }

// Close releases resources the module's constants reference. The module's
// constants must not be read afterwards.
func (m *Module) Close() error {
	var first error
	for i := len(m.closers) - 1; i >= 0; i-- {
		if err := m.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	m.closers = nil
	return first
}

// Func returns the function named name, or nil.
func (m *Module) Func(name string) *Func {
	for _, f := range m.Funcs {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Const returns the module constant named name, or nil.
func (m *Module) Const(name string) *Value {
	for _, c := range m.Consts {
		if c.Const.Name == name {
			return c
		}
	}
	return nil
}

// AddConst adds a constant tensor of type t to the module and returns its
// value. The name must be unique within the module.
func (m *Module) AddConst(name string, t Type, c *Constant) *Value {
	c.Name = name
	v := &Value{Type: t, Const: c}
	m.Consts = append(m.Consts, v)
	return v
}

// SetMeta sets a metadata entry, replacing an existing one of the same key.
func (m *Module) SetMeta(key, value string) {
	for i := range m.Meta {
		if m.Meta[i].Key == key {
			m.Meta[i].Value = value
			return
		}
	}
	m.Meta = append(m.Meta, MetaEntry{key, value})
}

// NewFunc adds an empty function with the given name to the module.
func (m *Module) NewFunc(name string) *Func {
	f := &Func{Name: name, Body: &Region{}}
	m.Funcs = append(m.Funcs, f)
	return f
}

// AddInput appends a function input with external name and type. The
// input's value is named after it.
func (f *Func) AddInput(name string, t Type) *Value {
	f.InputNames = append(f.InputNames, name)
	if name == "" {
		return f.Body.AddParam(t)
	}
	return f.Body.addParam(t, name)
}

// AddOutput appends v as a function output with the given external name.
func (f *Func) AddOutput(name string, v *Value) {
	f.OutputNames = append(f.OutputNames, name)
	f.Body.Results = append(f.Body.Results, v)
}

// AddParam appends a param of type t to r, with a fresh name.
func (r *Region) AddParam(t Type) *Value { return r.addParam(t, r.FreshName()) }

func (r *Region) addParam(t Type, name string) *Value {
	v := &Value{Type: t, Param: r, Index: len(r.Params), Name: name}
	r.Params = append(r.Params, v)
	return v
}

// NewOp creates an op with the given results types and appends it to r.
// Attributes are sorted by name; results get fresh names. It does not run
// inference; see Builder.
func (r *Region) NewOp(name string, args []*Value, attrs []Attr, resultTypes []Type) *Op {
	op := newOp(r, name, args, attrs, resultTypes)
	r.Ops = append(r.Ops, op)
	return op
}

// newOp creates an op whose parent is r without placing it in r.Ops.
func newOp(r *Region, name string, args []*Value, attrs []Attr, resultTypes []Type) *Op {
	op := &Op{Name: name, Args: args, Parent: r}
	op.SetAttrs(attrs)
	for i, t := range resultTypes {
		op.Results = append(op.Results, &Value{Type: t, Def: op, Index: i, Name: r.FreshName()})
	}
	return op
}

// Root returns the outermost region around r: the function body when r is
// attached to one.
func (r *Region) Root() *Region {
	for r.Parent != nil && r.Parent.Parent != nil {
		r = r.Parent.Parent
	}
	return r
}

// FreshName returns a value name for a new value in r's function: a number
// the function body has not given out before and that no value of the
// function carries as its name when the body first counts. Numbers are
// never reused, so a value keeps its name whatever happens around it. A
// region not (yet) attached to a function counts on its own; numbers that
// then collide print with #k suffixes (see Print).
func (r *Region) FreshName() string {
	root := r.Root()
	if !root.named {
		root.SyncNames()
	}
	n := root.nextName
	root.nextName++
	return strconv.Itoa(n)
}

// SyncNames sets the fresh-name counter of r's function body past every
// numeric name a value of the function carries. The parser and Clone call
// it; code that sets Value.Name to numbers by hand should too.
func (r *Region) SyncNames() {
	root := r.Root()
	next := 0
	walkValues(root, func(v *Value) {
		if n, err := strconv.Atoi(v.Name); err == nil && n >= next && n < 1<<40 && strconv.Itoa(n) == v.Name {
			next = n + 1
		}
	})
	root.nextName, root.named = max(next, root.nextName), true
}

// walkValues calls f on every value r and its nested regions define: params,
// then each op's results and the values of its regions, in order.
func walkValues(r *Region, f func(*Value)) {
	for _, p := range r.Params {
		f(p)
	}
	for _, op := range r.Ops {
		for _, v := range op.Results {
			f(v)
		}
		for _, sub := range op.Regions {
			walkValues(sub, f)
		}
	}
}

// AddRegion attaches a new empty region named name to op.
func (op *Op) AddRegion(name string) *Region {
	r := &Region{Name: name, Parent: op}
	op.Regions = append(op.Regions, r)
	return r
}

// Region returns op's region named name, or nil.
func (op *Op) Region(name string) *Region {
	for _, r := range op.Regions {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// SetAttrs replaces op's attributes with attrs, sorted by name.
func (op *Op) SetAttrs(attrs []Attr) {
	op.Attrs = append([]Attr(nil), attrs...)
	sort.SliceStable(op.Attrs, func(i, j int) bool { return op.Attrs[i].Name < op.Attrs[j].Name })
}

// SetAttr sets one attribute, keeping the list sorted.
func (op *Op) SetAttr(name string, v AttrValue) {
	for i := range op.Attrs {
		if op.Attrs[i].Name == name {
			op.Attrs[i].Value = v
			return
		}
	}
	op.SetAttrs(append(op.Attrs, Attr{name, v}))
}

// Attr returns op's attribute named name, falling back to the default its
// OpDef declares. ok is false when neither exists.
func (op *Op) Attr(name string) (v AttrValue, ok bool) {
	for _, a := range op.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	if d := Lookup(op.Name); d != nil {
		if ad := d.attr(name); ad != nil && ad.Default != nil {
			return *ad.Default, true
		}
	}
	return AttrValue{}, false
}

// Has reports whether op carries attribute name explicitly.
func (op *Op) Has(name string) bool {
	for _, a := range op.Attrs {
		if a.Name == name {
			return true
		}
	}
	return false
}

// The typed accessors below read an attribute the op carries, or else the
// default its OpDef declares, so defaults live in the table only. An
// absent attribute without a default reads as the zero value (use Has to
// tell). Reading an attribute the op does not declare, or with the wrong
// accessor for its declared kind, is a programming error and panics; an
// attribute the op carries with a kind other than the declared one (which
// Verify reports) reads like an absent one.

// Int returns int attribute name or its declared default.
func (op *Op) Int(name string) int64 { return op.declared(name, AttrInt).Int }

// Float returns float attribute name or its declared default.
func (op *Op) Float(name string) float32 { return op.declared(name, AttrFloat).Float }

// Str returns string attribute name or its declared default.
func (op *Op) Str(name string) string { return op.declared(name, AttrString).Str }

// Ints returns ints attribute name or its declared default (nil if none).
func (op *Op) Ints(name string) []int64 { return op.declared(name, AttrInts).Ints }

// Floats returns floats attribute name or its declared default (nil if none).
func (op *Op) Floats(name string) []float32 { return op.declared(name, AttrFloats).Floats }

// Strings returns strings attribute name or its declared default (nil if none).
func (op *Op) Strings(name string) []string { return op.declared(name, AttrStrings).Strings }

// Declares reports whether op's OpDef declares attribute name, for code
// shared by several ops of which only some have the attribute.
func (op *Op) Declares(name string) bool {
	d := Lookup(op.Name)
	return d != nil && d.attr(name) != nil
}

func (op *Op) declared(name string, k AttrKind) AttrValue {
	d := Lookup(op.Name)
	if d == nil {
		panic(fmt.Sprintf("ir: attribute %q read on undeclared op %q", name, op.Name))
	}
	ad := d.attr(name)
	if ad == nil {
		panic(fmt.Sprintf("ir: op %s does not declare attribute %q", op.Name, name))
	}
	if ad.Kind != k {
		panic(fmt.Sprintf("ir: op %s attribute %q is %v, read as %v", op.Name, name, ad.Kind, k))
	}
	if v, ok := op.Attr(name); ok && v.Kind == k {
		return v
	}
	return AttrValue{Kind: k}
}

// Arg returns operand i, or nil when absent or out of range.
func (op *Op) Arg(i int) *Value {
	if i < len(op.Args) {
		return op.Args[i]
	}
	return nil
}

// IsConst reports whether v is a module constant.
func (v *Value) IsConst() bool { return v != nil && v.Const != nil }
