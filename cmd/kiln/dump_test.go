package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDumpKir(t *testing.T) {
	dir := t.TempDir()
	src := `const @big : f32[20] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
func @main(%x "x": f32[20]) -> ("y": f32[20]) {
  %y = Add(%x, @big) : f32[20]
  return %y
}
`
	in := filepath.Join(dir, "in.kir")
	os.WriteFile(in, []byte(src), 0o644)
	out := filepath.Join(dir, "sub", "out.kir")
	os.Mkdir(filepath.Dir(out), 0o755)
	var stdout, stderr strings.Builder
	if code := run([]string{"dump", "-o", out, "--data-out", filepath.Join(dir, "data.bin"), in}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	text, _ := os.ReadFile(out)
	if !strings.Contains(string(text), `const @big : f32[20] = file("../data.bin", offset=0, length=80, sha256=`) {
		t.Fatalf("dump does not refer to the data file relative to its folder:\n%s", text)
	}
	// The dump parses back from its own folder and prints the same.
	stdout.Reset()
	if code := run([]string{"dump", "-o", out + ".again.kir", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	again, _ := os.ReadFile(out + ".again.kir")
	if string(again) != string(text) {
		t.Errorf("re-dump differs:\n%s\n---\n%s", text, again)
	}
}
