package ir

import (
	"strings"
	"testing"
)

// nestedIfs returns a module whose If ops nest depth deep, built directly
// (the text parser bounds nesting on its own, lower).
func nestedIfs(depth int) *Module {
	m := NewModule()
	f := m.NewFunc("main")
	c := f.AddInput("c", TensorType(Bool, ShapeOf()))
	x := f.AddInput("x", TensorType(F32, ShapeOf(2)))
	t := x.Type
	r := f.Body
	var outer *Op
	for i := 0; i < depth; i++ {
		op := r.NewOp("If", []*Value{c}, nil, []Type{t})
		if outer == nil {
			outer = op
		}
		then := op.AddRegion("then_branch")
		op.AddRegion("else_branch").Results = []*Value{x}
		if i > 0 {
			r.Results = []*Value{op.Results[0]}
		}
		r = then
	}
	r.Results = []*Value{x}
	f.AddOutput("y", outer.Results[0])
	return m
}

// TestVerifyBoundsNesting checks that Verify accepts regions nested up to
// MaxRegionDepth and refuses deeper nesting with an error.
func TestVerifyBoundsNesting(t *testing.T) {
	for _, tc := range []struct {
		depth int
		ok    bool
	}{{3, true}, {MaxRegionDepth, true}, {MaxRegionDepth + 1, false}} {
		err := Verify(nestedIfs(tc.depth))
		if tc.ok && err != nil {
			t.Errorf("depth %d: %v", tc.depth, err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "regions nest more than 256 deep")) {
			t.Errorf("depth %d: got %v, want a nesting error", tc.depth, err)
		}
	}
}
