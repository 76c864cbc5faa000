package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/internal/compiled"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// needGoBuild skips tests that build compiled programs in -short mode,
// and points the compiled engine's cache at a folder of the test's own.
func needGoBuild(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds compiled programs with the Go toolchain")
	}
	t.Setenv(compiled.CacheEnv, testCacheDir(t))
}

// testCacheDir is one cache folder shared by the package's tests (a
// build is seconds; the tests reuse each other's), removed by TestMain.
func testCacheDir(t *testing.T) string {
	t.Helper()
	if sharedTestCache == "" {
		d, err := os.MkdirTemp("", "kiln-cmd-cache-")
		if err != nil {
			t.Fatal(err)
		}
		sharedTestCache = d
	}
	return sharedTestCache
}

var sharedTestCache string

// affineKir scales an [n,3] matrix and adds a row; n is bounded to [1, 8].
const affineKir = `sym n in [1, 8]

const @s : f32[3] = [2.0, -1.0, 0.5]
const @b : f32[3] = [1.0, 1.0, 1.0]

func @main(%x "x": f32[n,3]) -> ("y": f32[n,3]) {
  %m = Mul(%x, @s) : f32[n,3]
  %y = Add(%m, @b) : f32[n,3]
  return %y
}
`

// refusedKir uses ops codegen has no kernels for.
const refusedKir = `func @main(%x "x": f32[4]) -> ("y": f32[4]) {
  %s = Mish(%x) : f32[4] loc("the_mish")
  %y = LpNormalization(%s) : f32[4] loc("the_lpnorm")
  return %y
}
`

// TestRunCompiledMatchesInterp runs one model on one input with both
// engines: the summaries, JSON and written outputs are the same.
func TestRunCompiledMatchesInterp(t *testing.T) {
	needGoBuild(t)
	dir := t.TempDir()
	model := writeFile(t, dir, "affine.kir", affineKir)
	x := writeNPY(t, dir, "x.npy", tensor.FromSlice([]int{2, 3}, []float32{1, 2, 3, -1, 0, 4}))
	var got [2]string
	for i, engine := range []string{"interp", "compiled"} {
		out := filepath.Join(dir, engine)
		code, stdout, stderr := runCLI("run", model, x, "--engine", engine, "--json", "--out", out)
		if code != exitOK {
			t.Fatalf("--engine %s: exit %d: %s", engine, code, stderr)
		}
		got[i] = strings.ReplaceAll(stdout, out, "OUT")
		y, err := tensor.ReadNPYFile(filepath.Join(out, "y.npy"))
		if err != nil {
			t.Fatal(err)
		}
		// y = x*[2,-1,0.5] + 1, worked out by hand.
		want := []float32{3, -1, 2.5, -1, 1, 3}
		if d := tensor.Data[float32](y); len(d) != 6 || y.Shape[0] != 2 || y.Shape[1] != 3 {
			t.Fatalf("--engine %s: y %v %v", engine, y.Shape, d)
		} else {
			for j := range want {
				if d[j] != want[j] {
					t.Fatalf("--engine %s: y = %v, want %v", engine, d, want)
				}
			}
		}
	}
	if got[0] != got[1] {
		t.Errorf("interp printed\n%s\ncompiled printed\n%s", got[0], got[1])
	}
	var r runReport
	if err := json.Unmarshal([]byte(got[1]), &r); err != nil || len(r.Outputs) != 1 || r.Outputs[0].Name != "y" {
		t.Errorf("compiled --json: %v %+v", err, r)
	}
	// Random inputs with a --dim: the binding comes from the inputs.
	code, stdout, stderr := runCLI("run", model, "--random-inputs", "--dim", "n=5", "--engine", "compiled")
	if code != exitOK || !strings.Contains(stdout, "y\tf32\t[5,3]") {
		t.Errorf("random inputs n=5: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestRunCompiledErrors(t *testing.T) {
	needGoBuild(t)
	dir := t.TempDir()
	affine := writeFile(t, dir, "affine.kir", affineKir)
	refused := writeFile(t, dir, "refused.kir", refusedKir)
	wrongCols := writeNPY(t, dir, "x4.npy", tensor.FromSlice([]int{2, 4}, make([]float32, 8)))
	tooMany := writeNPY(t, dir, "x9.npy", tensor.FromSlice([]int{9, 3}, make([]float32, 27)))
	ints := writeNPY(t, dir, "xi.npy", tensor.FromSlice([]int{2, 3}, make([]int64, 6)))
	x4 := writeNPY(t, dir, "x.npy", tensor.FromSlice([]int{4}, make([]float32, 4)))
	tests := []struct {
		name   string
		args   []string
		code   int
		errHas []string
	}{
		{"wrong shape", []string{"run", affine, wrongCols, "--engine", "compiled"}, exitFailure,
			[]string{`input "x": shape [2 4], the model wants [n,3] (dim 1 is 4, want 3)`}},
		{"past bound", []string{"run", affine, tooMany, "--engine", "compiled"}, exitFailure,
			[]string{`input "x": dim 0 (n) is 9, outside n's bounds [1, 8]`}},
		{"wrong dtype", []string{"run", affine, ints, "--engine", "compiled"}, exitFailure,
			[]string{`input "x": dtype i64, the model wants f32`}},
		{"refused ops", []string{"run", refused, x4, "--engine", "compiled"}, exitFailure,
			[]string{"Mish", "LpNormalization", "the_mish", "the_lpnorm"}},
		{"bad engine", []string{"run", affine, wrongCols, "--engine", "jit"}, exitUsage,
			[]string{"--engine jit: want interp or compiled"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			for _, s := range tc.errHas {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "internal error") {
				t.Errorf("stderr shows a crash:\n%s", stderr)
			}
		})
	}
}

// TestRunCompiledWithoutGo: with no go on PATH the compiled engine says
// what is missing and how to install it.
func TestRunCompiledWithoutGo(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(compiled.CacheEnv, filepath.Join(dir, "cache"))
	t.Setenv("PATH", filepath.Join(dir, "empty"))
	model := writeFile(t, dir, "affine.kir", affineKir)
	x := writeNPY(t, dir, "x.npy", tensor.FromSlice([]int{1, 3}, []float32{1, 2, 3}))
	code, _, stderr := runCLI("run", model, x, "--engine", "compiled")
	if code != exitFailure || !strings.Contains(stderr, "Go toolchain") || !strings.Contains(stderr, "install Go") || !strings.Contains(stderr, "--engine interp") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// runChild runs exe (the test binary, which acts as kiln; see TestMain)
// with args and extra environment, and returns its exit code and output.
func runChild(t *testing.T, exe string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), o.String(), e.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, o.String(), e.String()
}

// TestRunCompiledTimeout: --timeout covers building; a run stopped while
// building leaves no temporary folder in the cache.
func TestRunCompiledTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds compiled programs with the Go toolchain")
	}
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	t.Setenv(compiled.CacheEnv, cache)
	model := writeFile(t, dir, "affine.kir", affineKir)
	x := writeNPY(t, dir, "x.npy", tensor.FromSlice([]int{1, 3}, []float32{1, 2, 3}))
	code, _, stderr := runCLI("run", model, x, "--engine", "compiled", "--timeout", "50ms")
	if code != exitFailure || !strings.Contains(stderr, "kiln run: timed out after 50ms") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	ents, _ := os.ReadDir(cache)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "tmp-") {
			t.Errorf("%s left in the cache", e.Name())
		}
	}
}
