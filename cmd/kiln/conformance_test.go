package main

import (
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
)

// f32Tensor is a TensorProto holding vals as a [len(vals)] f32 tensor.
func f32Tensor(name string, vals ...float32) *onnxpb.TensorProto {
	raw := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: []int64{int64(len(vals))}, RawData: raw}
}

// tensorInfo declares a tensor; a dim of -1 is the symbolic dim "n".
func tensorInfo(name string, elem onnxpb.TensorProto_DataType, dims ...int64) *onnxpb.ValueInfoProto {
	sh := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}}
		if d < 0 {
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "n"}
		}
		sh.Dim = append(sh.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(elem)), Shape: sh}}}}
}

// doublingModel is a Loop of a billion iterations that doubles a tensor in
// each: a test that allocates without bound.
func doublingModel() *onnxpb.ModelProto {
	body := &onnxpb.GraphProto{
		Name: proto.String("body"),
		Node: []*onnxpb.NodeProto{
			{OpType: proto.String("Concat"), Input: []string{"v", "v"}, Output: []string{"v2"},
				Attribute: []*onnxpb.AttributeProto{{Name: proto.String("axis"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(0)}}},
			{OpType: proto.String("Identity"), Input: []string{"cond"}, Output: []string{"cond2"}},
		},
		Input:  []*onnxpb.ValueInfoProto{tensorInfo("i", onnxpb.TensorProto_INT64), tensorInfo("cond", onnxpb.TensorProto_BOOL), tensorInfo("v", onnxpb.TensorProto_FLOAT, -1)},
		Output: []*onnxpb.ValueInfoProto{tensorInfo("cond2", onnxpb.TensorProto_BOOL), tensorInfo("v2", onnxpb.TensorProto_FLOAT, -1)},
	}
	trips := &onnxpb.TensorProto{Name: proto.String("trips"), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: []int64{1_000_000_000}}
	g := &onnxpb.GraphProto{
		Name: proto.String("g"),
		Node: []*onnxpb.NodeProto{{Name: proto.String("grow"), OpType: proto.String("Loop"), Input: []string{"trips", "", "x"}, Output: []string{"y"},
			Attribute: []*onnxpb.AttributeProto{{Name: proto.String("body"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: body}}}},
		Initializer: []*onnxpb.TensorProto{trips},
		Input:       []*onnxpb.ValueInfoProto{tensorInfo("x", onnxpb.TensorProto_FLOAT, 1)},
		Output:      []*onnxpb.ValueInfoProto{tensorInfo("y", onnxpb.TensorProto_FLOAT, -1)},
	}
	return &onnxpb.ModelProto{IrVersion: proto.Int64(8), Graph: g,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}}}
}

// writeProto writes m to path, making its folder.
func writeProto(t *testing.T, path string, m proto.Message) {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyTest copies an ONNX backend test folder (model and data sets) to dst.
func copyTest(t *testing.T, src, dst string, withData bool) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if !withData && rel != "model.onnx" {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755)
		out, err := os.Create(filepath.Join(dst, rel))
		if err != nil {
			return err
		}
		defer out.Close()
		_, err = io.Copy(out, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Each test runs in its own process: one that allocates without bound
// fails alone with "out of memory". Folder names are taken literally
// (a glob-like name does not read its sibling's data) and quoted in the
// report when they hold control characters. Tests are found at any depth.
func TestConformanceIsolation(t *testing.T) {
	needBackendData(t)
	root := t.TempDir()
	suite := filepath.Join(root, "deep", "suite")
	copyTest(t, backendTest, filepath.Join(suite, "test_x"), true)
	copyTest(t, backendTest, filepath.Join(suite, "test_[x]"), false)
	copyTest(t, backendTest, filepath.Join(suite, "test_nl\npassed  node/forged"), true)
	oom := filepath.Join(suite, "test_oom")
	writeProto(t, filepath.Join(oom, "model.onnx"), doublingModel())
	writeProto(t, filepath.Join(oom, "test_data_set_0", "input_0.pb"), f32Tensor("x", 1))
	writeProto(t, filepath.Join(oom, "test_data_set_0", "output_0.pb"), f32Tensor("y", 1))

	code, stdout, stderr := runCLI("conformance", "--mem-limit", "256", "--timeout", "60s", "-j", "2", root)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := []string{
		`failed  suite/test_[x]: load: no test_data_set_* folders`,
		`passed  "test_nl\npassed  node"/forged`, // the newline folder is the suite here
		`failed  suite/test_oom: crash: out of memory (over the 256 MiB limit)`,
		`passed  suite/test_x`,
		`2 passed, 2 failed, 0 skipped`,
	}
	if got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("report:\n%s\nwant:\n%s\nstderr: %s", stdout, strings.Join(want, "\n"), stderr)
	}
}

func TestConformanceWorkersBounded(t *testing.T) {
	max := 4 * runtime.NumCPU()
	code, _, stderr := runCLI("conformance", "-j", strconv.Itoa(max+1), "x")
	if code != exitUsage || !strings.Contains(stderr, "at most") {
		t.Errorf("-j %d: exit %d, stderr %q", max+1, code, stderr)
	}
}
