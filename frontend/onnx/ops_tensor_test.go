package onnx

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
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

func legacyAttrInts(name string, v ...int64) *onnxpb.AttributeProto {
	t := onnxpb.AttributeProto_INTS
	return &onnxpb.AttributeProto{Name: &name, Type: &t, Ints: v}
}

func legacyAttrInt(name string, v int64) *onnxpb.AttributeProto {
	t := onnxpb.AttributeProto_INT
	return &onnxpb.AttributeProto{Name: &name, Type: &t, I: &v}
}

func legacyAttrFloat(name string, v float32) *onnxpb.AttributeProto {
	t := onnxpb.AttributeProto_FLOAT
	return &onnxpb.AttributeProto{Name: &name, Type: &t, F: &v}
}

func legacyAttrFloats(name string, v ...float32) *onnxpb.AttributeProto {
	t := onnxpb.AttributeProto_FLOATS
	return &onnxpb.AttributeProto{Name: &name, Type: &t, Floats: v}
}

func legacyAttrString(name, v string) *onnxpb.AttributeProto {
	t := onnxpb.AttributeProto_STRING
	return &onnxpb.AttributeProto{Name: &name, Type: &t, S: []byte(v)}
}

func legacyPtr[T any](v T) *T { return &v }

func (lc legacyCase) model() *onnxpb.ModelProto {
	dims := make([]*onnxpb.TensorShapeProto_Dimension, len(lc.xShape))
	for i, d := range lc.xShape {
		dims[i] = &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}}
	}
	xType := &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
		ElemType: legacyPtr(int32(onnxpb.TensorProto_FLOAT)), Shape: &onnxpb.TensorShapeProto{Dim: dims}}}}
	g := &onnxpb.GraphProto{
		Name:   legacyPtr("g"),
		Input:  []*onnxpb.ValueInfoProto{{Name: legacyPtr("x"), Type: xType}},
		Output: []*onnxpb.ValueInfoProto{{Name: legacyPtr("y")}},
	}
	inputs := []string{"x"}
	for _, n := range lc.initOrder {
		v := lc.inits[n]
		tp := &onnxpb.TensorProto{Name: legacyPtr(n), DataType: legacyPtr(int32(onnxpb.TensorProto_INT64)), Int64Data: v}
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
	g.Node = []*onnxpb.NodeProto{{OpType: legacyPtr(lc.op), Input: inputs, Output: outs, Attribute: lc.attrs}}
	return &onnxpb.ModelProto{
		IrVersion:   legacyPtr(int64(3)),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: legacyPtr(""), Version: legacyPtr(lc.opset)}},
		Graph:       g,
	}
}

// TestLegacyTensorOps imports the pre-opset-13 forms whose attributes kiln
// turns into operands and checks the results.
func TestLegacyTensorOps(t *testing.T) {
	x6 := []float32{1, 2, 3, 4, 5, 6}
	cases := []legacyCase{
		{name: "Reshape-1 shape attr", op: "Reshape", opset: 1, xShape: []int64{2, 3},
			attrs: []*onnxpb.AttributeProto{legacyAttrInts("shape", 3, -1), legacyAttrInts("consumed_inputs", 0)}, wantShape: []int{3, 2}, want: x6},
		{name: "Squeeze-1 axes attr", op: "Squeeze", opset: 1, xShape: []int64{1, 6},
			attrs: []*onnxpb.AttributeProto{legacyAttrInts("axes", 0)}, wantShape: []int{6}, want: x6},
		{name: "Squeeze-11 all", op: "Squeeze", opset: 11, xShape: []int64{1, 6, 1}, wantShape: []int{6}, want: x6},
		{name: "Unsqueeze-11 axes attr", op: "Unsqueeze", opset: 11, xShape: []int64{6},
			attrs: []*onnxpb.AttributeProto{legacyAttrInts("axes", -1, 0)}, wantShape: []int{1, 6, 1}, want: x6},
		{name: "Split-2 split attr", op: "Split", opset: 2, xShape: []int64{1, 6},
			attrs: []*onnxpb.AttributeProto{legacyAttrInt("axis", 1), legacyAttrInts("split", 4, 2)}, wantShape: []int{1, 4}, want: x6[:4], outputs: 2},
		{name: "Slice-1 attrs", op: "Slice", opset: 1, xShape: []int64{2, 3},
			attrs:     []*onnxpb.AttributeProto{legacyAttrInts("starts", 1), legacyAttrInts("ends", 1000), legacyAttrInts("axes", 1)},
			wantShape: []int{2, 2}, want: []float32{2, 3, 5, 6}},
		{name: "Tile-1 tiles and axis", op: "Tile", opset: 1, xShape: []int64{1, 2},
			initOrder: []string{"tiles", "axis"}, inits: map[string][]int64{"tiles": {2}, "axis": {1}},
			wantShape: []int{1, 4}, want: []float32{1, 2, 1, 2}},
		{name: "Pad-2 pads and value", op: "Pad", opset: 2, xShape: []int64{1, 2},
			attrs:     []*onnxpb.AttributeProto{legacyAttrInts("pads", 0, 1, 0, 2), legacyAttrFloat("value", 9)},
			wantShape: []int{1, 5}, want: []float32{9, 1, 2, 9, 9}},
		{name: "Pad-1 paddings edge", op: "Pad", opset: 1, xShape: []int64{1, 2},
			attrs:     []*onnxpb.AttributeProto{legacyAttrInts("paddings", 0, 2, 0, 1), legacyAttrString("mode", "edge")},
			wantShape: []int{1, 5}, want: []float32{1, 1, 1, 2, 2}},
		{name: "TopK-1 k attr", op: "TopK", opset: 1, xShape: []int64{1, 6},
			attrs: []*onnxpb.AttributeProto{legacyAttrInt("k", 2)}, wantShape: []int{1, 2}, want: []float32{6, 5}, outputs: 2},
		{name: "Upsample-1 height/width scales", op: "Upsample", opset: 1, xShape: []int64{1, 1, 1, 2},
			attrs:     []*onnxpb.AttributeProto{legacyAttrFloat("height_scale", 2), legacyAttrFloat("width_scale", 2)},
			wantShape: []int{1, 1, 2, 4}, want: []float32{1, 1, 2, 2, 1, 1, 2, 2}},
		{name: "Upsample-7 scales attr linear", op: "Upsample", opset: 7, xShape: []int64{1, 2},
			attrs:     []*onnxpb.AttributeProto{legacyAttrFloats("scales", 1, 2), legacyAttrString("mode", "linear")},
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
			if got := fmt.Sprint(m.Funcs[0].Body.Results[0].Type.Shape); got != fmt.Sprint(legacyShapeString(lc.wantShape)) {
				t.Errorf("inferred shape %s, want %s", got, legacyShapeString(lc.wantShape))
			}
		})
	}
}

func legacyShapeString(s []int) string {
	out := "["
	for i, d := range s {
		if i > 0 {
			out += ","
		}
		out += fmt.Sprint(d)
	}
	return out + "]"
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
		for v := s.since; v <= s.until; v++ {
			if _, ok := lookupRule("", op, v); !ok {
				t.Errorf("%s: no import rule at opset %d", op, v)
			}
		}
		if _, ok := lookupRule("", op, s.since-1); ok && s.since > 1 {
			t.Errorf("%s: import rule at opset %d, before the op existed", op, s.since-1)
		}
	}
}
