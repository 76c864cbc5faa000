package onnx

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// Small hand-built ONNX graphs for the control-flow import rules.

// ctlUntyped declares a graph input or output by name only (ONNX >= 11
// allows subgraph values without types).
func ctlUntyped(name string) *onnxpb.ValueInfoProto {
	return &onnxpb.ValueInfoProto{Name: proto.String(name)}
}

func ctlRun(t *testing.T, opset int64, g *onnxpb.GraphProto, inputs ...interp.Value) []interp.Value {
	t.Helper()
	m, err := ImportModel(opsetModel(7, opset, g), "test.onnx")
	if err != nil {
		t.Fatal(err)
	}
	out, err := interp.New(m, interp.Options{}).Run("", inputs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Scan-8 with a batch of 2, one state and two scan inputs, the second
// scanned in reverse: per batch entry, s += a[t] * 1 + b[T-1-t], scanning
// out s at each step.
func TestImportScan8(t *testing.T) {
	f := onnxpb.TensorProto_FLOAT
	body := &onnxpb.GraphProto{
		Name:   proto.String("body"),
		Input:  []*onnxpb.ValueInfoProto{tensorVI("s", f, 1), tensorVI("a", f, 1), tensorVI("b", f, 1)},
		Output: []*onnxpb.ValueInfoProto{ctlUntyped("s2"), ctlUntyped("s3")},
		Node: []*onnxpb.NodeProto{
			opNode("Add", []string{"s", "a"}, []string{"s1"}),
			opNode("Add", []string{"s1", "b"}, []string{"s2"}),
			opNode("Identity", []string{"s2"}, []string{"s3"}),
		},
	}
	g := &onnxpb.GraphProto{
		Name:   proto.String("main"),
		Input:  []*onnxpb.ValueInfoProto{tensorVI("s0", f, 2, 1), tensorVI("x", f, 2, 3, 1), tensorVI("y", f, 2, 3, 1)},
		Output: []*onnxpb.ValueInfoProto{tensorVI("final", f, 2, 1), tensorVI("scanned", f, 2, 3, 1)},
		Node: []*onnxpb.NodeProto{opNode("Scan", []string{"", "s0", "x", "y"}, []string{"final", "scanned"},
			attrGraph("body", body), attrI("num_scan_inputs", 2), attrInts("directions", 0, 1))},
	}
	out := ctlRun(t, 8, g,
		interp.FromSlice([]int{2, 1}, []float32{0, 100}),
		interp.FromSlice([]int{2, 3, 1}, []float32{1, 2, 3, 4, 5, 6}),
		interp.FromSlice([]int{2, 3, 1}, []float32{10, 20, 30, 40, 50, 60}))
	// batch 0: steps add 1+30, 2+20, 3+10; batch 1 starts at 100: 4+60, 5+50, 6+40.
	if got, want := out[0].(*interp.Tensor).String(), "f32[2 1] [66 265]"; got != want {
		t.Errorf("final %s, want %s", got, want)
	}
	if got, want := out[1].(*interp.Tensor).String(), "f32[2 3 1] [31 53 66 164 219 265]"; got != want {
		t.Errorf("scanned %s, want %s", got, want)
	}
}

// Loop-11 whose body declares no input or output types: the iteration
// number, condition and carried value take theirs from the Loop's operands.
func TestImportLoopUntypedBody(t *testing.T) {
	f := onnxpb.TensorProto_FLOAT
	body := &onnxpb.GraphProto{
		Name:   proto.String("body"),
		Input:  []*onnxpb.ValueInfoProto{ctlUntyped("i"), ctlUntyped("c"), ctlUntyped("v")},
		Output: []*onnxpb.ValueInfoProto{ctlUntyped("c2"), ctlUntyped("v2"), ctlUntyped("i2")},
		Node: []*onnxpb.NodeProto{
			opNode("Identity", []string{"c"}, []string{"c2"}),
			opNode("Add", []string{"v", "v"}, []string{"v2"}),
			opNode("Identity", []string{"i"}, []string{"i2"}),
		},
	}
	g := &onnxpb.GraphProto{
		Name:   proto.String("main"),
		Input:  []*onnxpb.ValueInfoProto{tensorVI("M", onnxpb.TensorProto_INT64), tensorVI("v0", f, 2)},
		Output: []*onnxpb.ValueInfoProto{ctlUntyped("v"), ctlUntyped("iters")},
		Node:   []*onnxpb.NodeProto{opNode("Loop", []string{"M", "", "v0"}, []string{"v", "iters"}, attrGraph("body", body))},
	}
	out := ctlRun(t, 11, g, interp.Scalar(int64(3)), interp.FromSlice([]int{2}, []float32{1, 2}))
	if got, want := out[0].(*interp.Tensor).String(), "f32[2] [8 16]"; got != want {
		t.Errorf("v %s, want %s", got, want)
	}
	if got, want := out[1].(*interp.Tensor).String(), "i64[3] [0 1 2]"; got != want {
		t.Errorf("iters %s, want %s", got, want)
	}
}

// If branches without output types, of different shapes, reading outer
// values: the result type is their join.
func TestImportIfUntypedBranches(t *testing.T) {
	f := onnxpb.TensorProto_FLOAT
	branch := func(name string, n *onnxpb.NodeProto, out string) *onnxpb.GraphProto {
		return &onnxpb.GraphProto{Name: proto.String(name), Node: []*onnxpb.NodeProto{n}, Output: []*onnxpb.ValueInfoProto{ctlUntyped(out)}}
	}
	g := &onnxpb.GraphProto{
		Name:   proto.String("main"),
		Input:  []*onnxpb.ValueInfoProto{tensorVI("c", onnxpb.TensorProto_BOOL), tensorVI("x", f, 2), tensorVI("y", f, 3)},
		Output: []*onnxpb.ValueInfoProto{ctlUntyped("z")},
		Node: []*onnxpb.NodeProto{opNode("If", []string{"c"}, []string{"z"},
			attrGraph("then_branch", branch("then", opNode("Add", []string{"x", "x"}, []string{"t"}), "t")),
			attrGraph("else_branch", branch("else", opNode("Identity", []string{"y"}, []string{"e"}), "e")))},
	}
	mp := &onnxpb.ModelProto{IrVersion: proto.Int64(7), Graph: g,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: proto.Int64(16)}}}
	m, err := ImportModel(mp, "test.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Funcs[0].Body.Results[0].Type; !got.Equal(ir.TensorType(ir.F32, ir.UnknownDims(1))) {
		t.Errorf("If result type %v, want f32[?]", got)
	}
	for _, c := range []bool{true, false} {
		out, err := interp.New(m, interp.Options{}).Run("", []interp.Value{interp.Scalar(c),
			interp.FromSlice([]int{2}, []float32{1, 2}), interp.FromSlice([]int{3}, []float32{7, 8, 9})})
		if err != nil {
			t.Fatal(err)
		}
		want := "f32[3] [7 8 9]"
		if c {
			want = "f32[2] [2 4]"
		}
		if got := out[0].(*interp.Tensor).String(); got != want {
			t.Errorf("cond %v: %s, want %s", c, got, want)
		}
	}
}

// TestImportIfBranchTypes checks that If branches giving one output
// different element types are refused, naming the output and both types,
// while branches that differ only in shape are accepted.
func TestImportIfBranchTypes(t *testing.T) {
	f := onnxpb.TensorProto_FLOAT
	branch := func(name string, nodes ...*onnxpb.NodeProto) *onnxpb.GraphProto {
		return &onnxpb.GraphProto{Name: proto.String(name), Node: nodes, Output: []*onnxpb.ValueInfoProto{ctlUntyped(name + "_out")}}
	}
	castTo := func(to onnxpb.TensorProto_DataType, in, out string) *onnxpb.NodeProto {
		return opNode("Cast", []string{in}, []string{out}, attrI("to", int64(to)))
	}
	model := func(then, els *onnxpb.GraphProto) *onnxpb.GraphProto {
		return &onnxpb.GraphProto{
			Name:   proto.String("main"),
			Input:  []*onnxpb.ValueInfoProto{tensorVI("c", onnxpb.TensorProto_BOOL), tensorVI("x", f, 2), tensorVI("z", f, 3)},
			Output: []*onnxpb.ValueInfoProto{ctlUntyped("y")},
			Node:   []*onnxpb.NodeProto{nodeProto("if", "If", []string{"c"}, []string{"y"}, attrGraph("then_branch", then), attrGraph("else_branch", els))},
		}
	}
	for _, tc := range []struct {
		name      string
		then, els *onnxpb.GraphProto
		want      string // "" when legal
	}{
		{"f32 vs i64", branch("t", castTo(f, "x", "t_out")), branch("e", castTo(onnxpb.TensorProto_INT64, "x", "e_out")),
			`node "if" (If): If: output 0: then_branch gives f32[2], else_branch i64[2]`},
		{"seq f32 vs seq i64",
			branch("t", opNode("SequenceConstruct", []string{"x"}, []string{"t_out"})),
			branch("e", castTo(onnxpb.TensorProto_INT64, "x", "xi"), opNode("SequenceConstruct", []string{"xi"}, []string{"e_out"})),
			`output 0: then_branch gives seq<f32[2]>, else_branch seq<i64[2]>`},
		{"shapes differ", branch("t", castTo(f, "x", "t_out")), branch("e", castTo(f, "z", "e_out")), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ImportModel(opsetModel(8, 13, model(tc.then, tc.els)), "if.onnx")
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				out := m.Funcs[0].Body.Results[0].Type
				if out.String() != "f32[?]" {
					t.Errorf("If result %v, want f32[?]", out)
				}
				return
			}
			if err == nil {
				m.Close()
				t.Fatalf("import succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
}

// TestImportLoopRefusesHoles checks that an absent carried value of a Loop
// (a hole in a variadic input, which ONNX does not allow) is an import
// error, while absent M and cond (optional) are not.
func TestImportLoopRefusesHoles(t *testing.T) {
	body := &onnxpb.GraphProto{Name: proto.String("body"),
		Input:  []*onnxpb.ValueInfoProto{tensorVI("i", onnxpb.TensorProto_INT64), tensorVI("cin", onnxpb.TensorProto_BOOL), ctlUntyped("v")},
		Output: []*onnxpb.ValueInfoProto{ctlUntyped("cout"), ctlUntyped("vout")},
		Node:   []*onnxpb.NodeProto{opNode("Identity", []string{"cin"}, []string{"cout"}), opNode("Identity", []string{"v"}, []string{"vout"})}}
	for _, tc := range []struct {
		ins  []string
		want string
	}{
		{[]string{"m", "", ""}, `node "loop" (Loop): input 2 (v_initial) is absent; variadic inputs cannot be`},
		{[]string{"m", "c", "", "x"}, `node "loop" (Loop): input 2 (v_initial) is absent`},
		{[]string{"m", "", "x"}, ""},
	} {
		g := &onnxpb.GraphProto{Name: proto.String("g"),
			Input:  []*onnxpb.ValueInfoProto{tensorVI("x", onnxpb.TensorProto_FLOAT, 2), tensorVI("m", onnxpb.TensorProto_INT64), tensorVI("c", onnxpb.TensorProto_BOOL)},
			Output: []*onnxpb.ValueInfoProto{ctlUntyped("y")},
			Node:   []*onnxpb.NodeProto{nodeProto("loop", "Loop", tc.ins, []string{"y"}, attrGraph("body", body))}}
		m, err := ImportModel(opsetModel(8, 13, g), "loop.onnx")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.ins, err)
		case tc.want == "":
			m.Close()
		case err == nil:
			m.Close()
			t.Errorf("%q: import succeeded", tc.ins)
		case !strings.Contains(err.Error(), tc.want):
			t.Errorf("%q: error %q, want %q", tc.ins, err, tc.want)
		}
	}
}
