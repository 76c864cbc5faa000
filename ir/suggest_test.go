package ir

import (
	"strings"
	"testing"
)

// TestVerifyDidYouMean checks that Verify, which sees modules built in
// code as well as parsed ones, suggests the declared op or attribute
// nearest to an unknown one, and suggests nothing when none is near.
func TestVerifyDidYouMean(t *testing.T) {
	for _, tc := range []struct {
		op, attr string
		want     string
	}{
		{"Reul", "", `unknown op "Reul" (did you mean "Relu"?)`},
		{"Sofmtax", "", `unknown op "Sofmtax" (did you mean "Softmax"?)`},
		{"Qwertyuiop", "", `unknown op "Qwertyuiop"`},
		{"Softmax", "axsi", `unknown attribute "axsi" (did you mean "axis"?)`},
		{"Softmax", "zzzzz", `unknown attribute "zzzzz"`},
	} {
		m := NewModule()
		f := m.NewFunc("main")
		x := f.AddInput("x", TensorType(F32, ShapeOf(2)))
		op := f.Body.NewOp(tc.op, []*Value{x}, nil, []Type{TensorType(F32, ShapeOf(2))})
		if tc.attr != "" {
			op.SetAttr(tc.attr, AttrValue{Kind: AttrInt, Int: 0})
		}
		f.AddOutput("y", op.Results[0])
		err := Verify(m)
		if err == nil {
			t.Errorf("%s %s: Verify passed", tc.op, tc.attr)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) {
			t.Errorf("%s %s: got %q, want it to contain %q", tc.op, tc.attr, msg, tc.want)
		}
		if !strings.Contains(tc.want, "did you mean") && strings.Contains(msg, "did you mean") {
			t.Errorf("%s %s: got %q, want no suggestion", tc.op, tc.attr, msg)
		}
	}
}
