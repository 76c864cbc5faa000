package onnx

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
)

// attrType is the kind of value an ONNX attribute carries: its declared
// type, or, when the file leaves type unset (IR version 1 did not have
// it), the one value field that is set. An unset type with no value field
// is UNDEFINED: an empty list of some kind.
func attrType(a *onnxpb.AttributeProto) onnxpb.AttributeProto_AttributeType {
	if t := a.GetType(); t != onnxpb.AttributeProto_UNDEFINED {
		return t
	}
	switch {
	case a.F != nil:
		return onnxpb.AttributeProto_FLOAT
	case a.I != nil:
		return onnxpb.AttributeProto_INT
	case a.S != nil:
		return onnxpb.AttributeProto_STRING
	case a.T != nil:
		return onnxpb.AttributeProto_TENSOR
	case a.G != nil:
		return onnxpb.AttributeProto_GRAPH
	case a.Tp != nil:
		return onnxpb.AttributeProto_TYPE_PROTO
	case a.SparseTensor != nil:
		return onnxpb.AttributeProto_SPARSE_TENSOR
	case len(a.Floats) > 0:
		return onnxpb.AttributeProto_FLOATS
	case len(a.Ints) > 0:
		return onnxpb.AttributeProto_INTS
	case len(a.Strings) > 0:
		return onnxpb.AttributeProto_STRINGS
	case len(a.Tensors) > 0:
		return onnxpb.AttributeProto_TENSORS
	case len(a.Graphs) > 0:
		return onnxpb.AttributeProto_GRAPHS
	}
	return onnxpb.AttributeProto_UNDEFINED
}

// isListType reports whether t is one of the repeated attribute types.
func isListType(t onnxpb.AttributeProto_AttributeType) bool {
	switch t {
	case onnxpb.AttributeProto_FLOATS, onnxpb.AttributeProto_INTS, onnxpb.AttributeProto_STRINGS,
		onnxpb.AttributeProto_TENSORS, onnxpb.AttributeProto_GRAPHS, onnxpb.AttributeProto_SPARSE_TENSORS,
		onnxpb.AttributeProto_TYPE_PROTOS:
		return true
	}
	return false
}

// checkAttrType returns an error when attribute a does not carry a value
// of type want. An untyped attribute with no value is an empty list, which
// every list type accepts.
func checkAttrType(a *onnxpb.AttributeProto, want onnxpb.AttributeProto_AttributeType) error {
	got := attrType(a)
	if got == want || (got == onnxpb.AttributeProto_UNDEFINED && isListType(want)) {
		return nil
	}
	return fmt.Errorf("attribute %q: want %s, got %s", a.GetName(), attrTypeName(want), attrTypeName(got))
}

// attrTypeName spells an attribute type for error messages.
func attrTypeName(t onnxpb.AttributeProto_AttributeType) string {
	if t == onnxpb.AttributeProto_UNDEFINED {
		return "no value"
	}
	if s, ok := onnxpb.AttributeProto_AttributeType_name[int32(t)]; ok {
		return strings.ToLower(s)
	}
	return fmt.Sprintf("attribute type %d", t)
}

// onnxAttrType is the ONNX attribute type that carries kiln attribute kind
// k: element types travel as INT data type codes.
func onnxAttrType(k ir.AttrKind) (onnxpb.AttributeProto_AttributeType, bool) {
	switch k {
	case ir.AttrInt, ir.AttrDType:
		return onnxpb.AttributeProto_INT, true
	case ir.AttrFloat:
		return onnxpb.AttributeProto_FLOAT, true
	case ir.AttrString:
		return onnxpb.AttributeProto_STRING, true
	case ir.AttrInts:
		return onnxpb.AttributeProto_INTS, true
	case ir.AttrFloats:
		return onnxpb.AttributeProto_FLOATS, true
	case ir.AttrStrings:
		return onnxpb.AttributeProto_STRINGS, true
	case ir.AttrType:
		return onnxpb.AttributeProto_TYPE_PROTO, true
	case ir.AttrTensor:
		return onnxpb.AttributeProto_TENSOR, true
	}
	return onnxpb.AttributeProto_UNDEFINED, false
}
