package onnx

import (
	"fmt"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// legacyCase is a one-node model at an old opset: float input x of the
// given shape, optional i64 initializers, node attributes, and the expected
// first output.
type legacyCase struct {
	name      string
	op        string
	opset     int64
	xShape    []int64
	inits     map[string][]int64 // extra inputs (in initName order), i64 scalars if one value
	initOrder []string
	attrs     []*onnxpb.AttributeProto
	wantShape []int
	want      []float32
	outputs   int // node outputs (default 1); the first is checked
}

func (lc legacyCase) model() *onnxpb.ModelProto {
	g := &onnxpb.GraphProto{
		Name:   proto.String("g"),
		Input:  []*onnxpb.ValueInfoProto{tensorVI("x", onnxpb.TensorProto_FLOAT, lc.xShape...)},
		Output: []*onnxpb.ValueInfoProto{{Name: proto.String("y")}},
	}
	inputs := []string{"x"}
	for _, n := range lc.initOrder {
		v := lc.inits[n]
		tp := &onnxpb.TensorProto{Name: proto.String(n), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: v}
		if len(v) != 1 {
			tp.Dims = []int64{int64(len(v))}
		}
		g.Initializer = append(g.Initializer, tp)
		inputs = append(inputs, n)
	}
	outs := []string{"y"}
	for i := 1; i < lc.outputs; i++ {
		outs = append(outs, fmt.Sprintf("y%d", i))
	}
	g.Node = []*onnxpb.NodeProto{opNode(lc.op, inputs, outs, lc.attrs...)}
	return opsetModel(3, lc.opset, g)
}

// TestLegacyTensorOps imports the pre-opset-13 forms whose attributes kiln
// turns into operands and checks the results.
func TestLegacyTensorOps(t *testing.T) {
	x6 := []float32{1, 2, 3, 4, 5, 6}
	cases := []legacyCase{
		{name: "Reshape-1 shape attr", op: "Reshape", opset: 1, xShape: []int64{2, 3},
			attrs: []*onnxpb.AttributeProto{attrInts("shape", 3, -1), attrInts("consumed_inputs", 0)}, wantShape: []int{3, 2}, want: x6},
		{name: "Squeeze-1 axes attr", op: "Squeeze", opset: 1, xShape: []int64{1, 6},
			attrs: []*onnxpb.AttributeProto{attrInts("axes", 0)}, wantShape: []int{6}, want: x6},
		{name: "Squeeze-11 all", op: "Squeeze", opset: 11, xShape: []int64{1, 6, 1}, wantShape: []int{6}, want: x6},
		{name: "Unsqueeze-11 axes attr", op: "Unsqueeze", opset: 11, xShape: []int64{6},
			attrs: []*onnxpb.AttributeProto{attrInts("axes", -1, 0)}, wantShape: []int{1, 6, 1}, want: x6},
		{name: "Split-2 split attr", op: "Split", opset: 2, xShape: []int64{1, 6},
			attrs: []*onnxpb.AttributeProto{attrI("axis", 1), attrInts("split", 4, 2)}, wantShape: []int{1, 4}, want: x6[:4], outputs: 2},
		{name: "Slice-1 attrs", op: "Slice", opset: 1, xShape: []int64{2, 3},
			attrs:     []*onnxpb.AttributeProto{attrInts("starts", 1), attrInts("ends", 1000), attrInts("axes", 1)},
			wantShape: []int{2, 2}, want: []float32{2, 3, 5, 6}},
		{name: "Tile-1 tiles and axis", op: "Tile", opset: 1, xShape: []int64{1, 2},
			initOrder: []string{"tiles", "axis"}, inits: map[string][]int64{"tiles": {2}, "axis": {1}},
			wantShape: []int{1, 4}, want: []float32{1, 2, 1, 2}},
		{name: "Pad-2 pads and value", op: "Pad", opset: 2, xShape: []int64{1, 2},
			attrs:     []*onnxpb.AttributeProto{attrInts("pads", 0, 1, 0, 2), attrF("value", 9)},
			wantShape: []int{1, 5}, want: []float32{9, 1, 2, 9, 9}},
		{name: "Pad-1 paddings edge", op: "Pad", opset: 1, xShape: []int64{1, 2},
			attrs:     []*onnxpb.AttributeProto{attrInts("paddings", 0, 2, 0, 1), attrS("mode", "edge")},
			wantShape: []int{1, 5}, want: []float32{1, 1, 1, 2, 2}},
		{name: "TopK-1 k attr", op: "TopK", opset: 1, xShape: []int64{1, 6},
			attrs: []*onnxpb.AttributeProto{attrI("k", 2)}, wantShape: []int{1, 2}, want: []float32{6, 5}, outputs: 2},
		{name: "Upsample-1 height/width scales", op: "Upsample", opset: 1, xShape: []int64{1, 1, 1, 2},
			attrs:     []*onnxpb.AttributeProto{attrF("height_scale", 2), attrF("width_scale", 2)},
			wantShape: []int{1, 1, 2, 4}, want: []float32{1, 1, 2, 2, 1, 1, 2, 2}},
		{name: "Upsample-7 scales attr linear", op: "Upsample", opset: 7, xShape: []int64{1, 2},
			attrs:     []*onnxpb.AttributeProto{attrFloats("scales", 1, 2), attrS("mode", "linear")},
			wantShape: []int{1, 4}, want: []float32{1, 1.5, 2, 2}},
	}
	for _, lc := range cases {
		t.Run(lc.name, func(t *testing.T) {
			m, err := ImportModel(lc.model(), "test.onnx")
			if err != nil {
				t.Fatal(err)
			}
			n := 1
			for _, d := range lc.xShape {
				n *= int(d)
			}
			shape := make([]int, len(lc.xShape))
			for i, d := range lc.xShape {
				shape[i] = int(d)
			}
			x := interp.FromSlice(shape, append([]float32{}, x6[:n]...))
			out, err := interp.New(m, interp.Options{}).Run("main", []interp.Value{x})
			if err != nil {
				t.Fatal(err)
			}
			y := out[0].(*interp.Tensor)
			if !reflect.DeepEqual(y.Shape, lc.wantShape) || !reflect.DeepEqual(y.Data, lc.want) {
				t.Errorf("got %v, want %v %v", y, lc.wantShape, lc.want)
			}
			want := interp.NewTensor(ir.F32, lc.wantShape).Type().Shape
			if got := m.Funcs[0].Body.Results[0].Type.Shape; !got.Equal(want) {
				t.Errorf("inferred shape %v, want %v", got, want)
			}
		})
	}
}

// TestTensorRulesCoverOpsets checks that every op of the family has an
// import rule at every opset from its introduction to its last version
// (17, or its deprecation).
func TestTensorRulesCoverOpsets(t *testing.T) {
	type span struct{ since, until int64 }
	ops := map[string]span{
		"Reshape": {1, 17}, "Flatten": {1, 17}, "Squeeze": {1, 17}, "Unsqueeze": {1, 17}, "Transpose": {1, 17},
		"Concat": {1, 17}, "Split": {1, 17}, "Slice": {1, 17}, "Gather": {1, 17}, "GatherElements": {11, 17},
		"GatherND": {11, 17}, "Scatter": {9, 17}, "ScatterElements": {11, 17}, "ScatterND": {11, 17},
		"Expand": {8, 17}, "Tile": {1, 17}, "Pad": {1, 17}, "Shape": {1, 17}, "Size": {1, 17},
		"ConstantOfShape": {9, 17}, "Range": {11, 17}, "OneHot": {9, 17}, "Trilu": {14, 17}, "EyeLike": {9, 17},
		"NonZero": {9, 17}, "Compress": {9, 17}, "DepthToSpace": {1, 17}, "SpaceToDepth": {1, 17},
		"ReverseSequence": {10, 17}, "Unique": {11, 17}, "TopK": {1, 17}, "CumSum": {11, 17}, "Resize": {10, 17},
		"Upsample": {1, 10},
	}
	for op, s := range ops {
		checkRuleSpan(t, op, s.since, s.until)
	}
}
