package onnxtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunReasonWithoutPath checks that failure reasons do not repeat the
// model's path.
func TestRunReasonWithoutPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "test_broken")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.onnx"), []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := Run(dir)
	if r.Outcome != Failed || r.Stage != "import" {
		t.Fatalf("result %+v", r)
	}
	if strings.Contains(r.Reason, dir) || !strings.HasPrefix(r.Reason, "not a valid ONNX model") {
		t.Fatalf("reason %q", r.Reason)
	}
}
