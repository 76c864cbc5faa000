package kernels

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// TestStrFormatFloat checks the decimal forms worked out by hand from the
// rule: shortest round-tripping digits at the float's width, positional in
// [1e-4, 1e16) with ".0" after integers, scientific outside.
func TestStrFormatFloat(t *testing.T) {
	cases := []struct {
		x    float64
		bits int
		want string
	}{
		{0.1, 32, "0.1"},       // float32(0.1) prints as 0.1 at 32 bits
		{0.1, 64, "0.1"},       //
		{3, 32, "3.0"},         // integral: ".0" added
		{-0.5, 64, "-0.5"},     //
		{0, 32, "0.0"},         //
		{1e-5, 64, "1e-05"},    // below 1e-4: scientific
		{1e16, 64, "1e+16"},    // from 1e16 on: scientific
		{1234.5, 32, "1234.5"}, //
		{math.NaN(), 32, "nan"},
		{math.Inf(1), 64, "inf"},
		{math.Inf(-1), 32, "-inf"},
		{float64(float32(0.3)), 32, "0.3"},
		{float64(float32(0.3)), 64, "0.30000001192092896"},
	}
	for _, c := range cases {
		if got := strFormatFloat(c.x, c.bits); got != c.want {
			t.Errorf("strFormatFloat(%v, %d) = %q, want %q", c.x, c.bits, got, c.want)
		}
	}
}

// TestStrCasts converts strings to each kind of number and back.
func TestStrCasts(t *testing.T) {
	f := make([]float32, 5)
	if err := strToF32([]string{"1.5", " -2 ", "INF", "nan", "1e39"}, f); err != nil {
		t.Fatal(err)
	}
	if f[0] != 1.5 || f[1] != -2 || !math.IsInf(float64(f[2]), 1) || !math.IsNaN(float64(f[3])) || !math.IsInf(float64(f[4]), 1) {
		t.Errorf("strToF32: %v", f)
	}
	if err := strToF32([]string{"1", "one"}, f[:2]); err == nil || !strings.Contains(err.Error(), `element 1: "one" is not a number`) {
		t.Errorf("strToF32 of a word: error %v", err)
	}
	b := make([]bool, 5)
	if err := strToBool([]string{"True", "false", "0", "2.5", " true"}, b); err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, false, true, true}; !slices.Equal(b, want) {
		t.Errorf("strToBool: %v, want %v", b, want)
	}
	if err := strToBool([]string{"yes"}, b[:1]); err == nil {
		t.Error("strToBool(yes): no error")
	}
	// All integers: exact, wrapping to the width (300 is 44 in int8).
	i8 := make([]int8, 2)
	if err := strToInt([]string{"300", "-7"}, i8); err != nil || i8[0] != 44 || i8[1] != -7 {
		t.Errorf("strToInt int8: %v, %v", i8, err)
	}
	// One float makes every element parse as a float, truncated.
	i64 := make([]int64, 3)
	if err := strToInt([]string{"3", "-2.7", "9.99"}, i64); err != nil || !slices.Equal(i64, []int64{3, -2, 9}) {
		t.Errorf("strToInt int64: %v, %v", i64, err)
	}
	u64 := make([]uint64, 2)
	if err := strToUint([]string{"18446744073709551615", "1"}, u64, true); err != nil || u64[0] != math.MaxUint64 || u64[1] != 1 {
		t.Errorf("strToUint uint64: %v, %v", u64, err)
	}
	u8 := make([]uint8, 2)
	if err := strToUint([]string{"-1", "256"}, u8, false); err != nil || u8[0] != 255 || u8[1] != 0 {
		t.Errorf("strToUint uint8: %v, %v", u8, err)
	}
	s := make([]string, 3)
	strFromInt([]int32{-5, 0, 12}, s)
	if want := []string{"-5", "0", "12"}; !slices.Equal(s, want) {
		t.Errorf("strFromInt: %q", s)
	}
	strFromUint([]uint64{math.MaxUint64}, s[:1])
	if s[0] != "18446744073709551615" {
		t.Errorf("strFromUint: %q", s[0])
	}
	strFromBool([]bool{true, false}, s[:2])
	if s[0] != "True" || s[1] != "False" {
		t.Errorf("strFromBool: %q", s[:2])
	}
	strFromFloat([]float32{0.1, 2}, s[:2], 32)
	if s[0] != "0.1" || s[1] != "2.0" {
		t.Errorf("strFromFloat: %q", s[:2])
	}
}

// TestNormalizeStrings drops stopwords with and without case and maps
// case; dropping everything leaves one empty string.
func TestNormalizeStrings(t *testing.T) {
	x := []string{"Monday", "tuesday", "MONDAY", "Straße"}
	cases := []struct {
		stop   []string
		cs     bool
		action string
		want   []string
	}{
		{nil, true, "NONE", x},
		{[]string{"monday"}, true, "UPPER", []string{"MONDAY", "TUESDAY", "MONDAY", "STRAßE"}}, // Go maps case rune by rune: ß has no one-rune upper case
		{[]string{"monday"}, false, "LOWER", []string{"tuesday", "straße"}},
		{[]string{"MONDAY", "Monday", "tuesday", "Straße"}, true, "NONE", []string{""}},
	}
	for _, c := range cases {
		if got := normalizeStrings(x, c.stop, c.cs, c.action); !slices.Equal(got, c.want) {
			t.Errorf("normalizeStrings(stop %q, case sensitive %t, %s) = %q, want %q", c.stop, c.cs, c.action, got, c.want)
		}
	}
}
