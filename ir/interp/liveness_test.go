package interp

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// livenessText is a function whose values die at different places: %a is
// read last inside the If's then branch (so by the If), %b inside the else
// branch and then by the Sub, %unused is never read, the param %x last by
// the Neg, %keep and %y are outputs and so are never dropped; inside the
// Loop body %v dies at the Neg, %t at the Mul, and the body's results
// (%cond, %u) stay.
const livenessText = `func @main(%x: f32[2], %c: bool[], %n: i64[]) -> ("y": f32[2], "keep": f32[2], "l": f32[2]) {
  %a = Relu(%x) : f32[2]
  %b = Add(%x, %x) : f32[2]
  %unused = Abs(%a) : f32[2]
  %keep = Neg(%x) : f32[2]
  %r = If(%c) : f32[2] {
    then_branch() {
      %in = Sigmoid(%a) : f32[2]
      return %in
    }
    else_branch() {
      return %b
    }
  }
  %y = Sub(%r, %b) : f32[2]
  %l = Loop(%n, _, %y) : f32[2] {
    body(%i: i64[], %cond: bool[], %v: f32[2]) {
      %t = Neg(%v) : f32[2]
      %u = Mul(%t, %t) : f32[2]
      return %cond, %u
    }
  }
  return %y, %keep, %l
}
`

// TestLiveness checks which values each op drops after it runs, in the
// function body and in a Loop body, against lists worked out by hand from
// livenessText.
func TestLiveness(t *testing.T) {
	m, err := ir.Parse("liveness.kir", []byte(livenessText), ir.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(m); err != nil {
		t.Fatal(err)
	}
	show := func(r *ir.Region) string {
		var lines []string
		for i, names := range computeLiveness(r) {
			var ns []string
			for _, v := range names {
				ns = append(ns, v.Name)
			}
			slices.Sort(ns)
			lines = append(lines, fmt.Sprintf("%s: %s", r.Ops[i].Name, strings.Join(ns, " ")))
		}
		return strings.Join(lines, "\n")
	}
	body := m.Funcs[0].Body
	for _, tc := range []struct {
		name string
		r    *ir.Region
		want string
	}{
		{"main", body, "Relu: \nAdd: \nAbs: unused\nNeg: x\nIf: a c\nSub: b r\nLoop: n"},
		{"loop body", body.Ops[6].Regions[0], "Neg: v\nMul: t"},
		{"then branch", body.Ops[4].Regions[0], "Sigmoid: "},
	} {
		if got := show(tc.r); got != tc.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

// TestLivenessRun runs livenessText: dropping values must not change what
// the function computes, in either branch, and with the Loop running
// several iterations.
func TestLivenessRun(t *testing.T) {
	m, err := ir.Parse("liveness.kir", []byte(livenessText), ir.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	in := New(m, Options{})
	for _, tc := range []struct {
		cond  bool
		trips int64
		want  string
	}{
		// then: r = sigmoid(relu(x)); y = r - 2x.
		// x = [0, -1]: relu = [0, 0], sigmoid = 0.5, y = [0.5, 2.5].
		{true, 1, "f32[2] [0.5 2.5] f32[2] [-0 1] f32[2] [0.25 6.25]"},
		// else: r = 2x, y = 0; the loop squares 0 twice.
		{false, 2, "f32[2] [0 0] f32[2] [-0 1] f32[2] [0 0]"},
		// then with three iterations: 0.5 → 0.25 → 0.0625 → 0.00390625.
		{true, 3, "f32[2] [0.5 2.5] f32[2] [-0 1] f32[2] [0.00390625 1525.8789]"},
	} {
		out, err := in.Run("", []Value{vec[float32](0, -1), Scalar(tc.cond), Scalar(tc.trips)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range out {
			got = append(got, o.(*Tensor).String())
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("cond %v, %d trips: got %s, want %s", tc.cond, tc.trips, g, tc.want)
		}
	}
}
