package ir

import "strings"

// Shape is the shape of a tensor. A nil Dims with Ranked false means the rank
// is unknown; a ranked shape with no dims is a scalar.
type Shape struct {
	Ranked bool
	Dims   []Dim
}

// ShapeOf returns the static shape with the given sizes.
func ShapeOf(sizes ...int64) Shape {
	s := Shape{Ranked: true, Dims: make([]Dim, len(sizes))}
	for i, n := range sizes {
		s.Dims[i] = Static(n)
	}
	return s
}

// UnrankedShape returns the shape of unknown rank.
func UnrankedShape() Shape { return Shape{} }

// Rank returns the number of dims, or -1 when the rank is unknown.
func (s Shape) Rank() int {
	if !s.Ranked {
		return -1
	}
	return len(s.Dims)
}

// IsStatic reports whether the rank and every dim are known.
func (s Shape) IsStatic() bool {
	if !s.Ranked {
		return false
	}
	for _, d := range s.Dims {
		if !d.IsStatic() {
			return false
		}
	}
	return true
}

// Sizes returns the static sizes; ok is false if any dim is not static.
func (s Shape) Sizes() (sizes []int64, ok bool) {
	if !s.IsStatic() {
		return nil, false
	}
	sizes = make([]int64, len(s.Dims))
	for i, d := range s.Dims {
		sizes[i] = d.Size
	}
	return sizes, true
}

// NumElements returns the element count of a static shape, or -1.
func (s Shape) NumElements() int64 {
	if !s.IsStatic() {
		return -1
	}
	n := int64(1)
	for _, d := range s.Dims {
		n *= d.Size
	}
	return n
}

// Equal reports whether s and t are the same shape, dim by dim.
func (s Shape) Equal(t Shape) bool {
	if s.Ranked != t.Ranked || len(s.Dims) != len(t.Dims) {
		return false
	}
	for i := range s.Dims {
		if !s.Dims[i].Equal(t.Dims[i]) {
			return false
		}
	}
	return true
}

// Clone returns a copy of s that shares no memory with it.
func (s Shape) Clone() Shape {
	return Shape{Ranked: s.Ranked, Dims: append([]Dim(nil), s.Dims...)} // dims are immutable
}

// String returns the text form: "[1,3,?,seq]" or "[*]" when unranked.
func (s Shape) String() string {
	if !s.Ranked {
		return "[*]"
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range s.Dims {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(d.String())
	}
	b.WriteByte(']')
	return b.String()
}

// isIdent reports whether s can be printed bare as an identifier.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && (r >= '0' && r <= '9' || r == '.'):
		default:
			return false
		}
	}
	return true
}
