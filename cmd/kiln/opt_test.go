package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/internal/testenv"
)

const optSrc = `const @one : f32[] = 1
const @uno : f32[] = 1
func @main(%x "x": f32[4]) -> ("y": f32[4]) {
  %i = Identity(%x) : f32[4]
  %a = Add(%i, @one) : f32[4]
  %b = Add(%i, @uno) : f32[4]
  %c = Mul(%a, %b) : f32[4]
  return %c
}
`

func TestOptRunsPipeline(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.kir")
	if err := os.WriteFile(in, []byte(optSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	dump := filepath.Join(dir, "dump")
	code, stdout, stderr := runCLI("opt", "--time-passes", "--print-after", "cse", "--dump-dir", dump, in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// cse merged the two Adds; group made the Add and the Mul one loop.
	want := "  %c = kiln.FusedElementwise(%x) : f32[4] {\n    element(%x#1: f32[]) {\n      %a = Add(%x#1, @one) : f32[]\n      %3 = Mul(%a, %a) : f32[]\n"
	if !strings.Contains(stdout, want) {
		t.Errorf("optimized module lacks\n%s\ngot:\n%s", want, stdout)
	}
	for _, s := range []string{"// ----- after cse -----", "ops merged=1", "removed Identity=1", "total"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dump, "*.kir"))
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if got := strings.Join(names, " "); got != "00-input.kir 01-noop.kir 02-fold.kir 03-cse.kir 04-fuse.kir 05-epilogue.kir 06-group.kir 07-dce.kir" {
		t.Errorf("dump dir holds %s", got)
	}
	// --passes none prints the module as it was read.
	code, stdout, _ = runCLI("opt", "--passes", "none", in)
	if code != 0 || !strings.Contains(stdout, "%b = Add(%i, @uno)") {
		t.Errorf("--passes none changed the module (exit %d):\n%s", code, stdout)
	}
}

func TestOptRefusesBadPipelines(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.kir")
	os.WriteFile(in, []byte(optSrc), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--passes", "cse,dcee"}, `unknown pass "dcee" (did you mean "dce"?)`},
		{[]string{"--passes", "cse,,dce"}, "empty pass name"},
		{[]string{"--disable-pass", "fodl"}, `unknown pass "fodl" (did you mean "fold"?)`},
		{[]string{"--print-after", "nope"}, `unknown pass "nope"`},
	} {
		code, _, stderr := runCLI(append(append([]string{"opt"}, c.args...), in)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, exitUsage, c.want)
		}
	}
}

func TestStatsJSON(t *testing.T) {
	model := testenv.SharedONNXModel(t, "silero-vad-v5.onnx")
	code, stdout, stderr := runCLI("stats", "--passes", "default", "--json", model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Imported int            `json:"imported_ops"`
		Ops      int            `json:"ops"`
		ByType   map[string]int `json:"by_type"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	sum := 0
	for _, n := range rep.ByType {
		sum += n
	}
	if sum != rep.Ops || rep.Ops >= rep.Imported || rep.ByType["Identity"] != 0 {
		t.Errorf("ops %d (by_type sums to %d, %d Identity) of %d imported", rep.Ops, sum, rep.ByType["Identity"], rep.Imported)
	}
}

func TestTargetsAndDumpTarget(t *testing.T) {
	code, stdout, stderr := runCLI("targets")
	if code != 0 || !strings.Contains(stdout, "board-512mb") || !strings.Contains(stdout, "RAM budget 256MiB") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.kir")
	os.WriteFile(in, []byte(optSrc), 0o644)
	code, stdout, stderr = runCLI("dump", "--target", "generic", in)
	if code != 0 || strings.Contains(stdout, "Identity") || !strings.Contains(stdout, "Mul(%a, %a)") {
		t.Errorf("dump --target generic (exit %d) did not run the pipeline:\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI("dump", in)
	if code != 0 || !strings.Contains(stdout, "Identity") {
		t.Errorf("dump without --target changed the module:\n%s", stdout)
	}
	code, _, stderr = runCLI("dump", "--target", "genric", in)
	if code != exitUsage || !strings.Contains(stderr, `did you mean "generic"?`) {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// A --target file that does not read or parse fails the command (exit 1)
// naming the file and line; a mistyped built-in name is a usage error.
func TestTargetFileErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.kir")
	os.WriteFile(in, []byte(optSrc), 0o644)
	bad := filepath.Join(dir, "bad.target")
	os.WriteFile(bad, []byte("name x\nbogus 1\n"), 0o644)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"stats", "--target", bad, in}, exitFailure, "bad.target:2: unknown key \"bogus\""},
		{[]string{"compile", in, "-o", filepath.Join(dir, "pkg"), "--target", bad}, exitFailure, "bad.target:2"},
		{[]string{"opt", "--target", dir, in}, exitFailure, "not a regular file"},
		{[]string{"dump", "--target", "genric", in}, exitUsage, `did you mean "generic"?`},
	} {
		code, _, stderr := runCLI(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want exit %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}
