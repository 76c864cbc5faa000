package codegen

import (
	"os"
	"os/exec"
	"path/filepath"
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
	if err == nil || !strings.Contains(err.Error(), "depends on the data") || !strings.Contains(err.Error(), "then_branch") {
		t.Errorf("an If returning a boxed tensor: error %v", err)
	}
}

// seqErrorsMain drives a compiled package with sequence and optional
// inputs the model does not take: each case prints its error, or "ok".
const seqErrorsMain = `package main

import (
	"fmt"

	"x/m"
)

func main() {
	mod, err := m.Load()
	if err != nil {
		panic(err)
	}
	s := mod.NewSession()
	item := func(shape []int, v ...float32) m.Tensor { return m.Tensor{Shape: shape, F32: v} }
	good := m.Sequence{item([]int{1, 3}, 1, 2, 3), item([]int{2, 3}, 1, 2, 3, 4, 5, 6)}
	pos := func(p int64) m.Tensor { return m.Tensor{Shape: []int{}, I64: []int64{p}} }
	opt := m.Optional{Present: true, Tensor: item([]int{2}, 7, 8)}
	cases := []struct {
		name string
		in   m.Inputs
	}{
		{"good", m.Inputs{S: good, P: pos(-2), O: opt}},
		{"empty sequence, empty optional", m.Inputs{S: m.Sequence{}, P: pos(0), O: m.Optional{}}},
		{"position past the end", m.Inputs{S: good, P: pos(2), O: opt}},
		{"position before the start", m.Inputs{S: good, P: pos(-3), O: opt}},
		{"item of another width", m.Inputs{S: m.Sequence{item([]int{1, 2}, 1, 2)}, P: pos(0), O: opt}},
		{"item of another rank", m.Inputs{S: m.Sequence{item([]int{3}, 1, 2, 3)}, P: pos(0), O: opt}},
		{"item of another element type", m.Inputs{S: m.Sequence{{Shape: []int{1, 3}, I64: []int64{1, 2, 3}}}, P: pos(0), O: opt}},
		{"item short of elements", m.Inputs{S: m.Sequence{item([]int{2, 3}, 1, 2, 3)}, P: pos(0), O: opt}},
		{"optional of another shape", m.Inputs{S: good, P: pos(0), O: m.Optional{Present: true, Tensor: item([]int{3}, 1, 2, 3)}}},
	}
	for _, c := range cases {
		out, err := s.Run(c.in)
		if err != nil {
			fmt.Printf("%s: %v\n", c.name, err)
			continue
		}
		fmt.Printf("%s: ok, %d items, %d elements first, length %v, has %v\n", c.name, len(out.Y), len(out.First.F32), out.N.I64, out.Has.Bool)
	}
	_, err = s.RunNamed(map[string]any{"s": good, "p": good, "o": opt})
	fmt.Printf("wrong kind: %v\n", err)
}
`

// TestSequenceRunErrors runs a compiled package on sequence and optional
// inputs it must refuse: positions out of range, items of the wrong
// shape, rank, element type or length, and a value of the wrong kind
// given to RunNamed. Each gives an error, none a panic.
func TestSequenceRunErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a generated package with the Go toolchain")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	pkg, err := Compile(parseKIR(t, `
func @main(%s: seq<f32[?,3]>, %p: i64[], %o: opt<f32[2]>) -> ("y": seq<f32[?,3]>, "first": f32[?,3], "n": i64[], "has": bool[]) {
  %y = SequenceErase(%s, %p) : seq<f32[?,3]>
  %first = SequenceAt(%s, %p) : f32[?,3]
  %n = SequenceLength(%y) : i64[]
  %has = OptionalHasElement(%o) : bool[]
  return %y, %first, %n, %has
}
`), Options{Package: "m"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "m"), 0o777); err != nil {
		t.Fatal(err)
	}
	for name, b := range pkg.Files {
		if err := os.WriteFile(filepath.Join(dir, "m", name), b, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{"go.mod": "module x\n\ngo 1.22\n", "main.go": seqErrorsMain}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(goBin, "run", ".")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := []string{
		"good: ok, 1 items, 3 elements first, length [1], has [true]",
		`empty sequence, empty optional: SequenceErase : erasing from an empty sequence`,
		"position past the end: SequenceErase : position 2 out of range for a sequence of 2",
		"position before the start: SequenceErase : position -3 out of range for a sequence of 2",
		`item of another width: input "s[0]": shape [1 2], want [1 3] (dim 1)`,
		`item of another rank: input "s[0]": shape [3] has rank 1, want 2`,
		`item of another element type: input "s[0]": want float32 data`,
		`item short of elements: input "s[0]": 3 elements for shape [2 3], want 6`,
		`optional of another shape: input "o": shape [3], want [2] (dim 0)`,
		`wrong kind: input "p": is a m.Sequence, want a Tensor`,
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), out)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}
