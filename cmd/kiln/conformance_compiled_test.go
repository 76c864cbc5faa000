package main

import (
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
)

// reluModel is y = Relu(x) with x and y f32[n].
func reluModel() *onnxpb.ModelProto {
	g := &onnxpb.GraphProto{
		Name:   proto.String("g"),
		Node:   []*onnxpb.NodeProto{{Name: proto.String("r"), OpType: proto.String("Relu"), Input: []string{"x"}, Output: []string{"y"}}},
		Input:  []*onnxpb.ValueInfoProto{tensorInfo("x", onnxpb.TensorProto_FLOAT, -1)},
		Output: []*onnxpb.ValueInfoProto{tensorInfo("y", onnxpb.TensorProto_FLOAT, -1)},
	}
	return &onnxpb.ModelProto{IrVersion: proto.Int64(8), Graph: g,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(14)}}}
}

// writeReluTest writes a Relu test folder whose one data set maps x to y.
func writeReluTest(t *testing.T, dir string, x, y []float32) {
	t.Helper()
	writeProto(t, filepath.Join(dir, "model.onnx"), reluModel())
	writeProto(t, filepath.Join(dir, "test_data_set_0", "input_0.pb"), f32Tensor("x", x...))
	writeProto(t, filepath.Join(dir, "test_data_set_0", "output_0.pb"), f32Tensor("y", y...))
}

// TestConformanceCompiled runs a small suite with the compiled engine:
// passing (with data sets of two lengths), refused (naming the op),
// wrong expected data and no data, in the order found.
func TestConformanceCompiled(t *testing.T) {
	needGoBuild(t)
	root := filepath.Join(t.TempDir(), "suite")
	writeReluTest(t, filepath.Join(root, "test_a_ok"), []float32{-1, 2, 3}, []float32{0, 2, 3})
	// A second data set of another length: a unit of its own.
	writeProto(t, filepath.Join(root, "test_a_ok", "test_data_set_1", "input_0.pb"), f32Tensor("x", 5, -5))
	writeProto(t, filepath.Join(root, "test_a_ok", "test_data_set_1", "output_0.pb"), f32Tensor("y", 5, 0))
	writeReluTest(t, filepath.Join(root, "test_b_wrong"), []float32{-1, 2, 3}, []float32{0, 2, 4})
	writeProto(t, filepath.Join(root, "test_c_nodata", "model.onnx"), reluModel())
	// LpNormalization has no codegen kernel; of one element 1 it is 1.
	hm := reluModel()
	hm.Graph.Node[0].OpType = proto.String("LpNormalization")
	writeProto(t, filepath.Join(root, "test_d_lpnorm", "model.onnx"), hm)
	writeProto(t, filepath.Join(root, "test_d_lpnorm", "test_data_set_0", "input_0.pb"), f32Tensor("x", 1))
	writeProto(t, filepath.Join(root, "test_d_lpnorm", "test_data_set_0", "output_0.pb"), f32Tensor("y", 1))

	code, stdout, stderr := runCLI("conformance", "--engine", "compiled", "-j", "2", root)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := []string{
		`passed  suite/test_a_ok`,
		`failed  suite/test_b_wrong: compare: test_data_set_0: output 0 (y): `,
		`failed  suite/test_c_nodata: load: no test_data_set_* folders`,
		`failed  suite/test_d_lpnorm: compile: codegen has no kernel for 1 op type(s): LpNormalization: "r"`,
		`1 passed, 3 failed, 0 skipped`,
	}
	got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("report:\n%s\nwant lines starting:\n%s", stdout, strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d: %q, want it to start %q", i, got[i], want[i])
		}
	}
	// The interpreter engine gives the same outcomes but for LpNormalization.
	_, istdout, _ := runCLI("conformance", "-j", "2", root)
	if !strings.Contains(istdout, "passed  suite/test_d_lpnorm") || !strings.Contains(istdout, "2 passed, 2 failed") {
		t.Errorf("interpreter engine:\n%s", istdout)
	}
	code, _, stderr = runCLI("conformance", "--engine", "jit", root)
	if code != exitUsage || !strings.Contains(stderr, "--engine jit: want interp or compiled") {
		t.Errorf("--engine jit: exit %d, %s", code, stderr)
	}
}
