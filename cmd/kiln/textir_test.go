package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTextIRUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"dump"}, exitUsage},
		{[]string{"dump", "-h"}, exitOK},
		{[]string{"dump", "/nonexistent.onnx"}, exitFailure},
		{[]string{"fmt"}, exitUsage},
		{[]string{"fmt", "model.onnx"}, exitUsage},
		{[]string{"fmt", "-h"}, exitOK},
		{[]string{"fmt", "/nonexistent.kir"}, exitFailure},
	} {
		if code, stdout, stderr := runCLI(tt.args...); code != tt.code {
			t.Errorf("kiln %q: exit code %d, want %d\n%s%s", tt.args, code, tt.code, stdout, stderr)
		}
	}
}

// TestDumpFmtRoundTrip dumps an imported model to .kir with its data file
// and checks that fmt reprints it unchanged and that run accepts it.
func TestDumpFmtRoundTrip(t *testing.T) {
	needBackendData(t)
	dir := t.TempDir()
	kir := filepath.Join(dir, "add.kir")
	code, stdout, stderr := runCLI("dump", filepath.Join(backendTest, "model.onnx"), "-o", kir, "--data-out", filepath.Join(dir, "add.data"))
	if code != exitOK {
		t.Fatalf("dump: exit code %d\n%s%s", code, stdout, stderr)
	}
	want, err := os.ReadFile(kir)
	if err != nil {
		t.Fatal(err)
	}
	code, got, stderr := runCLI("fmt", kir)
	if code != exitOK {
		t.Fatalf("fmt: exit code %d\n%s", code, stderr)
	}
	if got != string(want) {
		t.Errorf("fmt changed dump's output:\n--- dump\n%s\n--- fmt\n%s", want, got)
	}
	if code, _, stderr := runCLI("fmt", "-w", kir); code != exitOK {
		t.Fatalf("fmt -w: exit code %d\n%s", code, stderr)
	}
	set := filepath.Join(backendTest, "test_data_set_0")
	code, stdout, stderr = runCLI("run", kir, "--input", filepath.Join(set, "input_0.pb"), "--input", filepath.Join(set, "input_1.pb"))
	if code != exitOK {
		t.Fatalf("run .kir: exit code %d\n%s%s", code, stdout, stderr)
	}
}
