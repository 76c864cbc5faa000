package gguf

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

// MarshalJSON encodes the value as plain JSON: numbers, booleans,
// strings, arrays (an array of uint8 too, not base64). Floats that JSON
// cannot hold are the strings "NaN", "+Inf" and "-Inf"; bytes of a string
// that are not UTF-8 become U+FFFD, as encoding/json does; <, > and & are
// not escaped (marshal with an Encoder whose SetEscapeHTML is false to
// keep them so).
func (v Value) MarshalJSON() ([]byte, error) {
	return v.appendJSON(nil)
}

func (v Value) appendJSON(b []byte) ([]byte, error) {
	if v.typ != TypeArray {
		switch x := v.x.(type) {
		case float32:
			return appendFloat(b, float64(x), 32), nil
		case float64:
			return appendFloat(b, x, 64), nil
		case string:
			return appendString(b, x)
		}
		s, err := json.Marshal(v.x)
		return append(b, s...), err
	}
	b = append(b, '[')
	for i := range v.Len() {
		if i > 0 {
			b = append(b, ',')
		}
		e, _ := v.Index(i)
		var err error
		if b, err = e.appendJSON(b); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendString appends s as a JSON string, leaving <, > and & as they
// are: tokens such as "<s>" read as themselves (encoding/json escapes
// them for HTML unless told not to).
func appendString(b []byte, s string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// appendFloat appends x in the shortest form that reads back to the same
// float of the given bit size, or a string for a NaN or an infinity.
func appendFloat(b []byte, x float64, bitSize int) []byte {
	switch {
	case math.IsNaN(x):
		return append(b, `"NaN"`...)
	case math.IsInf(x, 1):
		return append(b, `"+Inf"`...)
	case math.IsInf(x, -1):
		return append(b, `"-Inf"`...)
	}
	return strconv.AppendFloat(b, x, 'g', -1, bitSize)
}
