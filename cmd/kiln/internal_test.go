package main

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// An internal error (a panic in a command, or a kernel's recovered panic)
// exits 3, names what was being done and shows a stack only with
// KILN_DEBUG=1.
func TestInternalErrorExitCode(t *testing.T) {
	saved := commands
	defer func() { commands = saved }()
	commands = append(commands,
		command{name: "test-panic", hidden: true, run: func(args []string, stdout, stderr io.Writer) int {
			var m map[string]int
			m["x"] = 1 // a nil map write: a real runtime panic
			return exitOK
		}},
		command{name: "test-kernel-panic", hidden: true, run: func(args []string, stdout, stderr io.Writer) int {
			err := fmt.Errorf("running: %w", &interp.OpError{Op: &ir.Op{Name: "Gather", Loc: ir.Locs{"gather_1"}}, Err: &interp.PanicError{Value: "index out of range", Stack: []byte("goroutine 1 [running]:\nkernel.go:12")}})
			return fail(stderr, "run", err)
		}})
	for _, debug := range []string{"", "1"} {
		t.Setenv("KILN_DEBUG", debug)
		code, stdout, stderr := runCLI("test-panic", "a b", "m.onnx")
		if code != exitInternal {
			t.Errorf("KILN_DEBUG=%q: exit %d, want %d", debug, code, exitInternal)
		}
		first, _, _ := strings.Cut(stderr, "\n")
		if want := `kiln test-panic: internal error while running 'kiln test-panic "a b" m.onnx': assignment to entry in nil map`; first != want {
			t.Errorf("first line %q, want %q", first, want)
		}
		if hasStack := strings.Contains(stderr, "goroutine ") && strings.Contains(stderr, ".go:"); hasStack != (debug == "1") {
			t.Errorf("KILN_DEBUG=%q: stack shown %v\n%s%s", debug, hasStack, stdout, stderr)
		}
	}
	t.Setenv("KILN_DEBUG", "")
	code, _, stderr := runCLI("test-kernel-panic")
	if code != exitInternal || !strings.Contains(stderr, `node "gather_1" (Gather): internal error (kernel panicked): index out of range`) || strings.Contains(stderr, "goroutine") {
		t.Errorf("kernel panic: exit %d, stderr %q", code, stderr)
	}
	var buf strings.Builder
	if code := fail(&buf, "run", &internalError{"while running @main", "nil map", []byte("goroutine 7")}); code != exitInternal ||
		!strings.HasPrefix(buf.String(), "kiln run: internal error while running @main: nil map\n") || strings.Contains(buf.String(), "goroutine") {
		t.Errorf("internalError: exit %d, stderr %q", code, buf.String())
	}
	// Hidden commands are not listed or suggested.
	if _, stdout, _ := runCLI("help"); strings.Contains(stdout, "test-panic") {
		t.Error("help lists a hidden command")
	}
}
