package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/frontend/onnx/onnxtest"
)

// backendTest is a node test of the ONNX backend suite that needs only Add.
const backendTest = "/usr/share/libonnx-testdata/data/node/test_add"

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func needBackendData(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(backendTest, "model.onnx")); err != nil {
		t.Skipf("ONNX backend test data not installed (apt-get install libonnx-testdata): %v", err)
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{nil, exitUsage, "", "usage: kiln COMMAND"},
		{[]string{"help"}, exitOK, "commands:", ""},
		{[]string{"-h"}, exitOK, "commands:", ""},
		{[]string{"--help"}, exitOK, "commands:", ""},
		{[]string{"help", "run"}, exitOK, "usage: kiln run", ""},
		{[]string{"help", "nosuch"}, exitUsage, "", "unknown command"},
		{[]string{"nosuch"}, exitUsage, "", `unknown command "nosuch"`},
		{[]string{"run", "-h"}, exitOK, "", "usage: kiln run"},
		{[]string{"run"}, exitUsage, "", "want a model"},
		{[]string{"run", "/nonexistent/a.onnx", "b.npy"}, exitFailure, "", "no such file"},
		{[]string{"run", "--dim", "n=1", "a.onnx"}, exitUsage, "", "give --random-inputs too"},
		{[]string{"run", "--timeout", "-1s", "a.onnx"}, exitUsage, "", "must not be negative"},
		{[]string{"rnu"}, exitUsage, "", `unknown command "rnu"; did you mean "run"?`},
		{[]string{"help", "dupm"}, exitUsage, "", `did you mean "dump"?`},
		{[]string{"zzzzzz"}, exitUsage, "", "Run 'kiln help'"},
		{[]string{"help"}, exitOK, "3    internal error", ""},
		{[]string{"version"}, exitOK, "kiln ", ""},
		{[]string{"--version"}, exitOK, "go1.", ""},
		{[]string{"version", "x"}, exitUsage, "", "takes no arguments"},
		{[]string{"run", "--nosuchflag", "a.onnx"}, exitUsage, "", "flag provided but not defined"},
		{[]string{"run", "/nonexistent/model.onnx"}, exitFailure, "", "kiln run:"},
		{[]string{"ops", "-h"}, exitOK, "", "usage: kiln ops"},
		{[]string{"ops", "extra"}, exitUsage, "", "takes no arguments"},
		{[]string{"ops"}, exitOK, "kiln ops", ""},
		{[]string{"conformance", "-h"}, exitOK, "", "usage: kiln conformance"},
		{[]string{"conformance"}, exitUsage, "", "no test folders given"},
		{[]string{"conformance", "-j", "0", "x"}, exitUsage, "", "must be positive"},
		{[]string{"conformance", "/nonexistent"}, exitFailure, "", "kiln conformance:"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.inStdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.inStdout, stdout)
			}
			if !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.inStderr, stderr)
			}
		})
	}
}

func TestOpsListsTables(t *testing.T) {
	code, stdout, _ := runCLI("ops")
	if code != exitOK {
		t.Fatalf("exit code %d", code)
	}
	// Add is declared in both tables in every build (the worked example).
	for _, want := range []string{"ONNX ops imported", "  Add ", "1-6, 7+", "kiln ops", "broadcast",
		"(A:T, B:T) -> (C:T)", "T: a numeric type; traits: commutative in-place", "auto_pad:NOTSET|SAME_UPPER|SAME_LOWER|VALID",
		"group:int>=1", "V: tensor/seq/opt of any element type", "traits: epilogue"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("kiln ops output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestRunBindsInputs(t *testing.T) {
	needBackendData(t)
	model := filepath.Join(backendTest, "model.onnx")
	in0 := filepath.Join(backendTest, "test_data_set_0", "input_0.pb")
	in1 := filepath.Join(backendTest, "test_data_set_0", "input_1.pb")
	tests := []struct {
		name     string
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{"positional", []string{model, "--input", in0, "--input", in1}, exitOK, "sum\tf32\t[3,4,5]", ""},
		{"by name", []string{model, "--input", "y=" + in1, "--input", "x=" + in0}, exitOK, "sum\tf32\t[3,4,5]", ""},
		{"mixed", []string{model, "--input", "y=" + in1, "--input", in0}, exitOK, "sum\tf32\t[3,4,5]", ""},
		{"flags first", []string{"--input", in0, "--input", in1, model}, exitOK, "sum", ""},
		{"missing", []string{model, "--input", in0}, exitFailure, "", `missing input(s): "y"`},
		{"too many", []string{model, "--input", in0, "--input", in1, "--input", in1}, exitFailure, "", "too many"},
		{"twice", []string{model, "--input", "x=" + in0, "--input", "x=" + in1}, exitFailure, "", `input "x" given twice`},
		{"bad ext", []string{model, "--input", in0, "--input", "y.txt"}, exitFailure, "", "want a .npy or .pb"},
		{"no such file", []string{model, "--input", in0, "--input", "/nonexistent.pb"}, exitFailure, "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(append([]string{"run"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.inStdout) || !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("want stdout containing %q and stderr containing %q\nstdout: %s\nstderr: %s", tt.inStdout, tt.inStderr, stdout, stderr)
			}
		})
	}
}

func TestConformanceReport(t *testing.T) {
	needBackendData(t)
	code, stdout, stderr := runCLI("conformance", "-j", "2", backendTest, backendTest)
	if code != exitOK {
		t.Fatalf("exit code %d\n%s%s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 2 test lines and a summary, got:\n%s", stdout)
	}
	if want := "passed  node/test_add"; lines[0] != want || lines[1] != want {
		t.Errorf("test lines %q, want %q twice", lines[:2], want)
	}
	if want := "2 passed, 0 failed, 0 skipped"; lines[2] != want {
		t.Errorf("last line %q, want %q", lines[2], want)
	}
}

func TestOutputFileNames(t *testing.T) {
	got := outputFileNames([]string{"logits", "a/b:0", "a_b_0", "", "..", "A/B:0", "-x"})
	want := []string{"logits", "a_b_0", "a_b_0_1", "_", "_..", "A_B_0_2", "_-x"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("name %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

// A sequence output is written as an ONNX SequenceProto .pb that reads
// back equal to the backend test's expected output.
func TestRunWritesSequenceOutput(t *testing.T) {
	dir := "/usr/share/libonnx-testdata/data/node/test_identity_sequence"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("ONNX backend test data not installed")
	}
	out := t.TempDir()
	set := filepath.Join(dir, "test_data_set_0")
	code, stdout, stderr := runCLI("run", filepath.Join(dir, "model.onnx"), "--input", filepath.Join(set, "input_0.pb"), "--out", out)
	if code != exitOK {
		t.Fatalf("exit code %d\n%s%s", code, stdout, stderr)
	}
	m, err := onnx.Import(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f := m.Funcs[0]
	typ := f.Body.Results[0].Type
	got, err := onnx.ReadValueFile(filepath.Join(out, f.OutputNames[0]+".pb"), typ)
	if err != nil {
		t.Fatalf("%v\nstdout: %s", err, stdout)
	}
	want, err := onnx.ReadValueFile(filepath.Join(set, "output_0.pb"), typ)
	if err != nil {
		t.Fatal(err)
	}
	if err := onnxtest.Compare(got, want); err != nil {
		t.Error(err)
	}
}

// TestMain lets the test binary act as kiln when its first argument is a
// command: tests that need a process of their own (Ctrl-C, conformance's
// child processes) run os.Executable() with kiln's arguments.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && findCommand(os.Args[1]) != nil {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	code := m.Run()
	if sharedTestCache != "" {
		os.RemoveAll(sharedTestCache)
	}
	os.Exit(code)
}
