package onnx

import (
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// oneNodeModel builds a model of a single node at the given opset; its graph
// inputs are the node's inputs, typed like the tensors in feeds, except
// those given as initializers.
func oneNodeModel(opset int64, n *onnxpb.NodeProto, feeds []*interp.Tensor, inits map[string]*interp.Tensor) *onnxpb.ModelProto {
	g := &onnxpb.GraphProto{Name: proto.String("g"), Node: []*onnxpb.NodeProto{n}}
	k := 0
	for _, in := range n.Input {
		if t, ok := inits[in]; ok {
			raw, _ := tensor.EncodeBytes(t)
			dims := make([]int64, len(t.Shape))
			for i, d := range t.Shape {
				dims[i] = int64(d)
			}
			g.Initializer = append(g.Initializer, &onnxpb.TensorProto{Name: proto.String(in), Dims: dims,
				DataType: proto.Int32(ONNXDType(t.DType)), RawData: raw})
			continue
		}
		if in != "" {
			g.Input = append(g.Input, feedVI(in, feeds[k]))
			k++
		}
	}
	g.Output = []*onnxpb.ValueInfoProto{{Name: proto.String(n.Output[0])}}
	return opsetModel(3, opset, g)
}

// TestElementwiseLegacyForms checks the converters of old opset versions,
// which the ONNX 1.12 node tests (written at newer opsets) do not reach.
func TestElementwiseLegacyForms(t *testing.T) {
	f32 := func(shape []int, xs ...float32) *interp.Tensor { return interp.FromSlice(shape, xs) }
	tests := []struct {
		name  string
		opset int64
		node  *onnxpb.NodeProto
		feeds []*interp.Tensor
		inits map[string]*interp.Tensor
		want  *interp.Tensor
		err   string
	}{
		{name: "Cast-1 string to", opset: 1,
			node:  &onnxpb.NodeProto{OpType: proto.String("Cast"), Input: []string{"x"}, Output: []string{"y"}, Attribute: []*onnxpb.AttributeProto{attrS("to", "int32")}},
			feeds: []*interp.Tensor{f32([]int{2}, 1.7, -2.5)},
			want:  interp.FromSlice([]int{2}, []int32{1, -2})},
		{name: "Cast-1 enum to", opset: 1,
			node:  &onnxpb.NodeProto{OpType: proto.String("Cast"), Input: []string{"x"}, Output: []string{"y"}, Attribute: []*onnxpb.AttributeProto{attrI("to", int64(onnxpb.TensorProto_DOUBLE))}},
			feeds: []*interp.Tensor{f32([]int{1}, 0.5)},
			want:  interp.FromSlice([]int{1}, []float64{0.5})},
		{name: "Cast-1 bad name", opset: 1,
			node:  &onnxpb.NodeProto{OpType: proto.String("Cast"), Input: []string{"x"}, Output: []string{"y"}, Attribute: []*onnxpb.AttributeProto{attrS("to", "FLOAT128")}},
			feeds: []*interp.Tensor{f32([]int{1}, 0.5)},
			err:   `unknown type name "FLOAT128"`},
		{name: "Clip-1 attributes and consumed_inputs", opset: 1,
			node: &onnxpb.NodeProto{OpType: proto.String("Clip"), Input: []string{"x"}, Output: []string{"y"},
				Attribute: []*onnxpb.AttributeProto{attrF("min", -1), attrF("max", 1), attrInts("consumed_inputs", 0)}},
			feeds: []*interp.Tensor{f32([]int{3}, -5, 0.5, 5)},
			want:  f32([]int{3}, -1, 0.5, 1)},
		{name: "Clip-6 min only", opset: 6,
			node:  &onnxpb.NodeProto{OpType: proto.String("Clip"), Input: []string{"x"}, Output: []string{"y"}, Attribute: []*onnxpb.AttributeProto{attrF("min", 0)}},
			feeds: []*interp.Tensor{f32([]int{2}, -5, 5)},
			want:  f32([]int{2}, 0, 5)},
		{name: "Relu-1 consumed_inputs", opset: 1,
			node:  &onnxpb.NodeProto{OpType: proto.String("Relu"), Input: []string{"x"}, Output: []string{"y"}, Attribute: []*onnxpb.AttributeProto{attrInts("consumed_inputs", 0)}},
			feeds: []*interp.Tensor{f32([]int{2}, -5, 5)},
			want:  f32([]int{2}, 0, 5)},
		{name: "Relu-6 rejects consumed_inputs", opset: 6,
			node:  &onnxpb.NodeProto{OpType: proto.String("Relu"), Input: []string{"x"}, Output: []string{"y"}, Attribute: []*onnxpb.AttributeProto{attrInts("consumed_inputs", 0)}},
			feeds: []*interp.Tensor{f32([]int{2}, -5, 5)},
			err:   `attribute "consumed_inputs" is not supported`},
		{name: "HardSigmoid-1 consumed_inputs", opset: 1,
			node: &onnxpb.NodeProto{OpType: proto.String("HardSigmoid"), Input: []string{"x"}, Output: []string{"y"},
				Attribute: []*onnxpb.AttributeProto{attrF("alpha", 0.5), attrInts("consumed_inputs", 0)}},
			feeds: []*interp.Tensor{f32([]int{3}, -2, 0, 2)},
			want:  f32([]int{3}, 0, 0.5, 1)},
		{name: "Selu-1 attributes", opset: 1,
			node: &onnxpb.NodeProto{OpType: proto.String("Selu"), Input: []string{"x"}, Output: []string{"y"},
				Attribute: []*onnxpb.AttributeProto{attrF("alpha", 2), attrF("gamma", 3), attrInts("consumed_inputs", 0)}},
			feeds: []*interp.Tensor{f32([]int{2}, 0, 1)},
			want:  f32([]int{2}, 0, 3)},
		{name: "Sum-1 consumed_inputs", opset: 1,
			node:  &onnxpb.NodeProto{OpType: proto.String("Sum"), Input: []string{"a", "b"}, Output: []string{"y"}, Attribute: []*onnxpb.AttributeProto{attrInts("consumed_inputs", 0, 0)}},
			feeds: []*interp.Tensor{f32([]int{2}, 1, 2), f32([]int{2}, 10, 20)},
			want:  f32([]int{2}, 11, 22)},
		{name: "Add-1 broadcast trailing", opset: 1,
			node: &onnxpb.NodeProto{OpType: proto.String("Add"), Input: []string{"a", "b"}, Output: []string{"y"},
				Attribute: []*onnxpb.AttributeProto{attrI("broadcast", 1), attrInts("consumed_inputs", 0, 0)}},
			feeds: []*interp.Tensor{f32([]int{2, 2}, 1, 2, 3, 4), f32([]int{2}, 10, 20)},
			want:  f32([]int{2, 2}, 11, 22, 13, 24)},
		{name: "Sub-6 broadcast at axis", opset: 6,
			node: &onnxpb.NodeProto{OpType: proto.String("Sub"), Input: []string{"a", "b"}, Output: []string{"y"},
				Attribute: []*onnxpb.AttributeProto{attrI("broadcast", 1), attrI("axis", 0)}},
			feeds: []*interp.Tensor{f32([]int{2, 2}, 1, 2, 3, 4), f32([]int{2}, 1, 3)},
			want:  f32([]int{2, 2}, 0, 1, 0, 1)},
		{name: "PRelu-6 per-channel slope input", opset: 6,
			node:  &onnxpb.NodeProto{OpType: proto.String("PRelu"), Input: []string{"x", "s"}, Output: []string{"y"}},
			feeds: []*interp.Tensor{f32([]int{1, 2, 1, 2}, -1, -1, -1, 1), f32([]int{2}, 0.5, 2)},
			want:  f32([]int{1, 2, 1, 2}, -0.5, -0.5, -2, 1)},
		{name: "Greater-1 broadcast", opset: 1,
			node:  &onnxpb.NodeProto{OpType: proto.String("Greater"), Input: []string{"a", "b"}, Output: []string{"y"}, Attribute: []*onnxpb.AttributeProto{attrI("broadcast", 1)}},
			feeds: []*interp.Tensor{f32([]int{2}, 1, 3), f32(nil, 2)},
			want:  interp.FromSlice([]int{2}, []bool{false, true})},
		{name: "PRelu-6 per-channel constant slope", opset: 6,
			node:  &onnxpb.NodeProto{OpType: proto.String("PRelu"), Input: []string{"x", "s"}, Output: []string{"y"}},
			feeds: []*interp.Tensor{f32([]int{1, 2, 1, 2}, -1, -1, -1, 1)},
			inits: map[string]*interp.Tensor{"s": f32([]int{2}, 0.5, 2)},
			want:  f32([]int{1, 2, 1, 2}, -0.5, -0.5, -2, 1)},
		{name: "PRelu-7 broadcasts numpy-style", opset: 7,
			node:  &onnxpb.NodeProto{OpType: proto.String("PRelu"), Input: []string{"x", "s"}, Output: []string{"y"}},
			feeds: []*interp.Tensor{f32([]int{2, 2}, -1, -1, -1, 1), f32([]int{2}, 0.5, 2)},
			want:  f32([]int{2, 2}, -0.5, -2, -0.5, 1)},
		{name: "Clip-11 optional inputs", opset: 11,
			node:  &onnxpb.NodeProto{OpType: proto.String("Clip"), Input: []string{"x", "", "hi"}, Output: []string{"y"}},
			feeds: []*interp.Tensor{f32([]int{2}, -5, 5)},
			inits: map[string]*interp.Tensor{"hi": f32(nil, 1)},
			want:  f32([]int{2}, -5, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ImportModel(oneNodeModel(tc.opset, tc.node, tc.feeds, tc.inits), "test.onnx")
			if err == nil {
				defer m.Close()
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("import error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			in := make([]interp.Value, len(tc.feeds))
			for i, f := range tc.feeds {
				in[i] = f
			}
			got, err := interp.New(m, interp.Options{}).Run("", in)
			if err != nil {
				t.Fatal(err)
			}
			g := got[0].(*interp.Tensor)
			if g.DType != tc.want.DType || !reflect.DeepEqual(g.Shape, tc.want.Shape) || !reflect.DeepEqual(g.Data, tc.want.Data) {
				t.Errorf("got %v, want %v", g, tc.want)
			}
		})
	}
}

// TestElementwiseRulesCoverOpsets checks that every op of the family has an
// import rule at every opset from its introduction to 17.
func TestElementwiseRulesCoverOpsets(t *testing.T) {
	since := map[string]int64{
		"Add": 1, "Sub": 1, "Mul": 1, "Div": 1, "Pow": 1, "Mod": 10, "BitShift": 11, "Abs": 1, "Neg": 1,
		"Sign": 9, "Ceil": 1, "Floor": 1, "Round": 11, "Reciprocal": 1, "Sqrt": 1, "Exp": 1, "Log": 1,
		"Erf": 9, "Sin": 7, "Cos": 7, "Tan": 7, "Asin": 7, "Acos": 7, "Atan": 7, "Sinh": 9, "Cosh": 9,
		"Asinh": 9, "Acosh": 9, "Atanh": 9, "Sigmoid": 1, "HardSigmoid": 1, "HardSwish": 14, "Relu": 1,
		"LeakyRelu": 1, "PRelu": 1, "Elu": 1, "Selu": 1, "Celu": 12, "ThresholdedRelu": 1, "Softplus": 1,
		"Softsign": 1, "Tanh": 1, "Shrink": 9, "Clip": 1, "Not": 1, "And": 1, "Or": 1, "Xor": 1,
		"Equal": 1, "Greater": 1, "Less": 1, "GreaterOrEqual": 12, "LessOrEqual": 12, "IsNaN": 9,
		"IsInf": 10, "Where": 9, "Sum": 1, "Max": 1, "Min": 1, "Mean": 1, "Cast": 1, "CastLike": 15,
		"Identity": 1,
	}
	for op, s := range since {
		if ir.Lookup(op) == nil {
			t.Errorf("%s: no kiln op", op)
		}
		checkRuleSpan(t, op, s, 17)
	}
}
