package codegen

import (
	"strings"
	"testing"
)

// TestTailRefusals checks that the generic kernels' emitters refuse
// operands they cannot compile with an error naming the problem, rather
// than writing a package that does not build.
func TestTailRefusals(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{
			name: "MaxPool on f16",
			src: `
func @main(%x: f16[1,1,4,4]) -> ("y": f16[1,1,2,2]) {
  %y = MaxPool(%x) {kernel_shape = [2, 2], strides = [2, 2]} : f16[1,1,2,2]
  return %y
}
`,
			want: []string{"MaxPool on f16", "only by casting"},
		},
		{
			name: "Dropout ratio not a scalar",
			src: `
func @main(%x: f32[4], %r: f32[2], %t: bool[]) -> ("y": f32[4]) {
  %y = Dropout(%x, %r, %t) : f32[4]
  return %y
}
`,
			want: []string{"ratio", "f32[2]", "scalar"},
		},
		{
			name: "Einsum over u8",
			src: `
func @main(%x: u8[2,2]) -> ("y": u8[2]) {
  %y = Einsum(%x) {equation = "ii->i"} : u8[2]
  return %y
}
`,
			want: []string{"Einsum of u8", "not supported"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(parseKIR(t, tc.src), Options{})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
