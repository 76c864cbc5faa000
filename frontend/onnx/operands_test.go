package onnx

import (
	"fmt"
	"runtime/debug"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
)

// TestEveryRuleSurvivesMissingOperands builds, for every row of the
// conversion table, nodes with too few operands and with an absent first
// operand: each import must return a module or an error, never panic.
func TestEveryRuleSurvivesMissingOperands(t *testing.T) {
	inputSets := [][]string{
		nil,
		{""},
		{"", "x"},
		{"x"},
		{"", "", ""},
		{"x", ""},
		{"", "x", "x"},
		{"x", "x", ""},
		{"", "x", "x", "x", "x"},
		{"x", "", "x", "x", "x", "x"},
		{"x", "x", "x", "x", "x", "x", "x", "x"},
	}
	for _, op := range SupportedOps() {
		for _, rg := range op.Ranges {
			for _, ins := range inputSets {
				name := fmt.Sprintf("%s.%s-%d/%s", op.Domain, op.OpType, rg[0], strings.Join(ins, ","))
				t.Run(name, func(t *testing.T) {
					g := &onnxpb.GraphProto{
						Name:   proto.String("g"),
						Node:   []*onnxpb.NodeProto{nodeProto("n", op.OpType, ins, []string{"y"})},
						Input:  []*onnxpb.ValueInfoProto{tensorVI("x", onnxpb.TensorProto_FLOAT, 2, 3, 4)},
						Output: []*onnxpb.ValueInfoProto{{Name: proto.String("y")}},
					}
					g.Node[0].Domain = proto.String(op.Domain)
					mp := opsetModel(8, 17, g)
					if op.Domain != "" {
						mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: proto.String(op.Domain), Version: proto.Int64(rg[0])})
					} else {
						mp.OpsetImport[0].Version = proto.Int64(rg[0])
					}
					var err error
					func() {
						defer func() {
							if r := recover(); r != nil {
								t.Fatalf("import panicked: %v\n%s", r, debug.Stack())
							}
						}()
						var m interface{ Close() error }
						mm, e := ImportModel(mp, "op.onnx")
						if e == nil {
							m = mm
							m.Close()
						}
						err = e
					}()
					_ = err
				})
			}
		}
	}
	// The errors name the node and the missing operand.
	for _, tc := range []struct {
		op    string
		opset int64
		ins   []string
		want  string
	}{
		{"SequenceConstruct", 15, []string{"x", ""}, `node "n" (SequenceConstruct): input 1 (inputs) is absent; variadic inputs cannot be`},
		{"MeanVarianceNormalization", 8, []string{""}, `node "n" (MeanVarianceNormalization): input X is absent`},
		{"MeanVarianceNormalization", 8, nil, `node "n" (MeanVarianceNormalization): 0 inputs, want 1`},
		{"Scan", 8, nil, `node "n" (Scan): 0 inputs, want sequence_lens and at least one scan input`},
		{"LSTM", 14, []string{"", "x", "x"}, `node "n" (LSTM): LSTM: required operand 0 (X) is absent`},
	} {
		g := &onnxpb.GraphProto{
			Name:   proto.String("g"),
			Node:   []*onnxpb.NodeProto{nodeProto("n", tc.op, tc.ins, []string{"y"})},
			Input:  []*onnxpb.ValueInfoProto{tensorVI("x", onnxpb.TensorProto_FLOAT, 2, 3, 4)},
			Output: []*onnxpb.ValueInfoProto{{Name: proto.String("y")}},
		}
		_, err := ImportModel(opsetModel(8, tc.opset, g), "op.onnx")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s%q: error %v, want %q", tc.op, tc.ins, err, tc.want)
		}
	}
}
