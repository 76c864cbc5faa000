package onnx

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/internal/safefile"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// ReadValueFile reads an ONNX test data file (.pb) holding a value of type
// t: a TensorProto for tensors, a SequenceProto for sequences, an
// OptionalProto for optionals.
func ReadValueFile(path string, t ir.Type) (tensor.Value, error) {
	b, err := safefile.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := DecodeValue(b, t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// DecodeValue decodes a serialized TensorProto, SequenceProto or
// OptionalProto, according to t's kind.
func DecodeValue(b []byte, t ir.Type) (tensor.Value, error) {
	switch t.Kind {
	case ir.TensorKind, ir.InvalidKind:
		var tp onnxpb.TensorProto
		if err := proto.Unmarshal(b, &tp); err != nil {
			return nil, fmt.Errorf("not a TensorProto: %w", err)
		}
		return TensorFromProto(&tp)
	case ir.SequenceKind:
		return decodeSequenceProto(b, elemOrUnknown(t), 1)
	case ir.OptionalKind:
		return decodeOptionalProto(b, elemOrUnknown(t), 1)
	}
	return nil, fmt.Errorf("reading %v values is not supported", t)
}

func elemOrUnknown(t ir.Type) ir.Type {
	if t.Elem == nil {
		return ir.Type{}
	}
	return *t.Elem
}

// SequenceProto and OptionalProto live in ONNX's onnx-data.proto, which has
// no generated Go code here; both are decoded field by field. Their field
// numbers coincide: name 1, elem_type 2, then tensor 3, sparse tensor 4,
// sequence 5, map 6, optional 7 (repeated in SequenceProto). elem_type
// uses the enum UNDEFINED 0, TENSOR 1, SPARSE_TENSOR 2, SEQUENCE 3, MAP 4,
// OPTIONAL 5.
const (
	dataElemUndefined    = 0
	dataElemTensor       = 1
	dataElemSparseTensor = 2
	dataElemSequence     = 3
	dataElemMap          = 4
	dataElemOptional     = 5
)

// dataField is one decoded field of a SequenceProto or OptionalProto.
type dataField struct {
	num   protowire.Number
	bytes []byte // length-delimited payload
}

// decodeDataMessage splits a SequenceProto or OptionalProto into its
// elem_type and its value fields (3..7), in order.
func decodeDataMessage(b []byte) (elemType int64, fields []dataField, err error) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, nil, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == 2 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return 0, nil, protowire.ParseError(n)
			}
			elemType, b = int64(int32(v)), b[n:]
		case num >= 3 && num <= 7 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return 0, nil, protowire.ParseError(n)
			}
			fields, b = append(fields, dataField{num, v}), b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return 0, nil, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	return elemType, fields, nil
}

// maxValueDepth bounds the nesting of SequenceProto and OptionalProto
// messages, as maxTypeDepth bounds the types that describe them: the
// decoder recurses once per level, and a file nested millions deep would
// exhaust the stack.
const maxValueDepth = maxTypeDepth

// decodeDataValue decodes the payload of value field num (3..7), an
// element at nesting depth of a SequenceProto or OptionalProto, and checks
// it against elem.
func decodeDataValue(num protowire.Number, b []byte, elem ir.Type, depth int) (tensor.Value, error) {
	var v tensor.Value
	switch num {
	case 3:
		if elem.Kind != ir.TensorKind && elem.Kind != ir.InvalidKind {
			return nil, fmt.Errorf("found a tensor, want %v", elem)
		}
		var tp onnxpb.TensorProto
		if err := proto.Unmarshal(b, &tp); err != nil {
			return nil, fmt.Errorf("bad TensorProto: %w", err)
		}
		t, err := TensorFromProto(&tp)
		if err != nil {
			return nil, err
		}
		v = t
	case 5:
		if elem.Kind != ir.SequenceKind && elem.Kind != ir.InvalidKind {
			return nil, fmt.Errorf("found a sequence, want %v", elem)
		}
		s, err := decodeSequenceProto(b, elemOrUnknown(elem), depth+1)
		if err != nil {
			return nil, err
		}
		v = s
	case 7:
		if elem.Kind != ir.OptionalKind && elem.Kind != ir.InvalidKind {
			return nil, fmt.Errorf("found an optional, want %v", elem)
		}
		o, err := decodeOptionalProto(b, elemOrUnknown(elem), depth+1)
		if err != nil {
			return nil, err
		}
		v = o
	case 4:
		return nil, fmt.Errorf("sparse tensor values are not supported")
	}
	if num == 6 {
		return nil, fmt.Errorf("map values are not supported")
	}
	if !conforms(v.Type(), elem) {
		return nil, fmt.Errorf("found %v, want %v", v.Type(), elem)
	}
	return v, nil
}

// conforms reports whether a value of type got may stand where want is
// declared: same kinds all the way down, and the element type, rank and
// static dims want names. Parts of want left open (an invalid type, an
// unranked shape, a symbolic dim) accept anything.
func conforms(got, want ir.Type) bool {
	switch {
	case want.Kind == ir.InvalidKind:
		return true
	case got.Kind != want.Kind:
		return false
	case want.Kind == ir.TensorKind:
		if want.DType != ir.InvalidDType && got.DType != want.DType {
			return false
		}
		if !want.Shape.Ranked {
			return true
		}
		if !got.Shape.Ranked || len(got.Shape.Dims) != len(want.Shape.Dims) {
			return false
		}
		for i, d := range want.Shape.Dims {
			if d.IsStatic() && got.Shape.Dims[i].IsStatic() && got.Shape.Dims[i].Size != d.Size {
				return false
			}
		}
		return true
	}
	if want.Elem == nil || got.Elem == nil {
		return true
	}
	return conforms(*got.Elem, *want.Elem)
}

// sameKindAndDType reports whether a and b are of one kind with one element
// type all the way down, shapes aside: the elements of a sequence must be,
// while their shapes may differ.
func sameKindAndDType(a, b ir.Type) bool {
	if a.Kind != b.Kind {
		return false
	}
	if a.Kind == ir.TensorKind {
		return a.DType == b.DType
	}
	if a.Elem == nil || b.Elem == nil {
		return a.Elem == b.Elem
	}
	return sameKindAndDType(*a.Elem, *b.Elem)
}

// elemTypeMatches checks that a message's elem_type code agrees with the
// declared element type.
func elemTypeMatches(code int64, elem ir.Type) bool {
	switch elem.Kind {
	case ir.TensorKind:
		return code == dataElemTensor
	case ir.SequenceKind:
		return code == dataElemSequence
	case ir.OptionalKind:
		return code == dataElemOptional
	}
	return true
}

func decodeSequenceProto(b []byte, elem ir.Type, depth int) (*tensor.Sequence, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("sequences and optionals nested more than %d deep", maxValueDepth)
	}
	code, fields, err := decodeDataMessage(b)
	if err != nil {
		return nil, fmt.Errorf("not a SequenceProto: %w", err)
	}
	// An empty sequence may leave elem_type unset.
	if len(fields) > 0 && !elemTypeMatches(code, elem) {
		return nil, fmt.Errorf("SequenceProto elem_type %d does not hold %v", code, elem)
	}
	s := &tensor.Sequence{Elem: elem}
	for i, f := range fields {
		v, err := decodeDataValue(f.num, f.bytes, elem, depth)
		if err != nil {
			return nil, fmt.Errorf("sequence element %d: %w", i, err)
		}
		if i > 0 && !sameKindAndDType(v.Type(), s.Items[0].Type()) {
			return nil, fmt.Errorf("sequence element %d is %v, element 0 is %v: a sequence holds one element type", i, v.Type(), s.Items[0].Type())
		}
		s.Items = append(s.Items, v)
	}
	if s.Elem.Kind == ir.InvalidKind && len(s.Items) > 0 {
		s.Elem = s.Items[0].Type()
	}
	return s, nil
}

func decodeOptionalProto(b []byte, elem ir.Type, depth int) (*tensor.Optional, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("sequences and optionals nested more than %d deep", maxValueDepth)
	}
	code, fields, err := decodeDataMessage(b)
	if err != nil {
		return nil, fmt.Errorf("not an OptionalProto: %w", err)
	}
	o := &tensor.Optional{Elem: elem}
	if len(fields) == 0 {
		return o, nil // empty optional
	}
	if len(fields) > 1 {
		return nil, fmt.Errorf("OptionalProto holds %d values", len(fields))
	}
	if !elemTypeMatches(code, elem) && code != dataElemUndefined {
		return nil, fmt.Errorf("OptionalProto elem_type %d does not hold %v", code, elem)
	}
	v, err := decodeDataValue(fields[0].num, fields[0].bytes, elem, depth)
	if err != nil {
		return nil, fmt.Errorf("optional value: %w", err)
	}
	o.Value = v
	if o.Elem.Kind == ir.InvalidKind {
		o.Elem = v.Type()
	}
	return o, nil
}

// EncodeValue serializes v in the ONNX test-data format DecodeValue reads:
// a TensorProto for a tensor, a SequenceProto or OptionalProto (with their
// elements nested) for the others. name goes into the message's name field.
func EncodeValue(name string, v tensor.Value) ([]byte, error) {
	switch x := v.(type) {
	case *tensor.Tensor:
		tp, err := TensorToProto(name, x)
		if err != nil {
			return nil, err
		}
		return proto.Marshal(tp)
	case *tensor.Sequence:
		b := protowire.AppendTag(nil, 1, protowire.BytesType)
		b = protowire.AppendString(b, name)
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(dataElemCode(x.Elem)))
		for i, it := range x.Items {
			num, payload, err := encodeDataValue(it)
			if err != nil {
				return nil, fmt.Errorf("sequence element %d: %w", i, err)
			}
			b = protowire.AppendTag(b, num, protowire.BytesType)
			b = protowire.AppendBytes(b, payload)
		}
		return b, nil
	case *tensor.Optional:
		b := protowire.AppendTag(nil, 1, protowire.BytesType)
		b = protowire.AppendString(b, name)
		code := dataElemCode(x.Elem)
		if x.Value == nil {
			code = dataElemUndefined
		}
		b = protowire.AppendTag(b, 2, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(code))
		if x.Value != nil {
			num, payload, err := encodeDataValue(x.Value)
			if err != nil {
				return nil, fmt.Errorf("optional value: %w", err)
			}
			b = protowire.AppendTag(b, num, protowire.BytesType)
			b = protowire.AppendBytes(b, payload)
		}
		return b, nil
	}
	return nil, fmt.Errorf("cannot encode %T", v)
}

// encodeDataValue returns the field number (3 tensor, 5 sequence, 7
// optional) and serialized payload of one element of a SequenceProto or
// OptionalProto.
func encodeDataValue(v tensor.Value) (protowire.Number, []byte, error) {
	b, err := EncodeValue("", v)
	switch v.(type) {
	case *tensor.Sequence:
		return 5, b, err
	case *tensor.Optional:
		return 7, b, err
	}
	return 3, b, err
}

// dataElemCode is the elem_type code of values of type t.
func dataElemCode(t ir.Type) int64 {
	switch t.Kind {
	case ir.TensorKind:
		return dataElemTensor
	case ir.SequenceKind:
		return dataElemSequence
	case ir.OptionalKind:
		return dataElemOptional
	}
	return dataElemUndefined
}
