package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxtest"
)

// fakeChild writes a shell script standing in for kiln's child process.
func fakeChild(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "child.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// How runIsolated reports each way a child can end.
func TestRunIsolatedOutcomes(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := "/suite/test_x"
	defer func(g time.Duration) { childGrace = g }(childGrace)
	childGrace = 200 * time.Millisecond
	tests := []struct {
		name, script string
		outcome      onnxtest.Outcome
		stage        string
		reason       string
	}{
		{"result", `echo '{"suite":"ignored","test":"ignored","outcome":"failed","stage":"compare","reason":"off by one"}'`, onnxtest.Failed, "compare", "off by one"},
		{"out of memory", "echo 'fatal error: runtime: out of memory' >&2; exit 2", onnxtest.Failed, "crash", "out of memory (over the 64 MiB limit)"},
		{"stack overflow", "echo 'runtime: goroutine stack exceeds 67108864-byte limit' >&2; echo 'fatal error: stack overflow' >&2; exit 2", onnxtest.Failed, "crash", "stack overflow"},
		{"panic", "echo 'goroutine 1 [running]:' >&2; echo 'panic: boom' >&2; exit 2", onnxtest.Failed, "crash", "the test's process crashed (exit status 2): panic: boom"},
		{"killed", "kill -9 $$", onnxtest.Failed, "crash", "the test's process crashed (signal: killed)"},
		{"no result", "exit 0", onnxtest.Failed, "crash", "the test's process exited without a result"},
		{"hang", "exec sleep 60", onnxtest.Failed, "timeout", "no result within 300ms; the test's process was killed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A generous limit for the scripts that end by themselves, so
			// that a loaded machine starting /bin/sh slowly does not turn
			// them into timeouts; a short one for the hang.
			limit := 10 * time.Second
			if tt.stage == "timeout" {
				limit = 300 * time.Millisecond
			}
			r := runIsolated(fakeChild(t, tt.script), dir, limit, 64<<20)
			if r.Suite != "suite" || r.Test != "test_x" || r.Outcome != tt.outcome || r.Stage != tt.stage || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("got %+v, want %s/%s %q", r, tt.outcome, tt.stage, tt.reason)
			}
		})
	}
}
