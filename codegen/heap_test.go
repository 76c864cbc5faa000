package codegen

import (
	"slices"
	"strings"
	"testing"
)

// TestHeapOutputs checks how a result whose shape depends on the data is
// compiled: as an output, allocated by its kernel, marked in the manifest
// (-1 for the unknown dim) and in the doc comment, and taking no arena
// space; read by another op, it is refused with an error saying why.
func TestHeapOutputs(t *testing.T) {
	pkg, err := Compile(parseKIR(t, `
func @main(%x: f32[2,3]) -> ("idx": i64[2,?], "y": f32[2,3]) {
  %idx = NonZero(%x) : i64[2,?]
  %y = Neg(%x) : f32[2,3]
  return %idx, %y
}
`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := pkg.Manifest.Outputs
	if !out[0].HeapAllocated || !slices.Equal(out[0].Shape, []int{2, -1}) || out[1].HeapAllocated {
		t.Errorf("manifest outputs %+v: want idx heap-allocated with shape [2 -1], y not", out)
	}
	if pkg.Manifest.Memory.ArenaBytes > 64*4 {
		t.Errorf("arena of %d bytes holds more than y", pkg.Manifest.Memory.ArenaBytes)
	}
	model := string(pkg.Files["model.go"])
	for _, want := range []string{"allocates it on the heap", "out.Idx = v"} {
		if !strings.Contains(model, want) {
			t.Errorf("model.go does not contain %q", want)
		}
	}
	if _, ok := pkg.Files["dynamic.go"]; !ok {
		t.Error("the package does not carry dynamic.go")
	}
	// Read by an elementwise op, it is computed over the shape found at
	// run time (emit_runshape.go); an op that has no such form is refused.
	pkg, err = Compile(parseKIR(t, `
func @main(%x: f32[2,3]) -> ("y": i64[2,?]) {
  %idx = NonZero(%x) : i64[2,?]
  %y = Neg(%idx) : i64[2,?]
  return %y
}
`), Options{})
	if err != nil {
		t.Errorf("a data-dependent result read by Neg: %v", err)
	} else if k := string(pkg.Files["kernels.go"]); !strings.Contains(k, "func negRT1(x0, y *Tensor) error") {
		t.Errorf("kernels.go has no Neg over run-time shapes:\n%s", k)
	}
	_, err = Compile(parseKIR(t, `
func @main(%x: f32[2,3]) -> ("y": i64[?,2]) {
  %idx = NonZero(%x) : i64[2,?]
  %y = Transpose(%idx) {perm = [1, 0]} : i64[?,2]
  return %y
}
`), Options{})
	if err == nil || !strings.Contains(err.Error(), "known only at run time") || !strings.Contains(err.Error(), "Transpose") {
		t.Errorf("a data-dependent result read by Transpose: error %v", err)
	}
	// A Range of operands read at run time has a length known only then.
	pkg, err = Compile(parseKIR(t, `
func @main(%a: i64[], %b: i64[], %c: i64[]) -> ("r": i64[?]) {
  %r = Range(%a, %b, %c) : i64[?]
  return %r
}
`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out := pkg.Manifest.Outputs; !out[0].HeapAllocated || !slices.Equal(out[0].Shape, []int{-1}) {
		t.Errorf("Range of run-time operands: manifest output %+v", out[0])
	}
	if k := string(pkg.Files["kernels.go"]); !strings.Contains(k, "rangeInt(start[0], limit[0], delta[0])") {
		t.Errorf("kernels.go does not call rangeInt:\n%s", k)
	}
}
