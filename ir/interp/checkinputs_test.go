package interp

import (
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// TestCheckInputsDimExpressions checks inputs whose declared dims are
// expressions: they are checked once earlier dims bind their symbols.
func TestCheckInputsDimExpressions(t *testing.T) {
	m, err := ir.Parse("t.kir", []byte(`func @main(%0 "x": f32[n], %1 "y": f32[2*n,(n+1)/2], %2 "z": f32[m+1]) -> () {
  return
}
`), ir.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := m.Funcs[0]
	f32 := func(shape ...int) Value { return NewTensor(ir.F32, shape) }
	for _, tc := range []struct {
		name string
		in   []Value
		want string
	}{
		{"ok", []Value{f32(3), f32(6, 2), f32(5)}, ""},
		{"n = 0", []Value{f32(0), f32(0, 0), f32(1)}, ""},
		{"2*n wrong", []Value{f32(3), f32(5, 2), f32(5)}, "dim 0 (2*n) is 5, but the inputs bound so far make it 6"},
		{"(n+1)/2 wrong", []Value{f32(3), f32(6, 1), f32(5)}, "dim 1 ((n+1)/2) is 1, but the inputs bound so far make it 2"},
	} {
		err := CheckInputs(f, tc.in)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
}
