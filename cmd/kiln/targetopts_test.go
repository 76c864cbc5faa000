package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/codegen"
)

// readManifest reads manifest.json from a compiled package's folder.
func readManifest(t *testing.T, dir string) codegen.Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m codegen.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// A --target profile steers what the command line leaves unset: vector
// kernels for amd64 profiles with AVX2 and FMA, the profile's thread
// count; the manifest records the profile and the build it wants.
func TestCompileTargetSteersCodegen(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.kir")
	if err := os.WriteFile(in, []byte(optSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args    []string
		threads int
		simd    bool
		goamd64 string
		target  string
	}{
		{nil, 1, false, "", ""},
		{[]string{"--target", "x86-64-v3"}, 1, true, "v3", "x86-64-v3"},
		{[]string{"--target", "x86-64-v3", "--simd=false", "--threads", "3"}, 3, false, "v3", "x86-64-v3"},
		{[]string{"--target", "arm64-cortex-a76"}, 4, false, "", "arm64-cortex-a76"},
		{[]string{"--target", "arm64-cortex-a76", "--threads", "2", "--simd"}, 2, true, "", "arm64-cortex-a76"},
		{[]string{"--target", "generic"}, 1, false, "", "generic"},
		{[]string{"--target", "wasm"}, 1, false, "", "wasm"},
	}
	for i, tt := range tests {
		out := filepath.Join(dir, "pkg", strings.Repeat("x", i+1))
		args := append([]string{"compile", in, "-o", out}, tt.args...)
		code, _, stderr := runCLI(args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", tt.args, code, stderr)
		}
		m := readManifest(t, out)
		b := m.Build
		if b.Threads != tt.threads || b.SIMD != tt.simd || b.GOAMD64 != tt.goamd64 || (b.GOEXPERIMENT == "simd") != tt.simd {
			t.Errorf("%v: build %+v, want threads %d, simd %v, goamd64 %q", tt.args, b, tt.threads, tt.simd, tt.goamd64)
		}
		switch {
		case tt.target == "" && m.Target != nil:
			t.Errorf("%v: target %+v, want none", tt.args, m.Target)
		case tt.target != "" && (m.Target == nil || m.Target.Name != tt.target):
			t.Errorf("%v: target %+v, want %s", tt.args, m.Target, tt.target)
		}
	}
}

// A model holding an element type the --target profile does not allow is
// refused, naming the value and the profile, whether the type is an
// input's, an op result's inside a region, or a constant's.
func TestCompileTargetDTypes(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "small.target")
	if err := os.WriteFile(prof, []byte("name small\narch any\npasses none\ndtypes f32 bool\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, src, want string }{
		{"ok", optSrc, ""},
		{"input", "func @main(%x \"x\": f64[4]) -> (\"y\": f64[4]) {\n  %y = Neg(%x) : f64[4]\n  return %y\n}\n", `@main: %x (an input) is f64, which target small does not allow (its dtypes: f32 bool)`},
		{"result", "func @main(%x \"x\": f32[4]) -> (\"y\": f16[4]) {\n  %y = Cast(%x) {to = f16} : f16[4]\n  return %y\n}\n", `%y (the result of Cast) is f16, which target small does not allow`},
		{"const", "const @k : i64[] = 1\nfunc @main(%x \"x\": f32[4]) -> (\"y\": f32[4]) {\n  %y = Neg(%x) : f32[4]\n  return %y\n}\n", `constant @k is i64`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := filepath.Join(dir, tt.name+".kir")
			if err := os.WriteFile(in, []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out-"+tt.name)
			code, _, stderr := runCLI("compile", in, "-o", out, "--target", prof)
			if tt.want == "" {
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				return
			}
			if code != exitFailure || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d: %s\nwant %q", code, stderr, tt.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a refused compile left %s behind", out)
			}
		})
	}
}
