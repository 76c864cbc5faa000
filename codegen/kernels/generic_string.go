package kernels

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// String tensors: Cast to and from numbers with the interpreter's rules
// (ir/interp/cast.go), and StringNormalizer. Strings live in Go slices
// that Run allocates, never in an arena.

// strFormatFloat prints x the way the interpreter's Cast to string does
// (numpy's str): the shortest digits that read back as the same float of
// bits bits, positional for magnitudes in [1e-4, 1e16) with ".0" after an
// integral value, scientific otherwise, and "nan", "inf", "-inf".
func strFormatFloat(x float64, bits int) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	if a := math.Abs(x); a == 0 || (a >= 1e-4 && a < 1e16) {
		s := strconv.FormatFloat(x, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	return strconv.FormatFloat(x, 'e', -1, bits)
}

// strFromFloat writes each float of x into y as strFormatFloat prints it
// at bits bits (32 for float32, 64 for float64).
func strFromFloat[T float32 | float64](x []T, y []string, bits int) {
	for i, v := range x {
		y[i] = strFormatFloat(float64(v), bits)
	}
}

// strFromInt writes each signed integer of x into y in decimal.
func strFromInt[T int8 | int16 | int32 | int64](x []T, y []string) {
	for i, v := range x {
		y[i] = strconv.FormatInt(int64(v), 10)
	}
}

// strFromUint writes each unsigned integer of x into y in decimal.
func strFromUint[T uint8 | uint16 | uint32 | uint64](x []T, y []string) {
	for i, v := range x {
		y[i] = strconv.FormatUint(uint64(v), 10)
	}
}

// strFromBool writes "True" or "False" for each bool of x into y, as
// numpy prints them.
func strFromBool(x []bool, y []string) {
	for i, v := range x {
		y[i] = "False"
		if v {
			y[i] = "True"
		}
	}
}

// strParseFloat parses s (surrounding spaces ignored) as a decimal number
// of bits bits, "inf" and "nan" in any case with an optional sign
// included; a value beyond the type's range becomes an infinity (or
// zero), as the interpreter's Cast has it.
func strParseFloat(s string, bits int) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, fmt.Errorf("%q is not a number", s)
		}
	}
	return v, nil
}

// strToF32 parses each string of x into y as a float32, rounded once
// from the decimal digits.
func strToF32(x []string, y []float32) error {
	for i, s := range x {
		v, err := strParseFloat(s, 32)
		if err != nil {
			return fmt.Errorf("Cast: element %d: %w", i, err)
		}
		y[i] = float32(v)
	}
	return nil
}

// strToF64 parses each string of x into y as a float64.
func strToF64(x []string, y []float64) error {
	for i, s := range x {
		v, err := strParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("Cast: element %d: %w", i, err)
		}
		y[i] = v
	}
	return nil
}

// strToBool parses each string of x into y: "True"/"true" and
// "False"/"false", else a number, true when nonzero.
func strToBool(x []string, y []bool) error {
	for i, s := range x {
		switch strings.TrimSpace(s) {
		case "True", "true":
			y[i] = true
		case "False", "false":
			y[i] = false
		default:
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				return fmt.Errorf("Cast: element %d: %q is not a bool", i, s)
			}
			y[i] = v != 0
		}
	}
	return nil
}

// strExact converts every string of x (spaces trimmed) with conv into y,
// and reports whether every one converted (y is then partly written).
func strExact[T any](x []string, y []T, conv func(string) (T, error)) bool {
	for i, s := range x {
		v, err := conv(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		y[i] = v
	}
	return true
}

// strFloats parses every string of x as a float64 and stores it through
// set, naming the element that does not parse.
func strFloats(x []string, set func(i int, v float64)) error {
	for i, s := range x {
		v, err := strParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("Cast: element %d: %w", i, err)
		}
		set(i, v)
	}
	return nil
}

// strToInt parses the strings of x into the signed integers y. When every
// string is a decimal integer they convert exactly (wrapping to the
// width of T as integer casts do); otherwise every string parses as a
// float64 that is truncated toward zero through int64, as the
// interpreter's Cast does.
func strToInt[T int8 | int16 | int32 | int64](x []string, y []T) error {
	if strExact(x, y, func(s string) (T, error) { v, err := strconv.ParseInt(s, 10, 64); return T(v), err }) {
		return nil
	}
	return strFloats(x, func(i int, v float64) { y[i] = T(int64(v)) })
}

// strToUint is strToInt for unsigned integers: uint64 reads the full
// unsigned range exactly when every string is an unsigned integer; the
// others go through int64 first, as the interpreter's Cast does.
func strToUint[T uint8 | uint16 | uint32 | uint64](x []string, y []T, wide bool) error {
	if wide && strExact(x, y, func(s string) (T, error) { v, err := strconv.ParseUint(s, 10, 64); return T(v), err }) {
		return nil
	}
	if strExact(x, y, func(s string) (T, error) { v, err := strconv.ParseInt(s, 10, 64); return T(v), err }) {
		return nil
	}
	return strFloats(x, func(i int, v float64) {
		if wide {
			y[i] = T(v)
		} else {
			y[i] = T(int64(v))
		}
	})
}

// normalizeStrings is StringNormalizer: the strings of x but the
// stopwords (compared after lowering both when not caseSensitive), each
// lowered or uppered when action is "LOWER" or "UPPER". Case mapping is
// Unicode's, whatever the locale. When every string is dropped the result
// is one empty string, as ONNX specifies.
func normalizeStrings(x, stopwords []string, caseSensitive bool, action string) []string {
	stop := map[string]bool{}
	for _, w := range stopwords {
		if !caseSensitive {
			w = strings.ToLower(w)
		}
		stop[w] = true
	}
	out := make([]string, 0, len(x))
	for _, s := range x {
		key := s
		if !caseSensitive {
			key = strings.ToLower(s)
		}
		if stop[key] {
			continue
		}
		switch action {
		case "LOWER":
			s = strings.ToLower(s)
		case "UPPER":
			s = strings.ToUpper(s)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		out = append(out, "")
	}
	return out
}
