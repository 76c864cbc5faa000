package main

import (
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/codegen"
	"github.com/kiln-ml/kiln/ir"
)

// stubVAD is a module with Silero VAD v5's inputs and outputs (input
// [1,512], state [2,1,128], sr; output [1,1], stateN [2,1,128]) and a
// state that feeds the probability, small enough for codegen to compile
// today, so the compiled path of the demo can be tested without the real
// model.
func stubVAD(rng *rand.Rand) string {
	vals := func(n int, scale float64) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = ir.FormatFloat32(float32(rng.NormFloat64() * scale))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprintf(`const @w : f32[512,1] = %s
const @v : f32[256,1] = %s
const @u : f32[128] = %s
const @flat : i64[2] = [1, 256]

func @main(%%input: f32[1,512], %%state: f32[2,1,128], %%sr: i64[]) -> ("output": f32[1,1], "stateN": f32[2,1,128]) {
  %%h = MatMul(%%input, @w) : f32[1,1]
  %%f = Reshape(%%state, @flat) : f32[1,256]
  %%g = MatMul(%%f, @v) : f32[1,1]
  %%s = Add(%%h, %%g) : f32[1,1]
  %%p = Sigmoid(%%s) : f32[1,1]
  %%pu = Mul(%%p, @u) : f32[1,128]
  %%n = Add(%%state, %%pu) : f32[2,1,128]
  %%t = Tanh(%%n) : f32[2,1,128]
  return %%p, %%t
}
`, vals(512, 0.02), vals(256, 0.05), vals(128, 1))
}

// TestCompiledFrames compiles the stub VAD with codegen into a vaddemo
// module beside compiled/main.go, as demo.sh does with the real model,
// builds the runner and checks that its probabilities, frame by frame
// with the state carried, match the interpreter's.
func TestCompiledFrames(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a generated package with the Go toolchain")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	rng := rand.New(rand.NewSource(5))
	m, err := ir.Parse("stub.kir", []byte(stubVAD(rng)), ir.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := codegen.Compile(m, codegen.Options{Package: "silero", Source: codegen.Source{Name: "stub.kir", Format: "kir"}, KilnVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	runner, err := os.ReadFile(filepath.Join("compiled", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"go.mod": []byte("module vaddemo\n\ngo 1.22\n"), "main.go": runner}
	for name, b := range p.Files {
		files["silero/"+name] = b
	}
	for name, b := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "vad-compiled")
	cmd := exec.Command(goBin, "build", "-o", bin, "main.go")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GOPROXY=off", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	const nframes = 12
	samples := make([]float32, nframes*frameLen+100) // a partial frame at the end is left out
	for i := range samples {
		samples[i] = float32(0.5*math.Sin(float64(i)/9) + 0.2*rng.NormFloat64())
	}
	want, _, err := interpFrames(m, samples, nframes)
	if err != nil {
		t.Fatal(err)
	}
	got, took, err := compiledFrames(bin, samples, nframes)
	if err != nil {
		t.Fatal(err)
	}
	if took <= 0 {
		t.Errorf("run_ns %v, want a positive time", took)
	}
	distinct := map[float32]bool{}
	for i := range want {
		distinct[want[i]] = true
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-4+1e-3*math.Abs(float64(want[i])) {
			t.Errorf("frame %d: compiled %v, interpreter %v", i, got[i], want[i])
		}
	}
	// The probabilities vary from frame to frame, so a runner that
	// dropped the state or reused one frame would show.
	if len(distinct) < nframes/2 {
		t.Errorf("only %d distinct probabilities in %d frames: %v", len(distinct), nframes, want)
	}
	if _, _, err := compiledFrames(filepath.Join(dir, "no-such-runner"), samples, nframes); err == nil {
		t.Error("a missing runner gave no error")
	}
}
