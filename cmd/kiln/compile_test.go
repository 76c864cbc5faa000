package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const compileKIR = `sym n in [1, 4]

func @main(%0 "x": f32[n,2]) -> ("y": f32[n,2]) {
  %1 = Relu(%0) : f32[n,2] loc("relu")
  return %1
}
`

func TestCompileCommand(t *testing.T) {
	dir := t.TempDir()
	kir := filepath.Join(dir, "m.kir")
	if err := os.WriteFile(kir, []byte(compileKIR), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "relu")
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"help"}, exitOK, "compile", ""},
		{[]string{"compile", "-h"}, exitOK, "", "usage: kiln compile"},
		{[]string{"compile", kir}, exitUsage, "", "-o DIR is required"},
		{[]string{"compile", "-o", out}, exitUsage, "", "want exactly one model"},
		{[]string{"compile", "-o", out, "--dim", "n", kir}, exitUsage, "", "want NAME=N"},
		{[]string{"compile", "-o", out, "--dim", "n=1", "--dim", "n=2", kir}, exitUsage, "", "bound twice"},
		{[]string{"compile", "-o", out, "--weights", "mmap", "--dim", "n=1", kir}, exitUsage, "", "want embed or file"},
		{[]string{"compile", "-o", out, kir}, exitFailure, "", "not bound"},
		{[]string{"compile", "-o", out, "--dim", "n=9", kir}, exitFailure, "", "outside the symbol's bounds"},
		{[]string{"compile", "-o", out, "--dim", "n=2", "/nonexistent/model.onnx"}, exitFailure, "", "kiln compile:"},
		{[]string{"compile", "-o", out, "--dim", "n=2", kir}, exitOK, "wrote package relu", ""},
		{[]string{"compile", "-o", out, "--package", "other", "--weights", "file", "--dim", "n=3", kir}, exitOK, "wrote package other", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.inStdout) || !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d with %q / %q", code, stdout, stderr, tt.code, tt.inStdout, tt.inStderr)
			}
		})
	}
	for _, f := range []string{"model.go", "kernels.go", "weights.bin", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		Package string
		Source  struct{ File, Format, SHA256 string }
		Dims    []struct {
			Name  string
			Value int64
		}
		Weights struct{ Mode string }
	}
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	if man.Package != "other" || man.Source.File != "m.kir" || man.Source.Format != "kir" || len(man.Source.SHA256) != 64 ||
		len(man.Dims) != 1 || man.Dims[0].Value != 3 || man.Weights.Mode != "file" {
		t.Errorf("manifest: %+v", man)
	}
	src, err := os.ReadFile(filepath.Join(out, "model.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "// Source: m.kir (sha256 "+man.Source.SHA256+")") || !strings.Contains(string(src), "package other") {
		t.Errorf("model.go header:\n%s", src[:min(len(src), 400)])
	}
}
