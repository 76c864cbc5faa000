package onnx

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// TestUnsupportedOpsListedTogether checks that every unsupported op type,
// with its nodes, is reported in one error.
func TestUnsupportedOpsListedTogether(t *testing.T) {
	mp := addModel(rawTensor("w", []int64{2, 2}, f32Raw(1, 2, 3, 4)))
	inner := &onnxpb.GraphProto{Name: proto.String("body"), Node: []*onnxpb.NodeProto{nodeProto("deep", "Frobnicate", []string{"x"}, []string{"z"})}}
	mp.Graph.Node = append(mp.Graph.Node,
		nodeProto("f1", "Frobnicate", []string{"x"}, []string{"a"}),
		nodeProto("f2", "Frobnicate", []string{"a"}, []string{"b"}),
		nodeProto("", "Twiddle", []string{"b"}, []string{"c"}),
		&onnxpb.NodeProto{Name: proto.String("m"), OpType: proto.String("Mystery"), Domain: proto.String("com.example"), Input: []string{"c"}, Output: []string{"d"}},
		nodeProto("loop", "Frobnicate", []string{"d"}, []string{"e"}, &onnxpb.AttributeProto{Name: proto.String("body"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: inner}),
	)
	path := writeModel(t, t.TempDir(), "m.onnx", mp)
	_, err := Import(path)
	var ue *UnsupportedError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v, want an UnsupportedError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		path + ": 3 unsupported op type(s):",
		`Frobnicate-13 at node "f1" (Frobnicate), node "f2" (Frobnicate), node "loop" (Frobnicate), node "deep" (Frobnicate)`,
		`Twiddle-13 at node #4 (Twiddle, output "c")`,
		`com.example.Mystery (domain not imported by the model) at node "m" (Mystery)`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q:\n%s", want, msg)
		}
	}
}

// TestConverterErrorNamesNode checks the `path: node "name" (OpType): what`
// form of conversion errors.
func TestConverterErrorNamesNode(t *testing.T) {
	mp := addModel(rawTensor("w", []int64{2, 2}, f32Raw(1, 2, 3, 4)))
	mp.Graph.Node[1].Input = []string{"nothere"}
	path := writeModel(t, t.TempDir(), "m.onnx", mp)
	_, err := Import(path)
	if want := path + `: node "id" (Identity): input "nothere" is not defined before use`; err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
}

// TestRunInputChecks checks the errors for wrong inputs at run time.
func TestRunInputChecks(t *testing.T) {
	dir := t.TempDir()
	mp := addModel(rawTensor("w", []int64{2, 2}, f32Raw(1, 2, 3, 4)))
	m, err := Import(writeModel(t, dir, "add.onnx", mp))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// Two inputs sharing a symbolic dim.
	sym := addModel(rawTensor("w", []int64{1}, f32Raw(1)))
	symVI := func(name string) *onnxpb.ValueInfoProto {
		vi := tensorVI(name, onnxpb.TensorProto_FLOAT, 0)
		vi.Type.GetTensorType().Shape.Dim[0].Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "n"}
		return vi
	}
	sym.Graph.Input = []*onnxpb.ValueInfoProto{symVI("x"), symVI("v")}
	sym.Graph.Node = []*onnxpb.NodeProto{nodeProto("add", "Add", []string{"x", "v"}, []string{"y"})}
	sym.Graph.Output[0] = symVI("y")
	ms, err := Import(writeModel(t, dir, "sym.onnx", sym))
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()

	f32 := func(shape ...int) *interp.Tensor { return interp.NewTensor(ir.F32, shape) }
	in, ins := interp.New(m, interp.Options{}), interp.New(ms, interp.Options{})
	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"ok", func() error { _, err := in.Run("", []interp.Value{f32(2, 2)}); return err }, ""},
		{"dtype", func() error {
			_, err := in.Run("", []interp.Value{interp.FromSlice([]int{2, 2}, []int64{1, 2, 3, 4})})
			return err
		}, `input "x": got dtype i64, want f32`},
		{"shape", func() error { _, err := in.Run("", []interp.Value{f32(3, 2)}); return err }, `input "x": got shape [3,2], want [2,2] (dim 0)`},
		{"rank", func() error { _, err := in.Run("", []interp.Value{f32(4)}); return err }, `input "x": got shape [4] (rank 1), want [2,2] (rank 2)`},
		{"count", func() error { _, err := in.Run("", nil); return err }, "function @main takes 1 inputs, got 0"},
		{"nil", func() error { _, err := in.Run("", []interp.Value{nil}); return err }, `input "x": missing`},
		{"typed nil", func() error { _, err := in.Run("", []interp.Value{(*interp.Tensor)(nil)}); return err }, `input "x": missing`},
		{"data type", func() error {
			_, err := in.Run("", []interp.Value{&interp.Tensor{DType: ir.F32, Shape: []int{2, 2}, Data: []int64{1, 2, 3, 4}}})
			return err
		}, `input "x": tensor of dtype f32 holds []int64`},
		{"no data", func() error {
			_, err := in.Run("", []interp.Value{&interp.Tensor{DType: ir.F32, Shape: []int{2, 2}}})
			return err
		}, `input "x": tensor of dtype f32 holds <nil>`},
		{"data length", func() error {
			_, err := in.Run("", []interp.Value{&interp.Tensor{DType: ir.F32, Shape: []int{2, 2}, Data: []float32{1}}})
			return err
		}, `input "x": shape [2,2] does not match its 1 elements`},
		{"sequence for tensor", func() error {
			_, err := in.Run("", []interp.Value{&interp.Sequence{Elem: ir.TensorType(ir.F32, ir.ShapeOf(2, 2))}})
			return err
		}, `input "x": got seq<f32[2,2]>, want f32[2,2]`},
		{"named missing", func() error { _, err := in.RunNamed("", map[string]interp.Value{}); return err }, `missing inputs ["x"]`},
		{"named unknown", func() error {
			_, err := in.RunNamed("", map[string]interp.Value{"x": f32(2, 2), "q": f32(1)})
			return err
		}, `unknown input "q"`},
		{"symbolic", func() error { _, err := ins.Run("", []interp.Value{f32(2), f32(3)}); return err }, `input "v": dim 0 (n) is 3, but input "x" gave n = 2`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestRunInputChecksMNIST checks the input errors on mnist-8 when its ops
// are in this build.
func TestRunInputChecksMNIST(t *testing.T) {
	path := testenv.SharedONNXModel(t, "mnist-8.onnx")
	m, err := Import(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in := interp.New(m, interp.Options{})
	_, err = in.RunNamed("", map[string]interp.Value{"Input3": interp.NewTensor(ir.F32, []int{1, 1, 28, 27})})
	if err == nil || !strings.Contains(err.Error(), `input "Input3": got shape [1,1,28,27], want [1,1,28,28] (dim 3)`) {
		t.Fatalf("error %v", err)
	}
	_, err = in.RunNamed("", map[string]interp.Value{"Input3": interp.NewTensor(ir.U8, []int{1, 1, 28, 28})})
	if err == nil || !strings.Contains(err.Error(), `input "Input3": got dtype u8, want f32`) {
		t.Fatalf("error %v", err)
	}
	if _, err = in.RunNamed("", nil); err == nil || !strings.Contains(err.Error(), `missing inputs ["Input3"]`) {
		t.Fatalf("error %v", err)
	}
}
