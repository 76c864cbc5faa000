package codegen

import (
	"slices"
	"strings"
	"testing"
)

// TestSequenceAPI checks what a package with sequence and optional inputs
// and outputs declares: their Go types in Inputs and Outputs, the checks
// Run makes, the generated types and kernel library files, and the
// manifest's kinds (element type and shape of the tensors inside, -1 for
// dims each item gives) with no arena space for them.
func TestSequenceAPI(t *testing.T) {
	pkg, err := Compile(parseKIR(t, `
func @main(%s: seq<f32[?,3]>, %o: opt<i64[2]>, %p: i64[]) -> ("y": seq<f32[?,3]>, "n": i64[], "z": opt<seq<f32[?,3]>>) {
  %y = SequenceErase(%s, %p) : seq<f32[?,3]>
  %n = SequenceLength(%y) : i64[]
  %z = Optional(%y) : opt<seq<f32[?,3]>>
  return %y, %n, %z
}
`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	model := string(pkg.Files["model.go"])
	for _, want := range []string{
		"S Sequence\n", "O Optional\n", "Y Sequence\n", "Z Optional\n",
		`checkSequence("s", in.S, "float32", true, -1, 3)`,
		`checkOptional("o", in.O, false, "int64", true, 2)`,
		"out.Y = cloneSequence(", "out.Z = cloneOptional(",
		"func (s *Session) RunNamed(in map[string]any) (map[string]any, error)",
	} {
		if !strings.Contains(model, want) {
			t.Errorf("model.go does not contain %q", want)
		}
	}
	for _, f := range []string{"seqtypes.go", "sequence.go"} {
		if _, ok := pkg.Files[f]; !ok {
			t.Errorf("the package has no %s", f)
		}
	}
	if k := string(pkg.Files["kernels.go"]); !strings.Contains(k, "seqErase(*s, pos[0], true)") {
		t.Errorf("kernels.go does not call seqErase:\n%s", k)
	}
	in, out := pkg.Manifest.Inputs, pkg.Manifest.Outputs
	if in[0].Kind != "sequence" || in[0].DType != "f32" || !slices.Equal(in[0].Shape, []int{-1, 3}) || in[1].Kind != "optional" || in[2].Kind != "" {
		t.Errorf("manifest inputs %+v", in)
	}
	if out[0].Kind != "sequence" || out[1].Kind != "" || out[2].Kind != "optional sequence" {
		t.Errorf("manifest outputs %+v", out)
	}
	// Only SequenceLength's scalar lives in the arena.
	if pkg.Manifest.Memory.ArenaBytes > 64*8 || len(pkg.Manifest.Memory.Buffers) != 1 {
		t.Errorf("memory plan %+v: want one small buffer", pkg.Manifest.Memory)
	}
	// A model of tensors only keeps RunNamed on Tensors and gets no
	// sequence types.
	pkg, err = Compile(parseKIR(t, `
func @main(%x: f32[2]) -> ("y": f32[2]) {
  %y = Neg(%x) : f32[2]
  return %y
}
`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := pkg.Files["seqtypes.go"]; ok || !strings.Contains(string(pkg.Files["model.go"]), "RunNamed(in map[string]Tensor)") {
		t.Error("a model of tensors only has seqtypes.go or a RunNamed on other values")
	}
}

// TestSequenceRefusals checks the sequences and optionals codegen does
// not compile: nested sequences, and a tensor whose shape only the run
// knows read by an op that runs on static shapes only.
func TestSequenceRefusals(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"nested", `
func @main(%s: seq<seq<f32[2]>>) -> ("n": i64[]) {
  %n = SequenceLength(%s) : i64[]
  return %n
}
`, "codegen compiles sequences and optionals of tensors, and optional sequences of tensors, only"},
		{"static op on an item", `
const @zero : i64[] = 0

func @main(%s: seq<f32[*]>) -> ("y": f32[*]) {
  %x = SequenceAt(%s, @zero) : f32[*]
  %y = Softmax(%x) : f32[*]
  return %y
}
`, "codegen runs Softmax on static shapes only"},
		{"strings", `
func @main(%s: seq<string[2]>) -> ("n": i64[]) {
  %n = SequenceLength(%s) : i64[]
  return %n
}
`, "of f32, f64, i32, i64 and bool only so far"},
		{"narrow integers", `
func @main(%s: seq<u8[2]>) -> ("n": i64[]) {
  %n = SequenceLength(%s) : i64[]
  return %n
}
`, "of f32, f64, i32, i64 and bool only so far"},
	}
	for _, c := range cases {
		_, err := Compile(parseKIR(t, c.src), Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// TestBoxedInControlFlow checks that a tensor whose shape only the run
// knows is refused where an If or a Loop needs a static one.
func TestBoxedInControlFlow(t *testing.T) {
	_, err := Compile(parseKIR(t, `
const @zero : i64[] = 0

func @main(%s: seq<f32[?]>, %c: bool[]) -> ("y": f32[3]) {
  %x = SequenceAt(%s, @zero) : f32[?]
  %y = If(%c) : f32[3] {
    then_branch() {
      %a = Identity(%x) : f32[?]
      return %a
    }
    else_branch() {
      %b = Identity(%x) : f32[?]
      return %b
    }
  }
  return %y
}
`), Options{})
	if err == nil || !strings.Contains(err.Error(), "known only at run time") {
		t.Errorf("an If returning a boxed tensor: error %v", err)
	}
}
