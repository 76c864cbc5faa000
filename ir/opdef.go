package ir

import (
	"fmt"
	"sort"
	"strings"
)

// OpKind classifies an op for fusion and scheduling.
type OpKind uint8

// Op kinds, from the most to the least fusible.
const (
	Elementwise OpKind = iota // one output element from the same-index input elements
	Broadcast                 // elementwise after numpy-style broadcasting
	Injective                 // each output element reads one input element (reshape, transpose, slice, ...)
	Reduction                 // reduces along axes
	Opaque                    // anything else (conv, matmul, control flow, ...)
)

var opKindNames = [...]string{"elementwise", "broadcast", "injective", "reduction", "opaque"}

func (k OpKind) String() string {
	if int(k) < len(opKindNames) {
		return opKindNames[k]
	}
	return fmt.Sprintf("opkind(%d)", k)
}

// Operand declares one operand or result position of an op.
type Operand struct {
	Name     string
	Type     string // the TypeConstraint (OpDef.Types) this position takes
	Optional bool   // may be absent (nil)
	Variadic bool   // last position only: zero or more (one or more unless Optional)
	// Mixed marks a variadic position whose values may each have their
	// own type within the constraint (ONNX's heterogeneous variadics: the
	// values a Loop carries); they take no part in sharing it.
	Mixed bool
}

// AttrDef declares one attribute: its kind, its default when it has one,
// and the values it may take (Enum for strings, [Lo, Hi] for ints and the
// elements of ints when Ranged).
type AttrDef struct {
	Name     string
	Kind     AttrKind
	Required bool
	Default  *AttrValue
	Enum     []string
	Ranged   bool
	Lo, Hi   int64
}

// InferFunc computes the result types of op from its operands' types,
// attributes and (where it helps) the values of constant operands. It may
// return dims it cannot know as Unknown; it returns an error only when the
// op is ill-formed (wrong ranks, incompatible shapes, bad attributes).
type InferFunc func(op *Op) ([]Type, error)

// OpDef is the single declaration of an op. Everything that needs to know
// about an op reads it from here.
type OpDef struct {
	Name    string
	Doc     string // one line: what the op computes
	Kind    OpKind
	Traits  Trait
	Inputs  []Operand
	Outputs []Operand
	Types   []TypeConstraint // the type variables Inputs and Outputs name
	Attrs   []AttrDef
	Regions []string // names of the regions the op owns, in order
	// RegionSig gives each region's expected param and result types; every
	// op with regions has one.
	RegionSig RegionSigFunc
	Infer     InferFunc
	// ShapeValue, when set, evaluates result 0 as a shape value (see
	// ShapeValue): the ops that exporters compute shapes with have one.
	ShapeValue ShapeValueFunc
}

var opTable = map[string]*OpDef{}

// Register adds d to the op table. It is called from package init; a
// duplicate or malformed declaration is a programming error and panics.
func Register(d *OpDef) *OpDef {
	if d.Name == "" || d.Infer == nil {
		panic(fmt.Sprintf("ir: op %q declared without name or Infer", d.Name))
	}
	if _, dup := opTable[d.Name]; dup {
		panic("ir: op declared twice: " + d.Name)
	}
	for i, o := range d.Inputs {
		if o.Variadic && i != len(d.Inputs)-1 {
			panic("ir: op " + d.Name + ": variadic operand not last")
		}
	}
	for _, o := range append(append([]Operand(nil), d.Inputs...), d.Outputs...) {
		if d.Typed(o.Type) == nil {
			panic(fmt.Sprintf("ir: op %s: position %s names undeclared type constraint %q", d.Name, o.Name, o.Type))
		}
	}
	if len(d.Regions) > 0 && d.RegionSig == nil {
		panic("ir: op " + d.Name + ": regions without RegionSig")
	}
	sort.Slice(d.Attrs, func(i, j int) bool { return d.Attrs[i].Name < d.Attrs[j].Name })
	for i := range d.Attrs {
		a := &d.Attrs[i]
		if a.Default != nil && a.Default.Kind != a.Kind {
			panic(fmt.Sprintf("ir: op %s: attribute %s: default of kind %v", d.Name, a.Name, a.Default.Kind))
		}
		if a.Default != nil {
			if why := a.checkValue(*a.Default); why != "" {
				panic(fmt.Sprintf("ir: op %s: attribute %s: default %s", d.Name, a.Name, why))
			}
		}
	}
	opTable[d.Name] = d
	return d
}

// Lookup returns the declaration of the op named name, or nil.
func Lookup(name string) *OpDef { return opTable[name] }

// Ops returns every declared op sorted by name.
func Ops() []*OpDef {
	out := make([]*OpDef, 0, len(opTable))
	for _, d := range opTable {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (d *OpDef) attr(name string) *AttrDef {
	for i := range d.Attrs {
		if d.Attrs[i].Name == name {
			return &d.Attrs[i]
		}
	}
	return nil
}

// Attr returns the declaration of attribute name, or nil.
func (d *OpDef) Attr(name string) *AttrDef { return d.attr(name) }

// Arity returns the minimum and maximum operand counts (max -1: unbounded).
func Arity(ops []Operand) (min, max int) {
	for _, o := range ops {
		switch {
		case o.Variadic:
			if !o.Optional {
				min++
			}
			return min, -1
		case !o.Optional:
			min = max + 1
		}
		max++
	}
	return min, max
}

// Declaration helpers keep the op tables short and readable.

// Operand and result declarations are spelled "name:T": the position's
// name and the type constraint (OpDef.Types) it takes.

// In declares required operands, each "name:T".
func In(specs ...string) []Operand {
	out := make([]Operand, len(specs))
	for i, s := range specs {
		out[i] = operand(s)
	}
	return out
}

// Req declares one required operand "name:T".
func Req(spec string) Operand { return operand(spec) }

// Opt declares an optional operand "name:T".
func Opt(spec string) Operand { o := operand(spec); o.Optional = true; return o }

// Var declares a variadic operand "name:T" (one or more).
func Var(spec string) Operand { o := operand(spec); o.Variadic = true; return o }

// VarOpt declares a variadic operand "name:T" that may be empty.
func VarOpt(spec string) Operand { o := Var(spec); o.Optional = true; return o }

// VarMixed declares a variadic operand "name:T" (one or more) whose values
// may differ in type.
func VarMixed(spec string) Operand { o := Var(spec); o.Mixed = true; return o }

// VarOptMixed declares a variadic operand "name:T" that may be empty and
// whose values may differ in type.
func VarOptMixed(spec string) Operand { o := VarOpt(spec); o.Mixed = true; return o }

func operand(spec string) Operand {
	name, typ, _ := strings.Cut(spec, ":")
	return Operand{Name: name, Type: typ}
}

// AInt declares an int attribute with a default.
func AInt(name string, def int64) AttrDef {
	v := IntAttr(def)
	return AttrDef{Name: name, Kind: AttrInt, Default: &v}
}

// AFloat declares a float attribute with a default.
func AFloat(name string, def float32) AttrDef {
	v := FloatAttr(def)
	return AttrDef{Name: name, Kind: AttrFloat, Default: &v}
}

// AString declares a string attribute with a default.
func AString(name string, def string) AttrDef {
	v := StringAttr(def)
	return AttrDef{Name: name, Kind: AttrString, Default: &v}
}

// AInts declares an ints attribute with no default (absent means "not given").
func AInts(name string) AttrDef { return AttrDef{Name: name, Kind: AttrInts} }

// AFloats declares a floats attribute with no default.
func AFloats(name string) AttrDef { return AttrDef{Name: name, Kind: AttrFloats} }

// AStrings declares a strings attribute with no default.
func AStrings(name string) AttrDef { return AttrDef{Name: name, Kind: AttrStrings} }

// AOptional declares an attribute of kind k with no default.
func AOptional(name string, k AttrKind) AttrDef { return AttrDef{Name: name, Kind: k} }

// ARequired declares a required attribute of kind k.
func ARequired(name string, k AttrKind) AttrDef { return AttrDef{Name: name, Kind: k, Required: true} }
