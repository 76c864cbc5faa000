package onnx

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// nnModel builds a model of the single node n at opset; every non-empty
// node input is a graph input typed like the matching tensor of feeds, and
// every node output is a graph output.
func nnModel(opset int64, n *onnxpb.NodeProto, feeds []*interp.Tensor) *onnxpb.ModelProto {
	g := &onnxpb.GraphProto{Name: proto.String("g"), Node: []*onnxpb.NodeProto{n}}
	k := 0
	for _, in := range n.Input {
		if in == "" {
			continue
		}
		g.Input = append(g.Input, feedVI(in, feeds[k]))
		k++
	}
	for _, out := range n.Output {
		g.Output = append(g.Output, &onnxpb.ValueInfoProto{Name: proto.String(out)})
	}
	return opsetModel(3, opset, g)
}

// TestNNLegacyForms checks the converters of old opset versions of the NN
// ops, which the ONNX 1.12 node tests (written at newer opsets) mostly do
// not reach.
func TestNNLegacyForms(t *testing.T) {
	f32 := func(shape []int, xs ...float32) *interp.Tensor { return interp.FromSlice(shape, xs) }
	x4 := f32([]int{1, 2, 1, 2}, 1, 3, 10, 20)
	bnParams := []*interp.Tensor{f32([]int{2}, 1, 2), f32([]int{2}, 0, 1), f32([]int{2}, 2, 0), f32([]int{2}, 1, 4)}
	// (x - mean) / sqrt(var + eps) * scale + B with eps 0: channel 0 is
	// x - 2, channel 1 is x/2*2 + 1.
	bnWant := f32([]int{1, 2, 1, 2}, -1, 1, 11, 21)
	tests := []struct {
		name  string
		opset int64
		node  *onnxpb.NodeProto
		feeds []*interp.Tensor
		want  []*interp.Tensor
		err   string
	}{
		{name: "BatchNormalization-1 consumed_inputs, is_test", opset: 1,
			node: opNode("BatchNormalization", []string{"x", "s", "b", "m", "v"}, []string{"y"},
				attrInts("consumed_inputs", 0, 0, 0, 1, 1), attrI("is_test", 1), attrF("epsilon", 0)),
			feeds: append([]*interp.Tensor{x4}, bnParams...), want: []*interp.Tensor{bnWant}},
		{name: "BatchNormalization-7 spatial=1", opset: 7,
			node:  opNode("BatchNormalization", []string{"x", "s", "b", "m", "v"}, []string{"y"}, attrI("spatial", 1), attrF("epsilon", 0)),
			feeds: append([]*interp.Tensor{x4}, bnParams...), want: []*interp.Tensor{bnWant}},
		{name: "BatchNormalization-7 spatial=0", opset: 7,
			node:  opNode("BatchNormalization", []string{"x", "s", "b", "m", "v"}, []string{"y"}, attrI("spatial", 0)),
			feeds: append([]*interp.Tensor{x4}, bnParams...), err: "spatial=0"},
		{name: "BatchNormalization-9 statistics outputs mean training", opset: 9,
			node:  opNode("BatchNormalization", []string{"x", "s", "b", "m", "v"}, []string{"y", "rm", "rv"}, attrF("momentum", 0.5), attrF("epsilon", 0)),
			feeds: append([]*interp.Tensor{x4}, bnParams...),
			// Batch means 2 and 15 (variances 1, 25): running mean
			// (2+2)/2 and (0+15)/2, running var (1+1)/2 and (4+25)/2.
			want: []*interp.Tensor{f32([]int{1, 2, 1, 2}, -1, 1, -1, 3), f32([]int{2}, 2, 7.5), f32([]int{2}, 1, 14.5)}},
		{name: "InstanceNormalization-1 consumed_inputs", opset: 1,
			node:  opNode("InstanceNormalization", []string{"x", "s", "b"}, []string{"y"}, attrInts("consumed_inputs", 0, 0, 0), attrF("epsilon", 0)),
			feeds: []*interp.Tensor{x4, f32([]int{2}, 1, 1), f32([]int{2}, 0, 0)},
			want:  []*interp.Tensor{f32([]int{1, 2, 1, 2}, -1, 1, -1, 1)}},
		{name: "Gemm-6 broadcast", opset: 6,
			node:  opNode("Gemm", []string{"a", "b", "c"}, []string{"y"}, attrI("broadcast", 1), attrF("beta", 2)),
			feeds: []*interp.Tensor{f32([]int{1, 2}, 1, 2), f32([]int{2, 2}, 1, 0, 0, 1), f32([]int{1}, 10)},
			want:  []*interp.Tensor{f32([]int{1, 2}, 21, 22)}},
		{name: "LpPool-1 float p", opset: 1,
			node:  opNode("LpPool", []string{"x"}, []string{"y"}, attrF("p", 1), attrInts("kernel_shape", 1, 2)),
			feeds: []*interp.Tensor{f32([]int{1, 1, 1, 2}, -3, 4)},
			want:  []*interp.Tensor{f32([]int{1, 1, 1, 1}, 7)}},
		{name: "GlobalLpPool-1 default p", opset: 1,
			node:  opNode("GlobalLpPool", []string{"x"}, []string{"y"}),
			feeds: []*interp.Tensor{f32([]int{1, 1, 1, 2}, -3, 4)},
			want:  []*interp.Tensor{f32([]int{1, 1, 1, 1}, 5)}},
		{name: "LpPool-1 fractional p", opset: 1,
			node:  opNode("LpPool", []string{"x"}, []string{"y"}, attrF("p", 1.5), attrInts("kernel_shape", 1, 2)),
			feeds: []*interp.Tensor{f32([]int{1, 1, 1, 2}, -3, 4)}, err: "integral p"},
		{name: "Dropout-1 is_test and consumed_inputs", opset: 1,
			node:  opNode("Dropout", []string{"x"}, []string{"y"}, attrI("is_test", 1), attrF("ratio", 0.3), attrInts("consumed_inputs", 0)),
			feeds: []*interp.Tensor{f32([]int{2}, 1, 2)}, want: []*interp.Tensor{f32([]int{2}, 1, 2)}},
		{name: "Dropout-7 mask of the data type", opset: 7,
			node:  opNode("Dropout", []string{"x"}, []string{"y", "mask"}, attrF("ratio", 0.3)),
			feeds: []*interp.Tensor{f32([]int{2}, 1, 2)}, want: []*interp.Tensor{f32([]int{2}, 1, 2), f32([]int{2}, 1, 1)}},
		{name: "Dropout-10 bool mask", opset: 10,
			node:  opNode("Dropout", []string{"x"}, []string{"y", "mask"}, attrF("ratio", 0.3)),
			feeds: []*interp.Tensor{f32([]int{2}, 1, 2)}, want: []*interp.Tensor{f32([]int{2}, 1, 2), interp.FromSlice([]int{2}, []bool{true, true})}},
		{name: "MeanVarianceNormalization-1 per plane", opset: 1,
			node:  opNode("MeanVarianceNormalization", []string{"x"}, []string{"y"}),
			feeds: []*interp.Tensor{x4}, want: []*interp.Tensor{f32([]int{1, 2, 1, 2}, -1, 1, -1, 1)}},
		{name: "RoiAlign-10 output_half_pixel", opset: 10,
			node: opNode("RoiAlign", []string{"x", "rois", "bi"}, []string{"y"}),
			// One 2x2 ROI over a constant image averages to the constant;
			// the point is that the legacy mode is accepted.
			feeds: []*interp.Tensor{f32([]int{1, 1, 2, 2}, 5, 5, 5, 5), f32([]int{1, 4}, 0, 0, 1, 1), interp.FromSlice([]int{1}, []int64{0})},
			want:  []*interp.Tensor{f32([]int{1, 1, 1, 1}, 5)}},
		{name: "AveragePool-1 without count_include_pad", opset: 1,
			node:  opNode("AveragePool", []string{"x"}, []string{"y"}, attrInts("kernel_shape", 1, 2), attrInts("pads", 0, 1, 0, 0)),
			feeds: []*interp.Tensor{f32([]int{1, 1, 1, 2}, 2, 4)},
			want:  []*interp.Tensor{f32([]int{1, 1, 1, 2}, 2, 3)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ImportModel(nnModel(tc.opset, tc.node, tc.feeds), "test.onnx")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := ir.Verify(m); err != nil {
				t.Fatal(err)
			}
			feeds := make([]interp.Value, len(tc.feeds))
			for i, f := range tc.feeds {
				feeds[i] = f
			}
			got, err := interp.New(m, interp.Options{}).Run(m.Funcs[0].Name, feeds)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d outputs, want %d", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				g := got[i].(*interp.Tensor)
				if err := nnSameTensor(g, w); err != nil {
					t.Errorf("output %d: %v", i, err)
				}
			}
		})
	}
}

func nnSameTensor(g, w *interp.Tensor) error {
	if g.DType != w.DType || fmt.Sprint(g.Shape) != fmt.Sprint(w.Shape) {
		return fmt.Errorf("got %v%v, want %v%v", g.DType, g.Shape, w.DType, w.Shape)
	}
	if gb, ok := g.Data.([]bool); ok {
		if fmt.Sprint(gb) != fmt.Sprint(w.Data) {
			return fmt.Errorf("got %v, want %v", gb, w.Data)
		}
		return nil
	}
	gs, ws := g.Data.([]float32), w.Data.([]float32)
	for i := range gs {
		if math.Abs(float64(gs[i]-ws[i])) > 1e-5 {
			return fmt.Errorf("got %v, want %v", gs, ws)
		}
	}
	return nil
}
