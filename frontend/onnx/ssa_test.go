package onnx

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
)

// TestSSAViolations checks that a graph writing one value name twice is
// refused with an error naming the name and both definitions, and that
// the legal reuses (an IR < 4 initializer listed again as an input, a
// subgraph input named like an outer value) are accepted.
func TestSSAViolations(t *testing.T) {
	f := onnxpb.TensorProto_FLOAT
	w := func(name string) *onnxpb.TensorProto { return rawTensor(name, []int64{2}, f32Raw(1, 2)) }
	graph := func(inits []*onnxpb.TensorProto, inputs []string, nodes ...*onnxpb.NodeProto) *onnxpb.GraphProto {
		g := &onnxpb.GraphProto{Name: proto.String("g"), Initializer: inits, Node: nodes,
			Output: []*onnxpb.ValueInfoProto{ctlUntyped("y")}}
		for _, in := range inputs {
			g.Input = append(g.Input, tensorVI(in, f, 2))
		}
		return g
	}
	ifNode := func(out string, then *onnxpb.GraphProto) *onnxpb.NodeProto {
		return nodeProto("if", "If", []string{"c"}, []string{out}, attrGraph("then_branch", then), attrGraph("else_branch", then))
	}
	branch := func(inputs []string, nodes ...*onnxpb.NodeProto) *onnxpb.GraphProto {
		g := graph(nil, inputs, nodes...)
		g.Output = []*onnxpb.ValueInfoProto{ctlUntyped("b")}
		return g
	}
	withCond := func(g *onnxpb.GraphProto) *onnxpb.GraphProto {
		g.Input = append(g.Input, tensorVI("c", onnxpb.TensorProto_BOOL))
		return g
	}
	for _, tc := range []struct {
		name string
		g    *onnxpb.GraphProto
		want string // "" when the graph is legal
	}{
		{"two nodes one name", graph(nil, []string{"x"},
			nodeProto("a", "Relu", []string{"x"}, []string{"y"}), nodeProto("b", "Neg", []string{"x"}, []string{"y"})),
			`node "b" (Neg): output "y": name already defined by node "a" (Relu)`},
		{"one node two outputs", graph(nil, []string{"x"}, nodeProto("s", "Split", []string{"x"}, []string{"y", "y"}, attrI("axis", 0))),
			`node "s" (Split): output "y": name already defined by node "s" (Split)`},
		{"node overwrites input", graph(nil, []string{"x", "y"}, nodeProto("a", "Relu", []string{"x"}, []string{"x"}), nodeProto("b", "Relu", []string{"x"}, []string{"y"})),
			`node "a" (Relu): output "x": name already defined by an input`},
		{"node overwrites initializer", graph([]*onnxpb.TensorProto{w("w")}, []string{"x"}, nodeProto("a", "Add", []string{"x", "w"}, []string{"w"}), nodeProto("b", "Relu", []string{"w"}, []string{"y"})),
			`node "a" (Add): output "w": name already defined by an initializer`},
		{"duplicate initializers", graph([]*onnxpb.TensorProto{w("w"), w("w")}, []string{"x"}, nodeProto("a", "Add", []string{"x", "w"}, []string{"y"})),
			`initializer "w": name already defined by an initializer`},
		{"duplicate inputs", graph(nil, []string{"x", "x"}, nodeProto("a", "Relu", []string{"x"}, []string{"y"})),
			`input "x": name already defined by an input`},
		{"subgraph node overwrites outer value", withCond(graph(nil, []string{"x"},
			ifNode("y", branch(nil, nodeProto("inner", "Relu", []string{"x"}, []string{"x"}), nodeProto("i2", "Relu", []string{"x"}, []string{"b"}))))),
			`node "if" (If): then_branch: node "inner" (Relu): output "x": name already defined by an input of an enclosing graph`},
		{"initializer listed as input", graph([]*onnxpb.TensorProto{w("w")}, []string{"x", "w"}, nodeProto("a", "Add", []string{"x", "w"}, []string{"y"})), ""},
		{"subgraph value named like outer value", withCond(graph(nil, []string{"x"},
			nodeProto("n", "Relu", []string{"x"}, []string{"r"}),
			ifNode("y", branch(nil, nodeProto("inner", "Relu", []string{"x"}, []string{"b"}))),
			ifNode("y2", branch(nil, nodeProto("inner2", "Neg", []string{"x"}, []string{"b"}))))), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ImportModel(opsetModel(8, 13, tc.g), "ssa.onnx")
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("legal graph refused: %v", err)
			case tc.want == "":
				m.Close()
			case err == nil:
				m.Close()
				t.Fatalf("import succeeded")
			case !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
}
