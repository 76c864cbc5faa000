package gguf

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ValueType is a metadata value's type id as GGUF stores it.
type ValueType uint32

// The GGUF metadata value types.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var typeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"}

// String returns the type's name ("uint32", "array"), or "type(N)" for an
// id GGUF does not define.
func (t ValueType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// valid reports whether GGUF defines t.
func (t ValueType) valid() bool { return t <= TypeFloat64 }

// size returns the bytes one value of t takes in the file, and for the
// variable-sized string and array the bytes of their length prefix (8 for
// a string, 12 for an array's element type and count): the least a value
// of t can take, which bounds counts against the bytes left.
func (t ValueType) size() int64 {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64, TypeString:
		return 8
	case TypeArray:
		return 12
	}
	return 0
}

// Value is one metadata value: a scalar, a string or an array. An array
// of scalars or strings is held as one typed Go slice ([]uint32,
// []string, ...), an array of arrays as []Value, so a 32000-token
// vocabulary is one slice, not 32000 Values.
type Value struct {
	typ ValueType
	// x is the Go value: uint8 ... float64, bool or string for a scalar,
	// an *array for an array.
	x any
}

// array is an array value's element type and elements.
type array struct {
	elem ValueType
	// data is []uint8, []int8, []uint16, []int16, []uint32, []int32,
	// []float32, []bool, []string, []uint64, []int64, []float64, or
	// []Value for an array of arrays.
	data any
	n    int
}

// Type returns the value's type (TypeArray for an array).
func (v Value) Type() ValueType { return v.typ }

// Elem returns an array's element type, and false for a scalar.
func (v Value) Elem() (ValueType, bool) {
	if a, ok := v.x.(*array); ok {
		return a.elem, true
	}
	return 0, false
}

// Len returns an array's element count, and 0 for a scalar.
func (v Value) Len() int {
	if a, ok := v.x.(*array); ok {
		return a.n
	}
	return 0
}

// Interface returns the value as Go holds it: uint8 ... float64, bool or
// string for a scalar; for an array a typed slice ([]uint32, []string,
// ...), or []Value when its elements are arrays. Slices are shared with
// the Value: do not modify them.
func (v Value) Interface() any {
	if a, ok := v.x.(*array); ok {
		return a.data
	}
	return v.x
}

// Index returns element i of an array as a Value, and false when v is not
// an array or i is out of range.
func (v Value) Index(i int) (Value, bool) {
	a, ok := v.x.(*array)
	if !ok || i < 0 || i >= a.n {
		return Value{}, false
	}
	switch d := a.data.(type) {
	case []Value:
		return d[i], true
	case []uint8:
		return Value{a.elem, d[i]}, true
	case []int8:
		return Value{a.elem, d[i]}, true
	case []uint16:
		return Value{a.elem, d[i]}, true
	case []int16:
		return Value{a.elem, d[i]}, true
	case []uint32:
		return Value{a.elem, d[i]}, true
	case []int32:
		return Value{a.elem, d[i]}, true
	case []float32:
		return Value{a.elem, d[i]}, true
	case []bool:
		return Value{a.elem, d[i]}, true
	case []string:
		return Value{a.elem, d[i]}, true
	case []uint64:
		return Value{a.elem, d[i]}, true
	case []int64:
		return Value{a.elem, d[i]}, true
	case []float64:
		return Value{a.elem, d[i]}, true
	}
	return Value{}, false
}

// Str returns a string value, and false for any other type.
func (v Value) Str() (string, bool) {
	s, ok := v.x.(string)
	return s, ok
}

// Uint returns an integer value of any integer type that is not negative,
// and false otherwise.
func (v Value) Uint() (uint64, bool) {
	switch x := v.x.(type) {
	case uint64:
		return x, true
	}
	if i, ok := v.Int(); ok && i >= 0 {
		return uint64(i), true
	}
	return 0, false
}

// Int returns an integer value of any integer type that fits in an
// int64, and false otherwise.
func (v Value) Int() (int64, bool) {
	switch x := v.x.(type) {
	case uint8:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// Float returns a float32 or float64 value, and false for any other type
// (integers included: a key GGUF stores as a float is read as one).
func (v Value) Float() (float64, bool) {
	switch x := v.x.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// Bool returns a bool value, and false for any other type.
func (v Value) Bool() (bool, bool) {
	b, ok := v.x.(bool)
	return b, ok
}

// Strings returns an array of strings (shared with the Value), and false
// for any other value.
func (v Value) Strings() ([]string, bool) {
	s, ok := v.Interface().([]string)
	return s, ok
}

// Float32s returns an array of float32 (shared with the Value), and false
// for any other value.
func (v Value) Float32s() ([]float32, bool) {
	s, ok := v.Interface().([]float32)
	return s, ok
}

// Int32s returns an array of int32 (shared with the Value), and false for
// any other value.
func (v Value) Int32s() ([]int32, bool) {
	s, ok := v.Interface().([]int32)
	return s, ok
}

// Ints returns an array of any integer type as a new []int64, and false
// for any other value or when an element does not fit in an int64.
func (v Value) Ints() ([]int64, bool) {
	a, ok := v.x.(*array)
	if !ok {
		return nil, false
	}
	out := make([]int64, a.n)
	for i := range out {
		e, _ := v.Index(i)
		x, ok := e.Int()
		if !ok {
			return nil, false
		}
		out[i] = x
	}
	return out, true
}

// String formats the value in full: numbers as Go prints them, strings
// quoted, arrays as [a, b, c].
func (v Value) String() string { return v.Summary(-1) }

// Summary formats the value as String does, but an array longer than max
// items (at any depth) shows its first max items and its length:
// `[1, 2, 3, ... (32000 items)]`. A negative max shows everything.
func (v Value) Summary(max int) string {
	var b strings.Builder
	v.format(&b, max)
	return b.String()
}

func (v Value) format(b *strings.Builder, max int) {
	a, ok := v.x.(*array)
	if !ok {
		b.WriteString(formatScalar(v.x))
		return
	}
	b.WriteByte('[')
	n := a.n
	if max >= 0 && n > max {
		n = max
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		e, _ := v.Index(i)
		e.format(b, max)
	}
	if n < a.n {
		if n > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "... (%d items)", a.n)
	}
	b.WriteByte(']')
}

// formatScalar prints one scalar: a string quoted, a float in the
// shortest form that reads back to the same value.
func formatScalar(x any) string {
	switch x := x.(type) {
	case string:
		return strconv.Quote(x)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(x)
}
