package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx"
	"github.com/kiln-ml/kiln/frontend/onnx/onnxtest"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// TestRunNPY converts test_add's TensorProto inputs to .npy, runs the model
// on them with --out, and checks the written output against output_0.pb.
func TestRunNPY(t *testing.T) {
	needBackendData(t)
	dir := t.TempDir()
	set := filepath.Join(backendTest, "test_data_set_0")
	var npys []string
	for _, n := range []string{"input_0", "input_1"} {
		v, err := onnx.ReadValueFile(filepath.Join(set, n+".pb"), ir.Type{})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, n+".npy")
		if err := tensor.WriteNPYFile(p, v.(*tensor.Tensor)); err != nil {
			t.Fatal(err)
		}
		npys = append(npys, p)
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCLI("run", filepath.Join(backendTest, "model.onnx"), "--input", "x="+npys[0], "--input", npys[1], "--out", out)
	if code != exitOK {
		t.Fatalf("exit code %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, filepath.Join(out, "sum.npy")) {
		t.Errorf("stdout does not name the written file:\n%s", stdout)
	}
	got, err := tensor.ReadNPYFile(filepath.Join(out, "sum.npy"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := onnx.ReadValueFile(filepath.Join(set, "output_0.pb"), ir.Type{})
	if err != nil {
		t.Fatal(err)
	}
	if err := onnxtest.Compare(got, want); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
}
