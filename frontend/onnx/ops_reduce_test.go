package onnx

import (
	"fmt"
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// reduceFamilyTestModel returns a model with one node of opType at opset over a
// float input x of the given dims ("" entries: symbolic) and output y.
func reduceFamilyTestModel(opType string, opset int64, dims []any, attrs ...*onnxpb.AttributeProto) *onnxpb.ModelProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		switch d := d.(type) {
		case int:
			shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
		case string:
			shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: d}})
		}
	}
	ft := &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
		ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: shape}}}
	return opsetModel(7, opset, &onnxpb.GraphProto{
		Name:   proto.String("g"),
		Node:   []*onnxpb.NodeProto{opNode(opType, []string{"x"}, []string{"y"}, attrs...)},
		Input:  []*onnxpb.ValueInfoProto{{Name: proto.String("x"), Type: ft}},
		Output: []*onnxpb.ValueInfoProto{{Name: proto.String("y")}},
	})
}

// TestLegacySoftmaxCoerces2D checks that Softmax/LogSoftmax/Hardmax before
// opset 13 normalize over all dims from axis on, for static and symbolic
// shapes, and that opset 13 normalizes along one axis.
func TestLegacySoftmaxCoerces2D(t *testing.T) {
	data := make([]float32, 2*3*2)
	for i := range data {
		data[i] = float32(i%5) * 0.7
	}
	x := interp.FromSlice([]int{2, 3, 2}, data)
	for _, tc := range []struct {
		op    string
		opset int64
		dims  []any
		axis  int64 // -100: attribute absent
		group int   // elements normalized together (consecutive)
	}{
		{"Softmax", 11, []any{2, 3, 2}, -100, 6},
		{"Softmax", 11, []any{"n", 3, 2}, 1, 6},
		{"LogSoftmax", 1, []any{2, 3, 2}, 0, 12},
		{"Hardmax", 11, []any{2, 3, 2}, 2, 2},
		{"Softmax", 11, []any{2, 3, 2}, 3, 1},
		{"LogSoftmax", 11, []any{2, 3, 2}, -2, 6},
		{"Softmax", 13, []any{2, 3, 2}, -100, 2},
	} {
		name := fmt.Sprintf("%s-%d axis %d dims %v", tc.op, tc.opset, tc.axis, tc.dims)
		var attrs []*onnxpb.AttributeProto
		if tc.axis != -100 {
			attrs = append(attrs, attrI("axis", tc.axis))
		}
		m, err := ImportModel(reduceFamilyTestModel(tc.op, tc.opset, tc.dims, attrs...), "test.onnx")
		if err != nil {
			t.Errorf("%s: import: %v", name, err)
			continue
		}
		out, err := interp.New(m, interp.Options{}).Run("", []interp.Value{x})
		if err != nil {
			t.Errorf("%s: run: %v", name, err)
			continue
		}
		got := out[0].(*interp.Tensor)
		if fmt.Sprint(got.Shape) != "[2 3 2]" {
			t.Errorf("%s: shape %v, want [2 3 2]", name, got.Shape)
			continue
		}
		want := legacySoftmaxWant(tc.op, data, tc.group)
		for i, g := range interp.Data[float32](got) {
			if math.Abs(float64(g-want[i])) > 1e-5 {
				t.Errorf("%s: [%d] = %v, want %v", name, i, g, want[i])
				break
			}
		}
	}
}

// legacySoftmaxWant normalizes consecutive groups of n elements.
func legacySoftmaxWant(op string, v []float32, n int) []float32 {
	out := make([]float32, len(v))
	for s := 0; s < len(v); s += n {
		mx, arg, sum := math.Inf(-1), 0, 0.0
		for i := s; i < s+n; i++ {
			if float64(v[i]) > mx {
				mx, arg = float64(v[i]), i
			}
		}
		for i := s; i < s+n; i++ {
			sum += math.Exp(float64(v[i]) - mx)
		}
		for i := s; i < s+n; i++ {
			switch op {
			case "Softmax":
				out[i] = float32(math.Exp(float64(v[i])-mx) / sum)
			case "LogSoftmax":
				out[i] = float32(float64(v[i]) - mx - math.Log(sum))
			case "Hardmax":
				if i == arg {
					out[i] = 1
				}
			}
		}
	}
	return out
}

func TestReduceFamilyRulesCoverOpsets(t *testing.T) {
	since := map[string]int64{
		"ReduceSum": 1, "ReduceMean": 1, "ReduceMax": 1, "ReduceMin": 1, "ReduceProd": 1, "ReduceL1": 1,
		"ReduceL2": 1, "ReduceLogSum": 1, "ReduceLogSumExp": 1, "ReduceSumSquare": 1, "ArgMax": 1, "ArgMin": 1,
		"Softmax": 1, "LogSoftmax": 1, "Hardmax": 1, "NegativeLogLikelihoodLoss": 12, "SoftmaxCrossEntropyLoss": 12,
		"RandomUniform": 1, "RandomNormal": 1, "RandomUniformLike": 1, "RandomNormalLike": 1, "Multinomial": 7,
		"Bernoulli": 15, "DFT": 17, "STFT": 17, "HannWindow": 17, "HammingWindow": 17, "BlackmanWindow": 17,
		"MelWeightMatrix": 17, "StringNormalizer": 10, "TfIdfVectorizer": 9, "NonMaxSuppression": 10,
	}
	for op, s := range since {
		if ir.Lookup(op) == nil {
			t.Errorf("%s: no kiln op", op)
		}
		checkRuleSpan(t, op, s, 17)
	}
	for _, op := range []string{"Adagrad", "Adam", "Momentum"} {
		if _, ok := lookupRule(domainTraining, op, 1); !ok {
			t.Errorf("%s: no import rule in %s version 1", op, domainTraining)
		}
	}
}

// TestReduceAxesAttributeForms imports the attribute form of the Reduce*
// ops (opset 1..12 for ReduceSum, 1..17 for the others).
func TestReduceAxesAttributeForms(t *testing.T) {
	x := interp.FromSlice([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	axes := func(v ...int64) *onnxpb.AttributeProto {
		return &onnxpb.AttributeProto{Name: proto.String("axes"), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
	}
	for _, tc := range []struct {
		op    string
		opset int64
		attrs []*onnxpb.AttributeProto
		want  string
	}{
		{"ReduceSum", 1, []*onnxpb.AttributeProto{axes(1)}, "f32[2 1] [6 15]"},
		{"ReduceSum", 11, []*onnxpb.AttributeProto{axes(-2), attrI("keepdims", 0)}, "f32[3] [5 7 9]"},
		{"ReduceMax", 12, nil, "f32[1 1] [6]"},
		{"ReduceSumSquare", 17, []*onnxpb.AttributeProto{axes(0, 1), attrI("keepdims", 0)}, "f32[] [91]"},
		{"ArgMax", 1, []*onnxpb.AttributeProto{attrI("axis", 1)}, "i64[2 1] [2 2]"},
	} {
		name := fmt.Sprintf("%s-%d", tc.op, tc.opset)
		m, err := ImportModel(reduceFamilyTestModel(tc.op, tc.opset, []any{2, 3}, tc.attrs...), "test.onnx")
		if err != nil {
			t.Errorf("%s: import: %v", name, err)
			continue
		}
		out, err := interp.New(m, interp.Options{}).Run("", []interp.Value{x})
		if err != nil {
			t.Errorf("%s: run: %v", name, err)
			continue
		}
		if got := out[0].(*interp.Tensor).String(); got != tc.want {
			t.Errorf("%s: got %s, want %s", name, got, tc.want)
		}
	}
}
