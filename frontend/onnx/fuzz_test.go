package onnx

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/internal/testenv"
)

// FuzzImport feeds arbitrary bytes to the importer: it must return a module
// or an error, never panic, hang or allocate without bound, and every
// constant that claims a Source in the model must hold exactly those bytes.
// Seeds: testdata/fuzz/FuzzImport (small handcrafted models, rewritten with
// -update-fuzz-seeds) and every shared ONNX model.
func FuzzImport(f *testing.F) {
	fuzzing := flag.Lookup("test.fuzz").Value.String() != ""
	for _, p := range testenv.SharedONNXModels() {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if fuzzing && len(b) > 1<<16 {
			// Mutating and minimizing megabytes of weights makes the
			// fuzzer crawl; the structure is what matters, so fuzz a copy
			// with every large payload shrunk.
			b = shrinkPayloads(f, b)
		}
		f.Add(b)
	}
	path := filepath.Join(f.TempDir(), "fuzz.onnx")
	abs, _ := filepath.Abs(path)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ImportBytes(data, path)
		if err != nil {
			return
		}
		defer m.Close()
		for _, v := range m.Consts {
			s := v.Const.Source
			if s == nil || s.Path != abs {
				continue
			}
			if s.Offset < 0 || s.Length != int64(len(v.Const.Bytes)) || s.Offset+s.Length > int64(len(data)) ||
				!bytes.Equal(data[s.Offset:s.Offset+s.Length], v.Const.Bytes) {
				t.Fatalf("constant %s: Source %+v does not match its bytes", v.Const.Name, *s)
			}
		}
	})
}

// shrinkPayloads returns the model with each tensor payload over 64 bytes
// cut to at most 16 elements (dims set to match).
func shrinkPayloads(t testing.TB, b []byte) []byte {
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		t.Fatal(err)
	}
	var walk func(g *onnxpb.GraphProto)
	shrink := func(tp *onnxpb.TensorProto) {
		d, err := DType(tp.GetDataType())
		if err != nil || len(tp.RawData) <= 64 || d.Size() == 0 {
			return
		}
		n := min(16, len(tp.RawData)/d.Size())
		tp.RawData = tp.RawData[:n*d.Size()]
		tp.Dims = []int64{int64(n)}
	}
	walk = func(g *onnxpb.GraphProto) {
		for _, tp := range g.Initializer {
			shrink(tp)
		}
		for _, np := range g.Node {
			for _, a := range np.Attribute {
				if a.T != nil {
					shrink(a.T)
				}
				if a.G != nil {
					walk(a.G)
				}
				for _, sg := range a.Graphs {
					walk(sg)
				}
			}
		}
	}
	walk(mp.Graph)
	return marshal(t, &mp)
}

var updateFuzzSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite the handcrafted seeds in testdata/fuzz/FuzzImport")

// fuzzSeedModels are the handcrafted seeds: one small model per feature
// the payload walk handles.
func fuzzSeedModels() map[string]*onnxpb.ModelProto {
	f32 := int32(onnxpb.TensorProto_FLOAT)
	f64 := int32(onnxpb.TensorProto_DOUBLE)
	nested := addModel(rawTensor("w", []int64{2, 2}, f32Raw(1, 2, 3, 4)))
	inner := &onnxpb.GraphProto{Name: proto.String("inner"),
		Initializer: []*onnxpb.TensorProto{rawTensor("k", []int64{1}, f32Raw(5))},
		Node: []*onnxpb.NodeProto{nodeProto("c2", "Constant", nil, []string{"cv2"},
			&onnxpb.AttributeProto{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: rawTensor("", []int64{1}, f32Raw(6))})},
		Output: []*onnxpb.ValueInfoProto{tensorVI("cv2", onnxpb.TensorProto_FLOAT, 1)}}
	nested.Graph.Node = append(nested.Graph.Node, nodeProto("if", "If", []string{"c"}, []string{"o"},
		&onnxpb.AttributeProto{Name: proto.String("then_branch"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: inner},
		&onnxpb.AttributeProto{Name: proto.String("else_branch"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: inner}))
	// ConstantOfShape's value is a tensor the payload walk leaves inline.
	fill := addModel(&onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Dims: []int64{2}, Int64Data: []int64{2, 2}})
	fill.Graph.Node[0] = nodeProto("fill", "ConstantOfShape", []string{"w"}, []string{"f"},
		&onnxpb.AttributeProto{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: rawTensor("", []int64{1}, f32Raw(3))})
	fill.Graph.Node = append(fill.Graph.Node, nodeProto("add", "Add", []string{"x", "f"}, []string{"s"}))
	fill.Graph.Node[1], fill.Graph.Node[2] = fill.Graph.Node[2], fill.Graph.Node[1]
	fill.Graph.ValueInfo = []*onnxpb.ValueInfoProto{tensorVI("f", onnxpb.TensorProto_FLOAT, 2, 2)}
	softmax := addModel(rawTensor("w", []int64{2, 2}, f32Raw(1, 2, 3, 4)))
	softmax.Graph.Node[1] = nodeProto("sm", "Softmax", []string{"s"}, []string{"y"}, attrI("axis", 0))
	narrow := addModel(&onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(onnxpb.TensorProto_UINT8)), Dims: []int64{2, 2}, Int32Data: []int32{0, 1, 254, 255}})
	narrow.Graph.Node = append([]*onnxpb.NodeProto{nodeProto("cast", "Cast", []string{"w"}, []string{"wf"}, attrI("to", int64(onnxpb.TensorProto_FLOAT)))}, narrow.Graph.Node...)
	narrow.Graph.Node[1].Input[1] = "wf"
	strs := addModel(&onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(onnxpb.TensorProto_STRING)), Dims: []int64{2}, StringData: [][]byte{[]byte("a"), []byte("b")}})
	return map[string]*onnxpb.ModelProto{
		"raw":         addModel(rawTensor("w", []int64{2, 2}, f32Raw(1, 2, 3, 4))),
		"float_data":  addModel(&onnxpb.TensorProto{Name: proto.String("w"), DataType: &f32, Dims: []int64{2, 2}, FloatData: []float32{1, 2, 3, 4}}),
		"double_data": addModel(&onnxpb.TensorProto{Name: proto.String("w"), DataType: &f64, Dims: []int64{2}, DoubleData: []float64{1, 2}}),
		"int64_data":  addModel(&onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Dims: []int64{2}, Int64Data: []int64{-1, 1 << 40}}),
		"constant":    constModel(rawTensor("", []int64{2, 2}, f32Raw(1, 2, 3, 4))),
		"external":    addModel(externalTensor("w", "location", "weights.bin", "offset", "16", "length", "16")),
		"nested":      nested,
		"strings":     strs,
		"scalar":      addModel(rawTensor("w", nil, f32Raw(7))),
		"empty":       addModel(rawTensor("w", []int64{0, 2}, nil)),
		"fill":        fill,
		"softmax":     softmax,
		"int32_data":  narrow,
	}
}

func TestWriteFuzzSeeds(t *testing.T) {
	if !*updateFuzzSeeds {
		t.Skip("run with -update-fuzz-seeds to rewrite the seeds")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzImport")
	for name, mp := range fuzzSeedModels() {
		b := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", marshal(t, mp))
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
