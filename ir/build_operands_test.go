package ir

import (
	"strings"
	"testing"
)

// TestAbsentOperands checks which operand positions may be nil: optional
// ones and values of an optional variadic position (Loop's carried values
// in kiln's own form), never a value of a required variadic position
// (SequenceConstruct's, Concat's), which inference would dereference.
// Build refuses the op; Verify finds one built around Build.
func TestAbsentOperands(t *testing.T) {
	f32 := TensorType(F32, ShapeOf(2))
	for _, tc := range []struct {
		name  string
		holes []bool // which operands are nil
		attrs []Attr
		want  string // "" when legal
	}{
		{"SequenceConstruct", []bool{false, true}, nil, "SequenceConstruct: operand 1 (an item of variadic inputs) is absent"},
		{"SequenceConstruct", []bool{true}, nil, "SequenceConstruct: operand 0 (an item of variadic inputs) is absent"},
		{"Concat", []bool{false, false, true}, []Attr{{Name: "axis", Value: IntAttr(0)}}, "Concat: operand 2 (an item of variadic inputs) is absent"},
		{"Sum", []bool{false, true}, nil, "Sum: operand 1 (an item of variadic data_0) is absent"},
		{"Clip", []bool{false, true, true}, nil, ""},
		{"Concat", []bool{false, false}, []Attr{{Name: "axis", Value: IntAttr(0)}}, ""},
	} {
		m := NewModule()
		f := m.NewFunc("main")
		x := f.AddInput("x", f32)
		args := make([]*Value, len(tc.holes))
		for i, h := range tc.holes {
			if !h {
				args[i] = x
			}
		}
		_, err := f.Body.Build(tc.name, args, tc.attrs, 1)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %v: %v", tc.name, tc.holes, err)
		case tc.want == "":
		case err == nil || !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s %v: Build error %v, want %q", tc.name, tc.holes, err, tc.want)
		}
		if tc.want == "" {
			continue
		}
		// The same op placed without inference: the verifier objects.
		op := f.Body.NewOp(tc.name, args, tc.attrs, []Type{f32})
		f.Body.Results = []*Value{op.Results[0]}
		f.OutputNames = []string{"y"}
		want := strings.Replace(tc.want, tc.name+": ", "", 1)
		if err := Verify(m); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s %v: Verify error %v, want %q", tc.name, tc.holes, err, want)
		}
	}
}
