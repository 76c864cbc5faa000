package codegen

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/passes"
)

// sharedDims binds the symbolic dims of every model in
// ../shared/models/onnx to sizes the reference cases use (small ones for
// paddleocr-det, whose reference image is 960x960).
var sharedDims = map[string]map[string]int64{
	"mobilenetv2":         {"batch": 1},
	"minilm-like-opset14": {"batch": 1, "seq": 128},
	"minilm-like-opset17": {"batch": 1, "seq": 128},
	"paddleocr-cls":       {"p2o.DynamicDimension.0": 1, "p2o.DynamicDimension.1": 48, "p2o.DynamicDimension.2": 192},
	"paddleocr-rec":       {"p2o.DynamicDimension.0": 1, "p2o.DynamicDimension.1": 320},
	"paddleocr-det":       {"p2o.DynamicDimension.0": 1, "p2o.DynamicDimension.1": 64, "p2o.DynamicDimension.2": 64},
	"silero-vad-v4":       {"batch": 1, "sequence": 512},
	"silero-vad-v5":       {"input.0": 1, "input.1": 512, "state.1": 1},
	"stories260K-decoder": {"batch": 1, "past_seq": 4, "seq": 1},
}

// Environment of the compile helper: the model to compile and the folder
// to write the package into.
const (
	detModelEnv = "KILN_DETERMINISM_MODEL"
	detOutEnv   = "KILN_DETERMINISM_OUT"
)

// compileShared imports a shared model and compiles it into package pkg
// with its sharedDims binding and weights mode w.
func compileShared(path, pkg string, w WeightsMode) (*Package, error) {
	name := strings.TrimSuffix(filepath.Base(path), ".onnx")
	m, err := onnx.Import(path)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return Compile(m, Options{Package: pkg, Dims: sharedDims[name], Weights: w, Source: Source{Name: filepath.Base(path), Format: "onnx"}, KilnVersion: "test"})
}

// compileSharedFast is compileShared after the default pipeline, with the
// vector units: the configuration the benchmarks time.
func compileSharedFast(path, pkg string, w WeightsMode) (*Package, error) {
	name := strings.TrimSuffix(filepath.Base(path), ".onnx")
	m, err := onnx.Import(path)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	pipeline, err := passes.ParsePipeline("default", nil)
	if err != nil {
		return nil, err
	}
	if _, err := passes.Run(m, pipeline, passes.Instrument{}); err != nil {
		return nil, err
	}
	return Compile(m, Options{Package: pkg, Dims: sharedDims[name], Weights: w, Source: Source{Name: filepath.Base(path), Format: "onnx"}, KilnVersion: "test", SIMD: true})
}

// TestDeterminismHelper is not a test on its own: TestCompileTwiceIdentical
// runs the test binary with it selected to compile a model in a process
// of its own (with its own map hash seed), writing the files into a
// folder.
func TestDeterminismHelper(t *testing.T) {
	path, out := os.Getenv(detModelEnv), os.Getenv(detOutEnv)
	if path == "" || out == "" {
		t.Skip("runs only as TestCompileTwiceIdentical's subprocess")
	}
	p, err := compileShared(path, "model", WeightsMode(os.Getenv("KILN_DETERMINISM_WEIGHTS")))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range p.Files {
		if err := os.WriteFile(filepath.Join(out, name), b, 0o666); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCompileTwiceIdentical compiles every shared model that codegen
// compiles three times, in two processes of their own and once in this
// one (Go randomizes map iteration order in every run, and hash seeds
// differ between processes), in both weights modes, and wants every file
// byte-identical. Models codegen refuses are logged with the reason.
func TestCompileTwiceIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles every shared model three times")
	}
	dir, ok := testenv.Shared("models", "onnx")
	if !ok {
		t.Skip("no ../shared/models")
	}
	models, err := filepath.Glob(filepath.Join(dir, "*.onnx"))
	if err != nil || len(models) == 0 {
		t.Fatalf("no models in %s: %v", dir, err)
	}
	sort.Strings(models)
	compiled := 0
	for _, path := range models {
		name := strings.TrimSuffix(filepath.Base(path), ".onnx")
		for _, w := range []WeightsMode{WeightsEmbed, WeightsFile} {
			t.Run(name+"/"+string(w), func(t *testing.T) {
				start := time.Now()
				here, err := compileShared(path, "model", w)
				if err != nil {
					if strings.Contains(err.Error(), "codegen has no kernel") || strings.Contains(err.Error(), "codegen handles") {
						t.Skipf("not compiled: %v", err)
					}
					t.Fatal(err)
				}
				if w == WeightsEmbed {
					compiled++
				}
				took := time.Since(start)
				for run := 0; run < 2; run++ {
					out := t.TempDir()
					cmd := exec.Command(os.Args[0], "-test.run=^TestDeterminismHelper$", "-test.count=1")
					cmd.Env = append(os.Environ(), detModelEnv+"="+path, detOutEnv+"="+out, "KILN_DETERMINISM_WEIGHTS="+string(w))
					if b, err := cmd.CombinedOutput(); err != nil {
						t.Fatalf("compile in a subprocess: %v\n%s", err, b)
					}
					entries, err := os.ReadDir(out)
					if err != nil {
						t.Fatal(err)
					}
					var names []string
					for _, e := range entries {
						names = append(names, e.Name())
					}
					if got, want := strings.Join(names, ","), strings.Join(here.FileNames(), ","); got != want {
						t.Fatalf("subprocess %d wrote %s, this process %s", run+1, got, want)
					}
					for _, f := range here.FileNames() {
						b, err := os.ReadFile(filepath.Join(out, f))
						if err != nil {
							t.Fatal(err)
						}
						if !bytes.Equal(b, here.Files[f]) {
							t.Errorf("%s differs between subprocess %d and this process:\n%s", f, run+1, lineDiff(string(here.Files[f]), string(b)))
						}
					}
				}
				var total int
				for _, b := range here.Files {
					total += len(b)
				}
				t.Logf("%d files, %d bytes, identical in 3 compiles (one took %v)", len(here.Files), total, took.Round(time.Millisecond))
			})
		}
	}
	t.Logf("%d of %d shared models compile", compiled, len(models))
	if compiled == 0 {
		t.Fatal("no shared model compiled")
	}
}
