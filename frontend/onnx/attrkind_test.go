package onnx

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
)

// TestWrongAttributeTypes checks that an attribute carrying a value of
// another type than the op takes is an error naming node and attribute,
// through the table-driven attribute conversion and through the
// converters' accessors alike, and never a silent default.
func TestWrongAttributeTypes(t *testing.T) {
	unary := func(op string, opset int64, attrs ...*onnxpb.AttributeProto) *onnxpb.ModelProto {
		return opsetModel(8, opset, &onnxpb.GraphProto{
			Name:   proto.String("g"),
			Node:   []*onnxpb.NodeProto{nodeProto("n", op, []string{"x"}, []string{"y"}, attrs...)},
			Input:  []*onnxpb.ValueInfoProto{tensorVI("x", onnxpb.TensorProto_FLOAT, 2, 3)},
			Output: []*onnxpb.ValueInfoProto{{Name: proto.String("y")}},
		})
	}
	constant := func(attrs ...*onnxpb.AttributeProto) *onnxpb.ModelProto {
		return opsetModel(8, 13, &onnxpb.GraphProto{
			Name:   proto.String("g"),
			Node:   []*onnxpb.NodeProto{nodeProto("c", "Constant", nil, []string{"y"}, attrs...)},
			Output: []*onnxpb.ValueInfoProto{{Name: proto.String("y")}},
		})
	}
	// A STRING-typed attribute that also carries an int: the declared
	// type decides.
	spoofed := attrS("axis", "1")
	spoofed.I = proto.Int64(0)
	for _, tc := range []struct {
		name  string
		model *onnxpb.ModelProto
		want  string
	}{
		{"softmax axis string", unary("Softmax", 13, attrS("axis", "0")), `node "n" (Softmax): attribute "axis": want int, got string`},
		{"softmax axis string with int", unary("Softmax", 13, spoofed), `node "n" (Softmax): attribute "axis": want int, got string`},
		{"softmax axis float", unary("Softmax", 13, attrF("axis", 1)), `node "n" (Softmax): attribute "axis": want int, got float`},
		{"transpose perm int", unary("Transpose", 13, attrI("perm", 1)), `node "n" (Transpose): attribute "perm": want ints, got int`},
		{"leaky alpha ints", unary("LeakyRelu", 13, attrInts("alpha", 1)), `node "n" (LeakyRelu): attribute "alpha": want float, got ints`},
		{"cast to float", unary("Cast", 13, attrF("to", 1)), `node "n" (Cast): attribute "to": want int, got float`},
		{"cast-1 to float", unary("Cast", 1, attrF("to", 1)), `node "n" (Cast): attribute "to": want string, got float`},
		{"constant value_float int", constant(attrI("value_float", 1)), `node "c" (Constant): attribute "value_float": want float, got int`},
		{"constant value int", constant(attrI("value", 1)), `node "c" (Constant): attribute "value": want tensor, got int`},
		{"softmax axis twice", unary("Softmax", 13, attrI("axis", 0), attrI("axis", 1)), `node "n" (Softmax): attribute "axis" given twice`},
		{"constant value_strings ints", constant(attrInts("value_strings", 1)), `node "c" (Constant): attribute "value_strings": want strings, got ints`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ImportModel(tc.model, "attr.onnx")
			if err == nil {
				m.Close()
				t.Fatalf("import succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
	// An attribute whose type field is unset (IR version 1) takes its
	// type from the value field present.
	untyped := &onnxpb.AttributeProto{Name: proto.String("axis"), I: proto.Int64(0)}
	m, err := ImportModel(unary("Softmax", 13, untyped), "attr.onnx")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	op := m.Funcs[0].Body.Ops[0]
	if op.Name != "Softmax" || op.Int("axis") != 0 {
		t.Errorf("untyped axis 0 imported as %s axis=%d", op.Name, op.Int("axis"))
	}
}
