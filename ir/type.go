package ir

// TypeKind says what a Type describes.
type TypeKind uint8

// Kinds of types.
const (
	InvalidKind TypeKind = iota
	TensorKind
	SequenceKind
	OptionalKind
)

// Type is the type of a value: a tensor (element type and shape), a sequence
// of values of one type, or an optional value of one type. Types are small
// values; Elem is shared and never mutated.
type Type struct {
	Kind  TypeKind
	DType DType // tensors
	Shape Shape // tensors
	Elem  *Type // sequences and optionals; nil when the element type is unknown
}

// TensorType returns the tensor type with dtype d and shape s.
func TensorType(d DType, s Shape) Type { return Type{Kind: TensorKind, DType: d, Shape: s} }

// SequenceOf returns the type of a sequence whose elements have type t.
func SequenceOf(t Type) Type { e := t; return Type{Kind: SequenceKind, Elem: &e} }

// OptionalOf returns the type of an optional holding a value of type t.
func OptionalOf(t Type) Type { e := t; return Type{Kind: OptionalKind, Elem: &e} }

// IsTensor reports whether t is a tensor type.
func (t Type) IsTensor() bool { return t.Kind == TensorKind }

// Equal reports whether t and u are the same type.
func (t Type) Equal(u Type) bool {
	if t.Kind != u.Kind {
		return false
	}
	switch t.Kind {
	case TensorKind:
		return t.DType == u.DType && t.Shape.Equal(u.Shape)
	case SequenceKind, OptionalKind:
		if t.Elem == nil || u.Elem == nil {
			return t.Elem == u.Elem
		}
		return t.Elem.Equal(*u.Elem)
	}
	return true
}

// String returns the text form: f32[1,3], seq<f32[?]>, opt<i64[]>.
func (t Type) String() string {
	switch t.Kind {
	case TensorKind:
		return t.DType.String() + t.Shape.String()
	case SequenceKind:
		return "seq<" + elemString(t.Elem) + ">"
	case OptionalKind:
		return "opt<" + elemString(t.Elem) + ">"
	}
	return "invalid"
}

func elemString(e *Type) string {
	if e == nil {
		return "?"
	}
	return e.String()
}
