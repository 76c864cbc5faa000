package ir

import (
	"fmt"
	"math"
	"strings"
)

// Contracts an op declares in the table besides its arity: which element
// types each operand and result takes and which positions share one
// (TypeConstraint), which attribute values are legal (AttrDef.Enum and
// range), what the op's regions look like (RegionSignature) and what passes
// may assume about it (Trait). Verify enforces the first three; passes read
// the traits instead of asking an op's name.

// TypeSet is a set of element types, one bit per DType.
type TypeSet uint64

// Every DType needs its bit: this fails to compile past 64 element types.
var _ [64 - numDTypes]struct{}

// Types returns the set holding ds.
func Types(ds ...DType) TypeSet {
	var s TypeSet
	for _, d := range ds {
		s |= 1 << d
	}
	return s
}

// Has reports whether d is in s.
func (s TypeSet) Has(d DType) bool { return d < numDTypes && s&(1<<d) != 0 }

// Named element-type sets, as ONNX's type constraints spell them out.
var (
	FloatTypes    = Types(F16, BF16, F32, F64)                        // every real float type
	SignedInts    = Types(I8, I16, I32, I64)                          // signed integers
	UnsignedInts  = Types(U8, U16, U32, U64)                          // unsigned integers
	IntTypes      = SignedInts | UnsignedInts                         // every integer type
	NumericTypes  = IntTypes | FloatTypes                             // integers and real floats
	SignedNumeric = SignedInts | FloatTypes                           // numbers with a sign
	ComplexTypes  = Types(C64, C128)                                  // complex numbers
	AllTypes      = NumericTypes | ComplexTypes | Types(Bool, String) // every element type
	IndexTypes    = Types(I32, I64)                                   // ONNX's Tind: index tensors
	BoolType      = Types(Bool)                                       // bool only
	I64Type       = Types(I64)                                        // int64 only
	StringType    = Types(String)                                     // string only
	// FloatNoBF16 is the float set of ops ONNX never extended to bfloat16
	// (the trigonometric family, Softplus, HardSwish, pooling, ...).
	FloatNoBF16 = Types(F16, F32, F64)
	// QuantTypes are the 8-bit integer types of ONNX's quantized ops.
	QuantTypes = Types(I8, U8)
	// BlockTypes are ggml's block-quantized types (DType.IsBlock). Only
	// Cast takes them, to decode them to a number type.
	BlockTypes = Types(Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS)
	// Float8Types are ONNX's float8 formats (opset 19).
	Float8Types = Types(F8E4M3FN, F8E4M3FNUZ, F8E5M2, F8E5M2FNUZ)
	// Int4Types are ONNX's 4-bit integers (opset 21).
	Int4Types = Types(I4, U4)
	// NarrowTypes are ONNX's narrow types (DType.IsNarrow): float8, int4,
	// uint4 and float4 (opset 23). They have no arithmetic; Cast, the
	// quantize ops and the data-movement ops whose ONNX versions list them
	// take them.
	NarrowTypes = Float8Types | Int4Types | Types(F4E2M1)
	// MovableTypes are AllTypes and NarrowTypes: the element types of ops
	// that only move elements (Identity, Reshape, Transpose, ...).
	MovableTypes = AllTypes | NarrowTypes
)

var typeSetNames = []struct {
	set  TypeSet
	name string
}{
	{AllTypes, "any element type"},
	{MovableTypes, "any element type (narrow ones too)"},
	{NumericTypes, "a numeric type"},
	{SignedNumeric, "a signed numeric type"},
	{FloatTypes, "a float type"},
	{FloatNoBF16, "f16, f32 or f64"},
	{IntTypes, "an integer type"},
	{SignedInts, "a signed integer type"},
	{UnsignedInts, "an unsigned integer type"},
}

// String describes s for error messages: "a float type", "i32 or i64".
func (s TypeSet) String() string {
	for _, n := range typeSetNames {
		if n.set == s {
			return n.name
		}
	}
	var names []string
	for d := DType(1); d < numDTypes; d++ {
		if s.Has(d) {
			names = append(names, d.String())
		}
	}
	switch len(names) {
	case 0:
		return "no element type"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// KindSet is a set of value kinds (tensor, sequence, optional).
type KindSet uint8

// Kind sets of type constraints.
const (
	TensorOnly   KindSet = 1 << TensorKind
	SequenceOnly KindSet = 1 << SequenceKind
	OptionalOnly KindSet = 1 << OptionalKind
	AnyKind              = TensorOnly | SequenceOnly | OptionalOnly
)

// Has reports whether k is in s.
func (s KindSet) Has(k TypeKind) bool { return s&(1<<k) != 0 }

func (s KindSet) String() string {
	var parts []string
	for _, k := range []struct {
		k    TypeKind
		name string
	}{{TensorKind, "a tensor"}, {SequenceKind, "a sequence"}, {OptionalKind, "an optional"}} {
		if s.Has(k.k) {
			parts = append(parts, k.name)
		}
	}
	return strings.Join(parts, " or ")
}

// TypeConstraint is a type variable of an op, like ONNX's T, T1 or Tind:
// the kinds of value and element types a position naming it takes. Every
// present operand and result that names the same constraint must have the
// same kind and element type. The element type of a sequence or optional is
// that of the tensors it holds.
type TypeConstraint struct {
	Name  string
	Kinds KindSet
	Types TypeSet
}

// TC declares a tensor type constraint with element types ts.
func TC(name string, ts TypeSet) TypeConstraint {
	return TypeConstraint{Name: name, Kinds: TensorOnly, Types: ts}
}

// TCOf declares a type constraint over the value kinds ks (sequences,
// optionals, or any of them) whose tensors have element types ts.
func TCOf(name string, ks KindSet, ts TypeSet) TypeConstraint {
	return TypeConstraint{Name: name, Kinds: ks, Types: ts}
}

// String gives the constraint as `kiln ops` shows it: "T: a float type",
// "S: seq of any element type", "V: tensor/seq/opt of any element type".
func (c TypeConstraint) String() string {
	if c.Kinds == TensorOnly {
		return c.Name + ": " + c.Types.String()
	}
	var kinds []string
	for _, k := range []struct {
		k    TypeKind
		name string
	}{{TensorKind, "tensor"}, {SequenceKind, "seq"}, {OptionalKind, "opt"}} {
		if c.Kinds.Has(k.k) {
			kinds = append(kinds, k.name)
		}
	}
	return c.Name + ": " + strings.Join(kinds, "/") + " of " + c.Types.String()
}

// Typed returns the op's type constraint named name, or nil.
func (d *OpDef) Typed(name string) *TypeConstraint {
	for i := range d.Types {
		if d.Types[i].Name == name {
			return &d.Types[i]
		}
	}
	return nil
}

// Trait is a fact about an op that passes and codegen may rely on, kept as
// a bit set on OpDef.
type Trait uint16

// Traits. An op without a trait makes no promise about it.
const (
	// Commutative: the result does not change when operands swap (for
	// variadic ops, under any permutation).
	Commutative Trait = 1 << iota
	// SideEffect: the op does more than compute its results from its
	// operands; it must not be removed, merged with a twin or folded.
	SideEffect
	// Random: the results are drawn at random; two identical ops give
	// different values, so they are never merged or constant-folded.
	Random
	// View: result 0 holds operand 0's elements in the same order, so it
	// may share operand 0's storage (Reshape, Squeeze, Identity, ...).
	View
	// InPlace: each result element depends only on the input elements at
	// its (broadcast) index, so the result may overwrite an operand of its
	// own shape and element type when nothing else reads that operand.
	InPlace
	// EpilogueFusable: an elementwise op on the result (bias, activation)
	// can be folded into the op's output loop (Conv, Gemm, MatMul).
	EpilogueFusable
	numTraits = iota
)

var traitNames = [numTraits]string{"commutative", "side-effect", "random", "view", "in-place", "epilogue"}

// String lists the traits in t: "commutative in-place".
func (t Trait) String() string {
	var parts []string
	for i, n := range traitNames {
		if t&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, " ")
}

// Has reports whether the op has every trait in t.
func (d *OpDef) Has(t Trait) bool { return d.Traits&t == t }

// RegionSignature is what an op expects of one of its regions: the types of
// its params, in order and exactly that many, and the types of its leading
// results (more may follow). A Type of InvalidKind leaves that position
// open. Verify checks kind, element type and rank; dims are not part of a
// signature, since Loop-carried values may change them between iterations.
type RegionSignature struct {
	Params  []Type
	Results []Type
	Open    bool // nothing is checked: the region may take and return anything
}

// AnyRegion is the RegionSigFunc of an op whose regions may take and return
// anything (extension and test ops).
func AnyRegion(*Op, int) (RegionSignature, error) { return RegionSignature{Open: true}, nil }

// RegionSigFunc gives the signature of op's region i (an index into
// OpDef.Regions) from the op's operands and attributes, or an error when
// they do not allow one (a Scan whose num_scan_inputs exceeds its operands).
type RegionSigFunc func(op *Op, i int) (RegionSignature, error)

// typeFits reports whether got can stand where want is expected: same kind,
// same element type and rank where both are known.
func typeFits(want, got Type) bool {
	if want.Kind == InvalidKind || got.Kind == InvalidKind {
		return true
	}
	if want.Kind != got.Kind {
		return false
	}
	if want.Kind != TensorKind {
		return want.Elem == nil || got.Elem == nil || typeFits(*want.Elem, *got.Elem)
	}
	if want.DType != InvalidDType && got.DType != InvalidDType && want.DType != got.DType {
		return false
	}
	return !want.Shape.Ranked || !got.Shape.Ranked || len(want.Shape.Dims) == len(got.Shape.Dims)
}

// innerDType is the element type of t's tensors (InvalidDType: unknown).
func innerDType(t Type) DType {
	for t.Kind == SequenceKind || t.Kind == OptionalKind {
		if t.Elem == nil {
			return InvalidDType
		}
		t = *t.Elem
	}
	return t.DType
}

// Attribute value contracts.

// OneOf restricts a string attribute to values (an enum); the default, if
// any, must be one of them.
func (a AttrDef) OneOf(values ...string) AttrDef {
	a.Enum = values
	return a
}

// Range restricts an int attribute, or every element of an ints attribute,
// to [lo, hi].
func (a AttrDef) Range(lo, hi int64) AttrDef {
	a.Ranged, a.Lo, a.Hi = true, lo, hi
	return a
}

// AtLeast restricts an int attribute, or every element of an ints
// attribute, to lo or more.
func (a AttrDef) AtLeast(lo int64) AttrDef { return a.Range(lo, math.MaxInt64) }

// AEnum declares a string attribute with a default and its legal values.
func AEnum(name, def string, values ...string) AttrDef { return AString(name, def).OneOf(values...) }

// AIntRange declares an int attribute with a default and its legal range.
func AIntRange(name string, def, lo, hi int64) AttrDef { return AInt(name, def).Range(lo, hi) }

// ABool declares an int attribute used as a flag. ONNX reads its flags as
// "non-zero is true" (Gemm's transA, keepdims, ...) and states no range, so
// none is checked; a flag ONNX restricts to 0 or 1 adds .Range(0, 1).
func ABool(name string, def int64) AttrDef { return AInt(name, def) }

// checkValue reports why v is not a legal value of a, or "".
func (a *AttrDef) checkValue(v AttrValue) string {
	if len(a.Enum) > 0 && v.Kind == AttrString {
		for _, e := range a.Enum {
			if v.Str == e {
				return ""
			}
		}
		return fmt.Sprintf("is %q, want one of %s", v.Str, quoteList(a.Enum))
	}
	if !a.Ranged {
		return ""
	}
	var vals []int64
	switch v.Kind {
	case AttrInt:
		vals = []int64{v.Int}
	case AttrInts:
		vals = v.Ints
	}
	for _, x := range vals {
		if x < a.Lo || x > a.Hi {
			if v.Kind == AttrInts {
				return fmt.Sprintf("has %d, want every value %s", x, rangeString(a.Lo, a.Hi))
			}
			return fmt.Sprintf("is %d, want %s", x, rangeString(a.Lo, a.Hi))
		}
	}
	return ""
}

func rangeString(lo, hi int64) string {
	switch {
	case hi == math.MaxInt64:
		return fmt.Sprintf(">= %d", lo)
	case lo == math.MinInt64:
		return fmt.Sprintf("<= %d", hi)
	}
	return fmt.Sprintf("in [%d, %d]", lo, hi)
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

// ContractProblems lists how op breaks the contracts its OpDef declares:
// element types and kinds of its operands and results (and the agreement of
// positions sharing a type constraint), attribute values outside their enum
// or range, and regions that do not match the op's region signatures. Values
// of unknown type, attributes of the wrong kind and missing regions are left
// to Verify's other checks. The parser and InferTypes report the first
// problem at the op; Verify reports them all.
func ContractProblems(op *Op) []string {
	d := Lookup(op.Name)
	if d == nil {
		return nil
	}
	var out []string
	report := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, a := range op.Attrs {
		if ad := d.attr(a.Name); ad != nil && ad.Kind == a.Value.Kind {
			if why := ad.checkValue(a.Value); why != "" {
				report("attribute %q %s", a.Name, why)
			}
		}
	}
	checkTypes(op, d, report)
	if len(op.Regions) == len(d.Regions) && d.RegionSig != nil {
		for i := range op.Regions {
			checkRegionSig(op, d, i, report)
		}
	}
	return out
}

// checkTypes checks every present operand and result against the type
// constraint its position names: the kind and element type must be allowed,
// and positions sharing a constraint must agree. Unknown types pass.
func checkTypes(op *Op, d *OpDef, report func(string, ...any)) {
	type binding struct {
		t    Type
		from string
	}
	bound := map[string]binding{}
	check := func(what string, decl []Operand, i int, x *Value) {
		if x == nil || len(decl) == 0 || (i >= len(decl) && !decl[len(decl)-1].Variadic) {
			return // absent, or beyond the arity (reported already)
		}
		o := decl[min(i, len(decl)-1)]
		c := d.Typed(o.Type)
		t := x.Type
		if c == nil || t.Kind == InvalidKind {
			return
		}
		pos := fmt.Sprintf("%s %d (%s)", what, i, o.Name)
		if !c.Kinds.Has(t.Kind) {
			report("%s is %v, want %v (%s)", pos, t, c.Kinds, c.Name)
			return
		}
		dt := innerDType(t)
		if dt != InvalidDType && !c.Types.Has(dt) {
			hint := ""
			if dt.IsBlock() && what == "operand" {
				hint = "; a block-quantized value must be decoded by Cast first"
			}
			report("%s is %v, want %v (%s)%s", pos, t, c.Types, c.Name, hint)
			return
		}
		if o.Mixed || dt == InvalidDType {
			return
		}
		b, ok := bound[c.Name]
		if !ok {
			bound[c.Name] = binding{t, pos}
			return
		}
		if b.t.Kind != t.Kind || innerDType(b.t) != dt {
			report("%s is %v, but %s is %v from %s", pos, t, c.Name, b.t, b.from)
		}
	}
	for i, a := range op.Args {
		check("operand", d.Inputs, i, a)
	}
	for i, r := range op.Results {
		check("result", d.Outputs, i, r)
	}
}

// checkRegionSig checks op's region i against the signature the op table
// declares for it: the number of params, and the kind, element type and
// rank of every param and leading result.
func checkRegionSig(op *Op, d *OpDef, i int, report func(string, ...any)) {
	if d.RegionSig == nil {
		return
	}
	r := op.Regions[i]
	sig, err := d.RegionSig(op, i)
	if err != nil {
		report("%s: %v", r.Name, err)
		return
	}
	if sig.Open {
		return
	}
	if len(r.Params) != len(sig.Params) {
		report("%s: %d params, want %d (%s)", r.Name, len(r.Params), len(sig.Params), typeList(sig.Params))
	} else {
		for j, p := range r.Params {
			if !typeFits(sig.Params[j], p.Type) {
				report("%s: param %d is %v, want %v", r.Name, j, p.Type, sig.Params[j])
			}
		}
	}
	if len(r.Results) < len(sig.Results) {
		report("%s: %d results, want at least %d (%s)", r.Name, len(r.Results), len(sig.Results), typeList(sig.Results))
		return
	}
	for j, want := range sig.Results {
		if x := r.Results[j]; x != nil && !typeFits(want, x.Type) {
			report("%s: result %d is %v, want %v", r.Name, j, x.Type, want)
		}
	}
}

// typeList spells a signature's types, "any" for an open position.
func typeList(ts []Type) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
		if t.Kind == InvalidKind {
			parts[i] = "any"
		}
	}
	return strings.Join(parts, ", ")
}
