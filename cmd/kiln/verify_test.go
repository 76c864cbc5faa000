package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// needORT skips a test when ONNX Runtime cannot be loaded, or fails it
// when KILN_REQUIRE_ORT=1.
func needORT(t *testing.T) {
	t.Helper()
	if err := initORT(); err != nil {
		if os.Getenv("KILN_REQUIRE_ORT") == "1" {
			t.Fatalf("KILN_REQUIRE_ORT=1: %v", err)
		}
		t.Skip(err)
	}
}

func TestCompareOutputs(t *testing.T) {
	f32 := func(shape []int, v ...float32) *tensor.Tensor { return tensor.FromSlice(shape, v) }
	nan := float32(math.NaN())
	tests := []struct {
		name            string
		got, want       *tensor.Tensor
		pass            bool
		maxAbs, maxRel  float64
		cosine, problem string
	}{
		// |1.001-1| = 0.001 <= 1e-4 + 1e-3*1: passes; rel 0.001.
		{"within", f32([]int{2}, 1.001, 0), f32([]int{2}, 1, 0), true, 0.001, 0.001, "1.000000", ""},
		// |2.01-2| = 0.01 > 1e-4 + 2e-3; cosine 5.02/sqrt(5.0401*5).
		{"beyond", f32([]int{2}, 2.01, -1), f32([]int{2}, 2, -1), false, 0.01, 0.005, "0.999998", ""},
		// Orthogonal vectors: cosine 0; 1 against 0 has no relative error.
		{"orthogonal", f32([]int{2}, 1, 0), f32([]int{2}, 0, 1), false, 1, 1, "0.000000", ""},
		{"nan matches nan", f32([]int{1}, nan), f32([]int{1}, nan), true, 0, 0, "1.000000", ""},
		{"nan against a number", f32([]int{1}, nan), f32([]int{1}, 1), false, math.NaN(), math.NaN(), "", ""},
		{"shape", f32([]int{2}, 1, 2), f32([]int{1, 2}, 1, 2), false, 0, 0, "", "compiled gives shape [2], ONNX Runtime [1 2]"},
		{"dtype", tensor.FromSlice([]int{1}, []int64{1}), f32([]int{1}, 1), false, 0, 0, "", "compiled gives i64, ONNX Runtime f32"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := compareOutputs("y", tc.got, tc.want, 1e-3, 1e-4)
			if d.Pass != tc.pass || d.Problem != tc.problem {
				t.Fatalf("pass %v problem %q, want %v %q", d.Pass, d.Problem, tc.pass, tc.problem)
			}
			if tc.problem != "" {
				return
			}
			close := func(a, b float64) bool {
				return math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b))
			}
			if !close(d.MaxAbs, tc.maxAbs) || !close(d.MaxRel, tc.maxRel) {
				t.Errorf("max abs %g rel %g, want %g %g", d.MaxAbs, d.MaxRel, tc.maxAbs, tc.maxRel)
			}
			if got := fmt.Sprintf("%.6f", d.Cosine); tc.cosine != "" && got != tc.cosine {
				t.Errorf("cosine %s, want %s", got, tc.cosine)
			}
		})
	}
}

func TestVerifyUsageAndORT(t *testing.T) {
	dir := t.TempDir()
	kir := writeFile(t, dir, "affine.kir", affineKir)
	code, _, stderr := runCLI("verify", kir)
	if code != exitUsage || !strings.Contains(stderr, "ONNX Runtime runs ONNX models") {
		t.Errorf(".kir: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI("verify", "m.onnx", "--rtol", "-1")
	if code != exitUsage || !strings.Contains(stderr, "must not be negative") {
		t.Errorf("--rtol -1: exit %d, stderr %q", code, stderr)
	}
}

// TestVerifyMissingORT runs kiln verify in a child process (ONNX Runtime
// loads once per process) with KILN_ORT_LIB naming no file.
func TestVerifyMissingORT(t *testing.T) {
	needBackendData(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(t.TempDir(), "libonnxruntime.so")
	code, _, stderr := runChild(t, exe, []string{"KILN_ORT_LIB=" + lib}, "verify", filepath.Join(backendTest, "model.onnx"))
	for _, s := range []string{"ONNX Runtime is not available", lib, "make deps"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q: %s", s, stderr)
		}
	}
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
}

func TestVerifyBackendAdd(t *testing.T) {
	needBackendData(t)
	needGoBuild(t)
	needORT(t)
	code, stdout, stderr := runCLI("verify", filepath.Join(backendTest, "model.onnx"), "--seed", "3")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	// Add is exact in both engines.
	if !strings.Contains(stdout, "sum     f32    [3,4,5]  0            0            1.000000  ok") || !strings.Contains(stdout, "pass: 1 output within rtol 0.001, atol 0.0001") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

// TestVerifyMNIST checks mnist-8 passes at the default tolerances and
// fails, with exit 1, at zero tolerance (its float sums are not ordered
// as ONNX Runtime's are).
func TestVerifyMNIST(t *testing.T) {
	model := testenv.SharedONNXModel(t, "mnist-8.onnx")
	needGoBuild(t)
	needORT(t)
	code, stdout, stderr := runCLI("verify", model, "--json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	var r verifyReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if !r.Pass || len(r.Outputs) != 1 || r.Outputs[0].Cosine < 0.9999 || r.Outputs[0].MaxAbs > 1e-4 {
		t.Errorf("report %+v", r)
	}
	code, stdout, _ = runCLI("verify", model, "--rtol", "0", "--atol", "0")
	if code != exitFailure || !strings.Contains(stdout, "FAIL: 1 of 1 output beyond rtol 0, atol 0") {
		t.Errorf("zero tolerance: exit %d\n%s", code, stdout)
	}
}
