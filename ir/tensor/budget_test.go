package tensor

import (
	"errors"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// newRecovered is New with its *SizeError panic returned.
func newRecovered(d ir.DType, shape []int) (t *Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*SizeError)
			if !ok {
				panic(r)
			}
			err = se
		}
	}()
	return New(d, shape), nil
}

func TestBudget(t *testing.T) {
	old := SetMaxBytes(1000)
	defer SetMaxBytes(old)
	if got := MaxBytes(); got != 1000 {
		t.Fatalf("MaxBytes = %d after SetMaxBytes(1000)", got)
	}
	for _, tc := range []struct {
		d     ir.DType
		shape []int
		want  string // "" when it fits
	}{
		{ir.F32, []int{250}, ""},
		{ir.F32, []int{251}, "tensor f32[251] needs 1004 bytes, over the memory budget of 1000 bytes"},
		{ir.F64, []int{5, 25}, ""},
		{ir.F64, []int{5, 26}, "tensor f64[5 26] needs 1040 bytes"},
		{ir.String, []int{63}, "tensor string[63] needs 1008 bytes"},
		{ir.U8, []int{0, 1 << 40}, ""},
		{ir.U8, []int{1 << 32, 1 << 32}, "negative or overflowing size"},
		{ir.U8, []int{-1}, "negative or overflowing size"},
	} {
		x, err := newRecovered(tc.d, tc.shape)
		if tc.want == "" {
			if err != nil || x.Len() != NumElements(tc.shape) {
				t.Errorf("New(%v, %v): %v", tc.d, tc.shape, err)
			}
			continue
		}
		var se *SizeError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v, %v) = %v, want a SizeError containing %q", tc.d, tc.shape, err, tc.want)
		}
	}
	// Reserve and ReserveBytes bound working space the same way.
	for i, tc := range []struct {
		f  func()
		ok bool
	}{
		{func() { Reserve(ir.I64, 125) }, true},
		{func() { Reserve(ir.I64, 126) }, false},
		{func() { ReserveBytes(100, 10) }, true},
		{func() { ReserveBytes(101, 10) }, false},
		{func() { ReserveBytes(-1, 1) }, false},
	} {
		ok := func() (ok bool) {
			defer func() {
				if r := recover(); r != nil {
					_, ok = r.(*SizeError)
					ok = !ok
				}
			}()
			tc.f()
			return true
		}()
		if ok != tc.ok {
			t.Errorf("reservation %d: fits %v, want %v", i, ok, tc.ok)
		}
	}
	// Zero restores the default, half the physical memory where known.
	SetMaxBytes(0)
	if MaxBytes() != DefaultMaxBytes() || DefaultMaxBytes() <= 0 {
		t.Errorf("after SetMaxBytes(0): %d, default %d", MaxBytes(), DefaultMaxBytes())
	}
}
