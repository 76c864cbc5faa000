package onnx

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir/interp"
)

// Small helpers that build ONNX models with the generated bindings, for
// tests that need a model with a particular defect.

func tensorVI(name string, elem onnxpb.TensorProto_DataType, dims ...int64) *onnxpb.ValueInfoProto {
	sh := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		sh.Dim = append(sh.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(elem)), Shape: sh}}}}
}

// feedVI declares a graph input typed like t.
func feedVI(name string, t *interp.Tensor) *onnxpb.ValueInfoProto {
	dims := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = int64(d)
	}
	return tensorVI(name, onnxpb.TensorProto_DataType(ONNXDType(t.DType)), dims...)
}

// opsetModel wraps g in a model of the given IR version that imports the
// default domain at opset.
func opsetModel(irVersion, opset int64, g *onnxpb.GraphProto) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{IrVersion: proto.Int64(irVersion), Graph: g,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(opset)}}}
}

func f32Raw(vals ...float32) []byte {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func rawTensor(name string, dims []int64, raw []byte) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Dims: dims, RawData: raw}
}

func nodeProto(name, op string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{Name: proto.String(name), OpType: proto.String(op), Input: in, Output: out, Attribute: attrs}
}

// opNode is an unnamed node of type op.
func opNode(op string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: proto.String(op), Input: in, Output: out, Attribute: attrs}
}

func attrF(name string, f float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(f)}
}

func attrFloats(name string, fs ...float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOATS.Enum(), Floats: fs}
}

func attrI(name string, i int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(i)}
}

func attrInts(name string, is ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: is}
}

func attrS(name, s string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(s)}
}

func attrGraph(name string, g *onnxpb.GraphProto) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: g}
}

// addModel is y = x + w (w an initializer) followed by Identity, opset 13.
func addModel(w *onnxpb.TensorProto) *onnxpb.ModelProto {
	return opsetModel(8, 13, &onnxpb.GraphProto{
		Name:        proto.String("g"),
		Node:        []*onnxpb.NodeProto{nodeProto("add", "Add", []string{"x", w.GetName()}, []string{"s"}), nodeProto("id", "Identity", []string{"s"}, []string{"y"})},
		Initializer: []*onnxpb.TensorProto{w},
		Input:       []*onnxpb.ValueInfoProto{tensorVI("x", onnxpb.TensorProto_FLOAT, 2, 2)},
		Output:      []*onnxpb.ValueInfoProto{tensorVI("y", onnxpb.TensorProto_FLOAT, 2, 2)},
	})
}

// constModel is y = x + c where c comes from a Constant node.
func constModel(c *onnxpb.TensorProto) *onnxpb.ModelProto {
	mp := addModel(rawTensor("unused", []int64{1}, f32Raw(0)))
	mp.Graph.Initializer = nil
	mp.Graph.Node = []*onnxpb.NodeProto{
		nodeProto("c", "Constant", nil, []string{"cv"}, &onnxpb.AttributeProto{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: c}),
		nodeProto("add", "Add", []string{"x", "cv"}, []string{"y"}),
	}
	return mp
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeModel writes mp to dir/name and returns the path.
func writeModel(t testing.TB, dir, name string, mp *onnxpb.ModelProto) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, marshal(t, mp), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
