package interp

import (
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

func TestTensorOperands(t *testing.T) {
	x := Scalar(int64(1))
	seq := &Sequence{Elem: x.Type()}
	f := FromSlice([]int{1}, []float32{1})
	for _, c := range []struct {
		name        string
		args        []Value
		need, total int
		wantLen     int
		wantErr     string
	}{
		{"exact", []Value{x, x}, 2, 2, 2, ""},
		{"padded", []Value{x}, 1, 3, 3, ""},
		{"longer than total", []Value{x, x, x}, 1, 2, 3, ""},
		{"absent optional", []Value{x, nil}, 1, 2, 2, ""},
		{"none needed", nil, 0, 0, 0, ""},
		{"missing trailing", []Value{x}, 2, 2, 0, "missing operand 1"},
		{"missing nil", []Value{x, nil, x}, 3, 3, 0, "missing operand 1"},
		{"not a tensor", []Value{x, seq}, 1, 2, 0, "operand 1 is "},
		{"optional not a tensor", []Value{f, nil, seq}, 1, 3, 0, "want a tensor"},
	} {
		ts, err := tensorOperands(c.args, c.need, c.total)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err %v, want %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(ts) != c.wantLen {
			t.Errorf("%s: %d tensors, want %d", c.name, len(ts), c.wantLen)
		}
		for i, a := range c.args {
			if (a == nil) != (ts[i] == nil) {
				t.Errorf("%s: operand %d presence changed", c.name, i)
			}
		}
		for i := len(c.args); i < len(ts); i++ {
			if ts[i] != nil {
				t.Errorf("%s: padding %d is not nil", c.name, i)
			}
		}
	}
	if _, err := floatTensorOperands([]Value{x}, 1, 1); err == nil {
		t.Errorf("floatTensorOperands accepted %v", x.DType)
	}
	if ts, err := floatTensorOperands([]Value{f}, 1, 2); err != nil || len(ts) != 2 || ts[0].DType != ir.F32 {
		t.Errorf("floatTensorOperands(float32) = %v, %v", ts, err)
	}
}
