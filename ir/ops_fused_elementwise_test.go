package ir

import (
	"strings"
	"testing"
)

// The op kinds the group pass reads, by op type: the fusion classes of
// the op table (elementwise, broadcast, injective, reduction, opaque).
func TestOpKinds(t *testing.T) {
	for _, c := range []struct {
		op   string
		kind OpKind
	}{
		{"Sqrt", Elementwise}, {"Relu", Elementwise}, {"Log", Elementwise}, {"Cast", Elementwise},
		{"Add", Broadcast}, {"Pow", Broadcast}, {"Where", Broadcast}, {"Clip", Broadcast}, {"PRelu", Broadcast},
		{"Slice", Injective}, {"Concat", Injective}, {"Transpose", Injective}, {"Reshape", Injective}, {"Gather", Injective},
		{"ReduceMean", Reduction}, {"ReduceSum", Reduction},
		{"Conv", Opaque}, {"MatMul", Opaque}, {"LSTM", Opaque}, {"If", Opaque},
		{"kiln.FusedElementwise", Opaque}, {"kiln.FusedConv", Opaque},
	} {
		d := Lookup(c.op)
		if d == nil {
			t.Errorf("%s is not in the op table", c.op)
			continue
		}
		if d.Kind != c.kind {
			t.Errorf("%s is %v, want %v", c.op, d.Kind, c.kind)
		}
	}
}

const groupModule = `func @main(%a: f32[2,3], %b: f32[3]) -> ("y": f32[2,3]) {
  %y = kiln.FusedElementwise(%a, %b) : f32[2,3] {
    element(%x: f32[], %c: f32[]) {
      %s = Sub(%x, %c) : f32[]
      %r = Relu(%s) : f32[]
      return %r
    }
  }
  return %y
}
`

// kiln.FusedElementwise prints and parses back to itself, and unfuses to
// its element region's ops on the whole operands.
func TestFusedElementwiseUnfuse(t *testing.T) {
	m, err := Parse("group.kir", []byte(groupModule), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(m); err != nil {
		t.Fatal(err)
	}
	text := m.String()
	m2, err := Parse("again.kir", []byte(text), ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m2.String() != text {
		t.Fatalf("does not print back identically:\n%s\n%s", text, m2.String())
	}
	n, err := Unfuse(m.Func("main").Body)
	if err != nil || n != 1 {
		t.Fatalf("Unfuse = %d, %v; want 1 op unfused", n, err)
	}
	if err := Verify(m); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, op := range m.Func("main").Body.Ops {
		got = append(got, op.Name+" "+op.Results[0].Type.String())
	}
	if want := []string{"Sub f32[2,3]", "Relu f32[2,3]"}; strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("unfused to %q, want %q", got, want)
	}
	if r := m.Func("main").Body.Results[0]; r.Def == nil || r.Def.Name != "Relu" || r.Name != "y" {
		t.Errorf("the result is %v, want the Relu named y", r)
	}
}

// The verifier refuses ill-formed groups with a message naming the
// problem.
func TestFusedElementwiseErrors(t *testing.T) {
	for _, c := range []struct {
		name, src, want string
	}{
		{"reduction inside", `func @main(%a: f32[2,3]) -> ("y": f32[2,3]) {
  %y = kiln.FusedElementwise(%a) : f32[2,3] {
    element(%x: f32[]) {
      %s = ReduceMax(%x) {keepdims = 1} : f32[]
      return %s
    }
  }
  return %y
}
`, "element op ReduceMax is not elementwise"},
		{"element types differ", `func @main(%a: f32[2,3], %b: f64[2,3]) -> ("y": f32[2,3]) {
  %y = kiln.FusedElementwise(%a, %b) : f32[2,3] {
    element(%x: f32[], %c: f64[]) {
      return %x
    }
  }
  return %y
}
`, "is f64[2,3], but T is f32[2,3]"},
		{"shapes do not broadcast", `func @main(%a: f32[2,3], %b: f32[4]) -> ("y": f32[2,3]) {
  %y = kiln.FusedElementwise(%a, %b) : f32[2,3] {
    element(%x: f32[], %c: f32[]) {
      %s = Add(%x, %c) : f32[]
      return %s
    }
  }
  return %y
}
`, "operand 1: cannot broadcast"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse("bad.kir", []byte(c.src), ParseOptions{})
			if err == nil {
				err = Verify(m)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}
