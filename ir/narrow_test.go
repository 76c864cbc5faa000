package ir

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// Values below are worked out by hand from each format's bit layout
// (sign, exponent with its bias, mantissa, subnormals below exponent 1),
// not from the code under test.

var nan = math.NaN()

// TestMiniFloatDecode checks chosen codes of every float8 format and all
// sixteen float4 codes.
func TestMiniFloatDecode(t *testing.T) {
	for _, tc := range []struct {
		d    DType
		code uint8
		want float64
	}{
		// E4M3FN: bias 7; 0.0000.001 = 2^-6 * 1/8 = 2^-9.
		{F8E4M3FN, 0x00, 0}, {F8E4M3FN, 0x80, math.Copysign(0, -1)},
		{F8E4M3FN, 0x01, 0.001953125}, {F8E4M3FN, 0x07, 0.013671875},
		{F8E4M3FN, 0x08, 0.015625}, {F8E4M3FN, 0x38, 1}, {F8E4M3FN, 0x3c, 1.5},
		{F8E4M3FN, 0x78, 256}, {F8E4M3FN, 0x7e, 448}, {F8E4M3FN, 0xfe, -448},
		{F8E4M3FN, 0x7f, nan}, {F8E4M3FN, 0xff, nan}, {F8E4M3FN, 0xc0, -2},
		// E4M3FNUZ: bias 8, 0x80 the only NaN, 0x7f = 1.875 * 2^7.
		{F8E4M3FNUZ, 0x00, 0}, {F8E4M3FNUZ, 0x80, nan}, {F8E4M3FNUZ, 0x01, 0.0009765625},
		{F8E4M3FNUZ, 0x08, 0.0078125}, {F8E4M3FNUZ, 0x40, 1}, {F8E4M3FNUZ, 0x7f, 240},
		{F8E4M3FNUZ, 0xff, -240}, {F8E4M3FNUZ, 0x81, -0.0009765625},
		// E5M2: bias 15, IEEE top exponent.
		{F8E5M2, 0x01, 1.0 / 65536}, {F8E5M2, 0x04, 1.0 / 16384}, {F8E5M2, 0x3c, 1},
		{F8E5M2, 0x3d, 1.25}, {F8E5M2, 0x7b, 57344}, {F8E5M2, 0x7c, math.Inf(1)},
		{F8E5M2, 0xfc, math.Inf(-1)}, {F8E5M2, 0x7d, nan}, {F8E5M2, 0x7e, nan},
		{F8E5M2, 0x7f, nan}, {F8E5M2, 0xff, nan}, {F8E5M2, 0x80, math.Copysign(0, -1)},
		// E5M2FNUZ: bias 16.
		{F8E5M2FNUZ, 0x01, 1.0 / 131072}, {F8E5M2FNUZ, 0x40, 1}, {F8E5M2FNUZ, 0x7f, 57344},
		{F8E5M2FNUZ, 0x7c, 32768}, {F8E5M2FNUZ, 0x80, nan}, {F8E5M2FNUZ, 0xc0, -1},
		// E2M1: every code.
		{F4E2M1, 0x0, 0}, {F4E2M1, 0x1, 0.5}, {F4E2M1, 0x2, 1}, {F4E2M1, 0x3, 1.5},
		{F4E2M1, 0x4, 2}, {F4E2M1, 0x5, 3}, {F4E2M1, 0x6, 4}, {F4E2M1, 0x7, 6},
		{F4E2M1, 0x8, math.Copysign(0, -1)}, {F4E2M1, 0x9, -0.5}, {F4E2M1, 0xa, -1}, {F4E2M1, 0xb, -1.5},
		{F4E2M1, 0xc, -2}, {F4E2M1, 0xd, -3}, {F4E2M1, 0xe, -4}, {F4E2M1, 0xf, -6},
	} {
		f, _ := MiniFloatOf(tc.d)
		got := f.Float64(tc.code)
		if !sameFloat(got, tc.want) {
			t.Errorf("%v code %#02x = %v, want %v", tc.d, tc.code, got, tc.want)
		}
	}
}

func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return a == b && math.Signbit(a) == math.Signbit(b)
}

// TestMiniFloatAllCodes decodes every code of every format: the count of
// NaNs, infinities and zeros each format has, values strictly increasing
// over the positive codes, and every non-NaN code encoding back to itself.
func TestMiniFloatAllCodes(t *testing.T) {
	for _, tc := range []struct {
		d                  DType
		codes              int
		nans, infs, zeros  int
		largest, smallestS float64
	}{
		{F8E4M3FN, 256, 2, 0, 2, 448, 0.001953125},
		{F8E4M3FNUZ, 256, 1, 0, 1, 240, 0.0009765625},
		{F8E5M2, 256, 6, 2, 2, 57344, 1.0 / 65536},
		{F8E5M2FNUZ, 256, 1, 0, 1, 57344, 1.0 / 131072},
		{F4E2M1, 16, 0, 0, 2, 6, 0.5},
	} {
		f, _ := MiniFloatOf(tc.d)
		var nans, infs, zeros int
		prev := math.Inf(-1)
		largest, smallest := 0.0, math.Inf(1)
		for c := 0; c < tc.codes; c++ {
			code := uint8(c)
			v := f.Float64(code)
			switch {
			case math.IsNaN(v):
				nans++
				if !f.IsNaN(code) {
					t.Errorf("%v %#02x decodes to NaN but IsNaN is false", tc.d, code)
				}
				continue
			case math.IsInf(v, 0):
				infs++
			case v == 0:
				zeros++
			default:
				largest = max(largest, math.Abs(v))
				smallest = min(smallest, math.Abs(v))
			}
			if back := f.Encode(v, false); back != code {
				t.Errorf("%v %#02x = %v encodes back to %#02x", tc.d, code, v, back)
			}
			if c < tc.codes/2 && !math.IsInf(v, 0) {
				if v <= prev && c > 0 {
					t.Errorf("%v %#02x = %v is not above the previous code's %v", tc.d, code, v, prev)
				}
				prev = v
			}
		}
		if nans != tc.nans || infs != tc.infs || zeros != tc.zeros {
			t.Errorf("%v: %d NaNs, %d infinities, %d zeros; want %d, %d, %d", tc.d, nans, infs, zeros, tc.nans, tc.infs, tc.zeros)
		}
		if largest != tc.largest || smallest != tc.smallestS || f.Max != tc.largest {
			t.Errorf("%v: largest %v (Max %v), smallest %v; want %v, %v", tc.d, largest, f.Max, smallest, tc.largest, tc.smallestS)
		}
	}
}

// TestMiniFloatEncode checks rounding (ties to even, subnormals, zero
// signs) and the saturation rules of ONNX's Cast for each format.
func TestMiniFloatEncode(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		d        DType
		x        float64
		sat, raw uint8 // saturate=1, saturate=0
	}{
		// E4M3FN: steps of 1/8 in [1, 2).
		{F8E4M3FN, 1 + 1.0/16, 0x38, 0x38},        // tie between 1 and 1.125: even 1
		{F8E4M3FN, 1 + 3.0/16, 0x3a, 0x3a},        // tie between 1.125 and 1.25: even 1.25
		{F8E4M3FN, 1 + 1.0/16 + 1e-9, 0x39, 0x39}, // just above the tie
		{F8E4M3FN, 464, 0x7e, 0x7e},               // tie between 448 and 480 rounds to even 448
		{F8E4M3FN, 465, 0x7e, 0x7f},               // beyond: saturates or is NaN
		{F8E4M3FN, -1000, 0xfe, 0xff}, {F8E4M3FN, 480, 0x7e, 0x7e}, {F8E4M3FN, -496, 0xfe, 0xfe}, {F8E4M3FN, 497, 0x7e, 0x7f},
		{F8E4M3FN, inf, 0x7e, 0x7f}, {F8E4M3FN, -inf, 0xfe, 0xff},
		{F8E4M3FN, nan, 0x7f, 0x7f}, {F8E4M3FN, math.Copysign(0, -1), 0x80, 0x80},
		{F8E4M3FN, math.Ldexp(1, -10), 0x00, 0x00}, // half the smallest subnormal: tie to 0
		{F8E4M3FN, 3 * math.Ldexp(1, -11), 0x01, 0x01},
		{F8E4M3FN, math.Ldexp(3, -10), 0x02, 0x02}, // 1.5 subnormal steps: tie to even 2
		{F8E4M3FN, -math.Ldexp(1, -11), 0x80, 0x80},
		// E4M3FNUZ: no -0; infinities saturate or are NaN.
		{F8E4M3FNUZ, math.Copysign(0, -1), 0x00, 0x00},
		{F8E4M3FNUZ, -math.Ldexp(1, -12), 0x00, 0x00},
		{F8E4M3FNUZ, -1, 0xc0, 0xc0},
		{F8E4M3FNUZ, 300, 0x7f, 0x80}, {F8E4M3FNUZ, -300, 0xff, 0x80},
		{F8E4M3FNUZ, inf, 0x7f, 0x80}, {F8E4M3FNUZ, -inf, 0xff, 0x80}, {F8E4M3FNUZ, nan, 0x80, 0x80},
		// E5M2: the largest is 1.75 * 2^15; 61440 is the tie with 2^16,
		// whose even neighbour is past the largest value: NaN without
		// saturation below 2^16 (ONNX Runtime's conversion), infinity
		// from 2^16 on.
		{F8E5M2, 60000, 0x7b, 0x7b}, {F8E5M2, 61440, 0x7b, 0x7f}, {F8E5M2, -62000, 0xfb, 0xff},
		{F8E5M2, 70000, 0x7b, 0x7c}, {F8E5M2, -70000, 0xfb, 0xfc},
		{F8E5M2, inf, 0x7b, 0x7c}, {F8E5M2, -inf, 0xfb, 0xfc}, {F8E5M2, nan, 0x7f, 0x7f},
		{F8E5M2, 1.125, 0x3c, 0x3c}, {F8E5M2, 1.375, 0x3e, 0x3e},
		// E5M2FNUZ.
		{F8E5M2FNUZ, 1e6, 0x7f, 0x80}, {F8E5M2FNUZ, inf, 0x7f, 0x80},
		{F8E5M2FNUZ, math.Copysign(0, -1), 0x00, 0x00},
		// E2M1: always saturates.
		{F4E2M1, 5, 0x6, 0x6}, {F4E2M1, 2.5, 0x4, 0x4}, {F4E2M1, 0.25, 0x0, 0x0},
		{F4E2M1, 0.75, 0x2, 0x2}, {F4E2M1, 7, 0x7, 0x7}, {F4E2M1, -100, 0xf, 0xf},
		{F4E2M1, inf, 0x7, 0x7}, {F4E2M1, -inf, 0xf, 0xf}, {F4E2M1, -0.1, 0x8, 0x8},
	} {
		f, _ := MiniFloatOf(tc.d)
		if got := f.Encode(tc.x, true); got != tc.sat {
			t.Errorf("%v: Encode(%v, saturate) = %#02x, want %#02x", tc.d, tc.x, got, tc.sat)
		}
		if got := f.Encode(tc.x, false); got != tc.raw {
			t.Errorf("%v: Encode(%v) = %#02x, want %#02x", tc.d, tc.x, got, tc.raw)
		}
	}
}

// TestNarrowPacking checks the 4-bit byte form: two per byte, the first
// element in the low nibble, int4 sign-extended, an odd count padded.
func TestNarrowPacking(t *testing.T) {
	for _, tc := range []struct {
		d     DType
		mem   any
		bytes []byte
	}{
		{I4, []int8{-8, 7, -1, 3, 5}, []byte{0x78, 0x3f, 0x05}},
		{U4, []uint8{1, 2, 15}, []byte{0x21, 0x0f}},
		{F4E2M1, []uint8{0x7, 0xf}, []byte{0xf7}},
		{F8E5M2, []uint8{0x3c, 0xfc, 0x7f}, []byte{0x3c, 0xfc, 0x7f}},
		{I4, []int8{}, []byte{}},
	} {
		n := 0
		switch x := tc.mem.(type) {
		case []int8:
			n = len(x)
		case []uint8:
			n = len(x)
		}
		b, err := EncodeNarrow(tc.d, tc.mem)
		if err != nil || !bytes.Equal(b, tc.bytes) {
			t.Errorf("EncodeNarrow(%v, %v) = % x, %v; want % x", tc.d, tc.mem, b, err, tc.bytes)
		}
		back, err := DecodeNarrow(tc.d, tc.bytes, n)
		if err != nil || !equalAny(back, tc.mem) {
			t.Errorf("DecodeNarrow(%v, % x) = %v, %v; want %v", tc.d, tc.bytes, back, err, tc.mem)
		}
		if sz, _ := tc.d.ByteSize(int64(n)); sz != int64(len(tc.bytes)) {
			t.Errorf("%v.ByteSize(%d) = %d, want %d", tc.d, n, sz, len(tc.bytes))
		}
	}
	// The padding nibble is ignored; a count that does not match is not.
	if v, err := DecodeNarrow(U4, []byte{0xf3}, 1); err != nil || v.([]uint8)[0] != 3 {
		t.Errorf("padding: %v, %v", v, err)
	}
	if _, err := DecodeNarrow(U4, []byte{0x33}, 3); err == nil {
		t.Error("DecodeNarrow of 3 u4 from one byte: no error")
	}
	if _, err := EncodeNarrow(I4, []int8{8}); err == nil {
		t.Error("EncodeNarrow of i4 8: no error")
	}
	if _, err := EncodeNarrow(U4, []int8{1}); err == nil {
		t.Error("EncodeNarrow of u4 held as []int8: no error")
	}
}

func equalAny(a, b any) bool {
	switch x := a.(type) {
	case []int8:
		y, ok := b.([]int8)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	case []uint8:
		y, ok := b.([]uint8)
		return ok && bytes.Equal(x, y)
	}
	return false
}

// TestNarrowText checks the text spelling of narrow constants: printed
// values parse back to the same payload, and values a type cannot hold
// are parse errors.
func TestNarrowText(t *testing.T) {
	for _, tc := range []struct {
		src   string
		bytes []byte
	}{
		{"const @a : i4[3] = [-8, 7, -1]", []byte{0x78, 0x0f}},
		{"const @a : u4[] = 9", []byte{0x09}},
		{"const @a : f4e2m1[4] = [0.5, -6, 3, -0]", []byte{0xf1, 0x85}},
		{"const @a : f8e4m3fn[4] = [448, -0, nan, nan(0xff)]", []byte{0x7e, 0x80, 0x7f, 0xff}},
		{"const @a : f8e4m3fnuz[3] = [240, nan, -1]", []byte{0x7f, 0x80, 0xc0}},
		{"const @a : f8e5m2[4] = [inf, -inf, nan, 1.25]", []byte{0x7c, 0xfc, 0x7f, 0x3d}},
		{"const @a : f8e5m2fnuz[2] = [57344, 0.0000076293945]", []byte{0x7f, 0x01}},
	} {
		m, err := Parse("e.kir", []byte(tc.src), ParseOptions{})
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.src, err)
			continue
		}
		if got := m.Consts[0].Const.Bytes; !bytes.Equal(got, tc.bytes) {
			t.Errorf("Parse(%q): bytes % x, want % x", tc.src, got, tc.bytes)
		}
		text := m.String()
		m2, err := Parse("e.kir", []byte(text), ParseOptions{})
		if err != nil {
			t.Errorf("reparse of %q: %v", text, err)
			continue
		}
		if m2.String() != text || !bytes.Equal(m2.Consts[0].Const.Bytes, tc.bytes) {
			t.Errorf("%q: print/parse is not exact:\n%s\n%s", tc.src, text, m2.String())
		}
	}
	for _, tc := range []struct{ src, want string }{
		{"const @a : i4[] = 8", "8 out of range for i4"},
		{"const @a : i4[] = -9", "9 out of range for i4"},
		{"const @a : u4[] = 16", "16 out of range for u4"},
		{"const @a : f8e4m3fn[] = 500", "500 out of range for f8e4m3fn"},
		{"const @a : f8e4m3fn[] = inf", "f8e4m3fn has no infinities"},
		{"const @a : f4e2m1[] = nan", "f4e2m1 has no NaN"},
		{"const @a : f4e2m1[] = 7", "7 out of range for f4e2m1"},
		{"const @a : f8e5m2[] = nan(0x7c)", "is not the code of a NaN of f8e5m2"},
		{"const @a : f8e4m3fnuz[] = nan(0xff)", "is not the code of a NaN of f8e4m3fnuz"},
	} {
		_, err := Parse("e.kir", []byte(tc.src), ParseOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q): error %v, want %q", tc.src, err, tc.want)
		}
	}
}
