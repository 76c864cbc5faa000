package ir

import (
	"math"
	"strings"
	"testing"
)

func TestElemCount(t *testing.T) {
	for _, tc := range []struct {
		dims []int64
		want int64
		err  string
	}{
		{nil, 1, ""},
		{[]int64{2, 3, 4}, 24, ""},
		{[]int64{0, math.MaxInt64}, 0, ""},
		{[]int64{math.MaxInt64, 0}, 0, ""},
		{[]int64{math.MaxInt64}, math.MaxInt64, ""},
		{[]int64{1 << 32, 1 << 31}, 0, "overflows"}, // 2^63 does not fit
		{[]int64{1 << 32, 1 << 32, 1 << 32}, 0, "overflows"},
		{[]int64{3, -1}, 0, "negative"},
	} {
		got, err := ElemCount(tc.dims)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ElemCount(%v) = %d, %v; want an error containing %q", tc.dims, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ElemCount(%v) = %d, %v; want %d", tc.dims, got, err, tc.want)
		}
		ints := make([]int, len(tc.dims))
		for i, d := range tc.dims {
			ints[i] = int(d)
		}
		if got2, err := ElemCountInts(ints); err != nil || got2 != got {
			t.Errorf("ElemCountInts(%v) = %d, %v; want %d", ints, got2, err, got)
		}
	}
}

func TestMemBytes(t *testing.T) {
	for _, tc := range []struct {
		d    DType
		n    int64
		want int64
		ok   bool
	}{
		{F32, 10, 40, true},
		{F64, 3, 24, true},
		{Bool, 7, 7, true},
		{String, 2, 32, true},
		{C128, 1, 16, true},
		{F32, math.MaxInt64 / 4, math.MaxInt64 / 4 * 4, true},
		{F32, math.MaxInt64/4 + 1, 0, false},
		{F32, -1, 0, false},
		{InvalidDType, 1, 0, false},
	} {
		got, err := MemBytes(tc.d, tc.n)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("MemBytes(%v, %d) = %d, %v; want %d (ok %v)", tc.d, tc.n, got, err, tc.want, tc.ok)
		}
	}
}

func TestCheckedArithmetic(t *testing.T) {
	const max, min = math.MaxInt64, math.MinInt64
	for _, tc := range []struct {
		a, b      int64
		sum, prod int64
		sok, pok  bool
	}{
		{2, 3, 5, 6, true, true},
		{max, 1, 0, max, false, true},
		{max, -1, max - 1, -max, true, true},
		{min, -1, 0, 0, false, false},
		{min, 1, min + 1, min, true, true},
		{1 << 32, 1 << 31, 1<<32 + 1<<31, 0, true, false},
		{-(1 << 32), 1 << 31, -(1 << 32) + 1<<31, -(1 << 63), true, true},
		{0, min, min, 0, true, true},
		{-1, min, 0, 0, false, false},
	} {
		if s, ok := CheckedAdd(tc.a, tc.b); ok != tc.sok || (ok && s != tc.sum) {
			t.Errorf("CheckedAdd(%d, %d) = %d, %v; want %d, %v", tc.a, tc.b, s, ok, tc.sum, tc.sok)
		}
		if p, ok := CheckedMul(tc.a, tc.b); ok != tc.pok || (ok && p != tc.prod) {
			t.Errorf("CheckedMul(%d, %d) = %d, %v; want %d, %v", tc.a, tc.b, p, ok, tc.prod, tc.pok)
		}
	}
}

// TestWindowResolveOverflow checks that window arithmetic on hostile
// attribute values is refused instead of wrapping to a plausible size.
func TestWindowResolveOverflow(t *testing.T) {
	const big = 1 << 62
	for _, tc := range []struct {
		name    string
		w       Window
		in      int64
		autoPad string
		ceil    bool
	}{
		{"dilated extent", Window{Kernel: 3, Stride: 1, Dilation: big}, 5, "", false},
		{"pads", Window{Kernel: 1, Stride: 1, Dilation: 1, PadBegin: big, PadEnd: big}, 5, "", false},
		{"same reach", Window{Kernel: 2, Stride: 4, Dilation: math.MaxInt64 - 3}, 5, "SAME_UPPER", false},
		{"kernel", Window{Kernel: math.MaxInt64, Stride: 1, Dilation: 2}, 5, "VALID", false},
	} {
		if out, _, err := tc.w.Resolve(tc.in, tc.autoPad, tc.ceil); err == nil || !strings.Contains(err.Error(), "overflows") {
			t.Errorf("%s: Resolve = %d, %v; want an overflow error", tc.name, out, err)
		}
	}
	// Large but representable: computed exactly.
	w := Window{Kernel: 1, Stride: 1, Dilation: 1, PadBegin: big, PadEnd: big - 10}
	if out, _, err := w.Resolve(5, "", false); err != nil || out != 2*big-5 {
		t.Errorf("Resolve = %d, %v; want %d", out, err, int64(2*big-5))
	}
	// ceil_mode: floor((5+2^62-1)/2^62)+1 = 2 windows; the partial third
	// would start at 2^63, which overflows and lies in the end padding
	// anyway, so it is dropped.
	w = Window{Kernel: 1, Stride: big, Dilation: 1, PadEnd: big}
	if out, _, err := w.Resolve(5, "", true); err != nil || out != 2 {
		t.Errorf("ceil Resolve = %d, %v; want 2", out, err)
	}
}
