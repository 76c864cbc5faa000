package ir

import (
	"encoding/binary"
	"strings"
	"testing"
)

// TestParseFloatRange checks that a finite float literal too large for the
// constant's element type is a parse error, not an infinity, while the
// largest finite values and the spelled-out infinities keep their bits.
func TestParseFloatRange(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"const @a : f32[] = 1e999", "e.kir:1:20: 1e999 out of range for f32"},
		{"const @a : f32[] = -1e39", "e.kir:1:20: -1e39 out of range for f32"},
		{"const @a : f32[2] = [1.0, 3.5e38]", "e.kir:1:27: 3.5e38 out of range for f32"},
		{"const @a : f64[] = 1e309", "e.kir:1:20: 1e309 out of range for f64"},
		{"const @a : f16[] = 70000", "e.kir:1:20: 70000 out of range for f16"},
		{"const @a : bf16[] = -1e39", "e.kir:1:21: -1e39 out of range for bf16"},
		{"const @a : c64[] = (1.0, 1e39)", "e.kir:1:26: 1e39 out of range for f32"},
	} {
		_, err := Parse("e.kir", []byte(tc.src), ParseOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q): error %v, want %q", tc.src, err, tc.want)
		}
	}
	// Bit patterns written out by hand: the largest finite values and
	// the infinities of each type.
	for _, tc := range []struct {
		src  string
		bits uint64
	}{
		{"const @a : f32[] = 3.4028235e38", 0x7f7fffff},
		{"const @a : f32[] = -inf", 0xff800000},
		{"const @a : f64[] = 1.7976931348623157e308", 0x7fefffffffffffff},
		{"const @a : f64[] = inf", 0x7ff0000000000000},
		{"const @a : f16[] = 65504", 0x7bff},
		{"const @a : f16[] = inf", 0x7c00},
		{"const @a : bf16[] = -inf", 0xff80},
	} {
		m, err := Parse("e.kir", []byte(tc.src), ParseOptions{})
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.src, err)
			continue
		}
		b := append(m.Consts[0].Const.Bytes, make([]byte, 8)...)
		if got := binary.LittleEndian.Uint64(b); got != tc.bits {
			t.Errorf("Parse(%q): bits %#x, want %#x", tc.src, got, tc.bits)
		}
	}
}
