package onnx

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// The generated protobuf decoder copies every bytes field, which would put a
// second copy of the weights on the heap. So Import first walks the mapped
// file with protowire and builds a "skeleton": the same model with each
// tensor payload (raw_data, or a single packed float_data/double_data run)
// cut out and replaced by a small marker naming an entry of a payload table
// that records where the payload lies in the file. The skeleton is what the
// generated decoder sees; decodeTensor (through the converter's external
// loader) swaps each marker for a slice of the mapped file.
//
// A marker is an ordinary raw_data value, so the file could hold one
// itself, in a tensor the walk leaves alone (an attribute of a
// ConstantOfShape node, say), to read another tensor's bytes. Each import
// therefore draws a fresh random key that every marker carries: the file's
// author cannot know it, so file contents cannot forge a marker.
//
// Only the tensors the importer turns into constants are walked: graph
// initializers and the tensors of Constant nodes, in the main graph and in
// every subgraph. Tensors of other attributes keep their inline bytes, so
// converters that decode them directly see ordinary TensorProtos.

// ONNX protobuf field numbers (onnx.proto) used by the payload walk.
const (
	fieldModelGraph = 7 // ModelProto.graph

	fieldGraphNode        = 1 // GraphProto.node
	fieldGraphName        = 2 // GraphProto.name
	fieldGraphInitializer = 5 // GraphProto.initializer

	fieldNodeName      = 3 // NodeProto.name
	fieldNodeOpType    = 4 // NodeProto.op_type
	fieldNodeAttribute = 5 // NodeProto.attribute
	fieldNodeDomain    = 7 // NodeProto.domain

	fieldAttrName    = 1  // AttributeProto.name
	fieldAttrT       = 5  // AttributeProto.t
	fieldAttrG       = 6  // AttributeProto.g
	fieldAttrTensors = 10 // AttributeProto.tensors
	fieldAttrGraphs  = 11 // AttributeProto.graphs

	fieldTensorFloatData  = 4  // TensorProto.float_data (packed float)
	fieldTensorName       = 8  // TensorProto.name
	fieldTensorRawData    = 9  // TensorProto.raw_data
	fieldTensorDoubleData = 10 // TensorProto.double_data (packed double)
)

// maxGraphDepth bounds subgraph nesting. Real models nest a few levels
// (Silero VAD: If inside If); the bound keeps hostile files from exhausting
// the stack of the recursive walks.
const maxGraphDepth = 64

// payload is a tensor's data located in the model file.
type payload struct {
	off, n int64            // byte range in the file
	field  protowire.Number // the TensorProto field it came from
}

// payloadKeyLen is the length of the random key that starts every marker.
const payloadKeyLen = 32

// payloadTable is the payload table of one skeleton with the key of its
// markers: a marker is the key followed by a uvarint index into payloads.
type payloadTable struct {
	key      []byte
	payloads []payload
}

// skeletonBuilder walks a serialized ModelProto.
type skeletonBuilder struct {
	file []byte
	payloadTable
}

// buildSkeleton returns data with tensor payloads replaced by markers, and
// the table the markers index.
func buildSkeleton(data []byte) ([]byte, *payloadTable, error) {
	s := &skeletonBuilder{file: data}
	s.key = make([]byte, payloadKeyLen)
	rand.Read(s.key) // never fails (crypto/rand aborts the program instead)
	out, err := s.message(kindModel, data, 0, 0)
	if err != nil {
		return nil, nil, err
	}
	return out, &s.payloadTable, nil
}

type msgKind uint8

const (
	kindModel msgKind = iota
	kindGraph
	kindNode
	kindConstNode // a node whose op_type is Constant
	kindAttr
	kindConstAttr // attribute of a Constant node
	kindTensor
	kindOther
)

// child returns the kind of the message in field num of a kind message, or
// kindOther when the walk does not descend into it.
func (k msgKind) child(num protowire.Number) msgKind {
	switch {
	case k == kindModel && num == fieldModelGraph:
		return kindGraph
	case k == kindGraph && num == fieldGraphNode:
		return kindNode
	case k == kindGraph && num == fieldGraphInitializer:
		return kindTensor
	case (k == kindNode || k == kindConstNode) && num == fieldNodeAttribute:
		if k == kindConstNode {
			return kindConstAttr
		}
		return kindAttr
	case (k == kindAttr || k == kindConstAttr) && (num == fieldAttrG || num == fieldAttrGraphs):
		return kindGraph
	case k == kindConstAttr && (num == fieldAttrT || num == fieldAttrTensors):
		return kindTensor
	}
	return kindOther
}

// what names a message of kind k for error messages.
func (k msgKind) what() string {
	switch k {
	case kindGraph:
		return "graph"
	case kindNode, kindConstNode:
		return "node"
	case kindAttr, kindConstAttr:
		return "attribute"
	case kindTensor:
		return "tensor"
	}
	return "model"
}

// nameField is the field holding a message's name, for error messages.
func (k msgKind) nameField() protowire.Number {
	switch k {
	case kindGraph:
		return fieldGraphName
	case kindNode, kindConstNode:
		return fieldNodeName
	case kindAttr, kindConstAttr:
		return fieldAttrName
	case kindTensor:
		return fieldTensorName
	}
	return 0
}

// wireError is a malformed-protobuf error with the file offset and the
// chain of messages leading to it.
type wireError struct {
	off  int64
	path []string // outermost first
	msg  string
}

func (e *wireError) Error() string {
	path := e.path
	if len(path) > 8 {
		// Deeply nested damage: the outermost node and the innermost
		// messages are the useful part.
		path = append(append(append([]string{}, path[:3]...), fmt.Sprintf("... %d levels ...", len(path)-6)), path[len(path)-3:]...)
	}
	p := ""
	if len(path) > 0 {
		p = strings.Join(path, ": ") + ": "
	}
	return fmt.Sprintf("offset %d: %s%s", e.off, p, e.msg)
}

// consumeField splits off the field at the front of b: its number and wire
// type, and the lengths of its tag (n) and value (m).
func consumeField(b []byte) (num protowire.Number, typ protowire.Type, n, m int, err error) {
	num, typ, n = protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, 0, 0, protowire.ParseError(n)
	}
	m = protowire.ConsumeFieldValue(num, typ, b[n:])
	if m < 0 {
		return 0, 0, 0, 0, fmt.Errorf("field %d: %v", num, protowire.ParseError(m))
	}
	return num, typ, n, m, nil
}

// describe names a message for a wireError: its kind, its name when the
// bytes before the damage hold one, and its index among its siblings.
func describe(k msgKind, what string, b []byte, index int) string {
	name := ""
	if nf := k.nameField(); nf != 0 {
		for len(b) > 0 {
			num, typ, n, m, err := consumeField(b)
			if err != nil {
				break
			}
			if num == nf && typ == protowire.BytesType {
				v, _ := protowire.ConsumeBytes(b[n:])
				name = string(v)
			}
			b = b[n+m:]
		}
	}
	s := what
	if name != "" {
		s += fmt.Sprintf(" %q", name)
	}
	if index >= 0 {
		s += fmt.Sprintf(" (#%d)", index)
	}
	return s
}

// message rebuilds the kind message b, which starts at file offset base, at
// graph nesting depth.
func (s *skeletonBuilder) message(k msgKind, b []byte, base int64, depth int) ([]byte, error) {
	if k == kindGraph {
		depth++
		if depth > maxGraphDepth {
			return nil, &wireError{off: base, msg: fmt.Sprintf("subgraphs nested more than %d deep", maxGraphDepth)}
		}
	}
	if k == kindNode && isConstantNode(b) {
		k = kindConstNode
	}
	if k == kindTensor {
		return s.tensor(b, base)
	}
	out := make([]byte, 0, min(len(b), 1<<12))
	var counts [16]int // per child field; child fields are numbered below 16
	all := b
	for len(b) > 0 {
		at := base + int64(len(all)-len(b))
		num, typ, n, m, err := consumeField(b)
		if err != nil {
			return nil, &wireError{off: at, msg: err.Error()}
		}
		ck := k.child(num)
		if ck == kindOther || typ != protowire.BytesType {
			out = append(out, b[:n+m]...)
			b = b[n+m:]
			continue
		}
		v, vn := protowire.ConsumeBytes(b[n:])
		voff := at + int64(n+vn-len(v))
		idx := -1 // singular fields have no index
		singular := k == kindModel || ((k == kindAttr || k == kindConstAttr) && (num == fieldAttrT || num == fieldAttrG))
		if !singular && num < 16 {
			idx = counts[num]
			counts[num]++
		}
		sub, err := s.message(ck, v, voff, depth)
		if err != nil {
			if we, ok := err.(*wireError); ok {
				what := ck.what()
				if k == kindGraph && num == fieldGraphInitializer {
					what = "initializer"
				}
				we.path = append([]string{describe(ck, what, v, idx)}, we.path...)
			}
			return nil, err
		}
		out = protowire.AppendTag(out, num, protowire.BytesType)
		out = protowire.AppendBytes(out, sub)
		b = b[n+m:]
	}
	return out, nil
}

// isConstantNode reports whether a serialized NodeProto has op_type
// Constant in the default domain. Malformed bytes report false; the walk
// proper reports the damage.
func isConstantNode(b []byte) bool {
	op, dom := "", ""
	for len(b) > 0 {
		num, typ, n, m, err := consumeField(b)
		if err != nil {
			return false
		}
		if typ == protowire.BytesType && (num == fieldNodeOpType || num == fieldNodeDomain) {
			v, _ := protowire.ConsumeBytes(b[n:])
			if num == fieldNodeOpType {
				op = string(v)
			} else {
				dom = string(v)
			}
		}
		b = b[n+m:]
	}
	return op == "Constant" && normDomain(dom) == ""
}

// tensor rebuilds a TensorProto, cutting out its payload. Protobuf keeps the
// last occurrence of a singular field, so the last raw_data wins. A packed
// float_data/double_data field is already little-endian IEEE bytes, so a
// tensor whose float or double values come as exactly one packed run is
// aliased too; any other encoding (several runs, unpacked values) is left
// for the decoder to convert.
func (s *skeletonBuilder) tensor(b []byte, base int64) ([]byte, error) {
	type span struct {
		off, n int64 // value range
		typ    protowire.Type
	}
	var raw, fl, db []span
	all := b
	for len(b) > 0 {
		at := base + int64(len(all)-len(b))
		num, typ, n, m, err := consumeField(b)
		if err != nil {
			return nil, &wireError{off: at, msg: err.Error()}
		}
		sp := span{typ: typ}
		if typ == protowire.BytesType {
			v, vn := protowire.ConsumeBytes(b[n:])
			sp.off, sp.n = at+int64(n+vn-len(v)), int64(len(v))
		}
		switch num {
		case fieldTensorRawData:
			raw = append(raw, sp)
		case fieldTensorFloatData:
			fl = append(fl, sp)
		case fieldTensorDoubleData:
			db = append(db, sp)
		}
		b = b[n+m:]
	}
	var cut protowire.Number
	var p payload
	switch {
	case len(raw) > 0 && raw[len(raw)-1].typ == protowire.BytesType:
		cut, p = fieldTensorRawData, payload{raw[len(raw)-1].off, raw[len(raw)-1].n, fieldTensorRawData}
	case len(raw) == 0 && len(fl) == 1 && fl[0].typ == protowire.BytesType && len(db) == 0:
		cut, p = fieldTensorFloatData, payload{fl[0].off, fl[0].n, fieldTensorFloatData}
	case len(raw) == 0 && len(db) == 1 && db[0].typ == protowire.BytesType && len(fl) == 0:
		cut, p = fieldTensorDoubleData, payload{db[0].off, db[0].n, fieldTensorDoubleData}
	default:
		return append([]byte(nil), all...), nil
	}
	out := make([]byte, 0, 64)
	b = all
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if num != cut {
			out = append(out, b[:n+m]...)
		}
		b = b[n+m:]
	}
	marker := binary.AppendUvarint(append([]byte(nil), s.key...), uint64(len(s.payloads)))
	s.payloads = append(s.payloads, p)
	out = protowire.AppendTag(out, fieldTensorRawData, protowire.BytesType)
	return protowire.AppendBytes(out, marker), nil
}

// lookup returns the payload a skeleton raw_data marker names, or false
// when raw is not one of this table's markers. A nil table has none.
func (t *payloadTable) lookup(raw []byte) (payload, bool) {
	if t == nil || len(raw) <= len(t.key) || !bytes.Equal(raw[:len(t.key)], t.key) {
		return payload{}, false
	}
	i, n := binary.Uvarint(raw[len(t.key):])
	if n <= 0 || n != len(raw)-len(t.key) || i >= uint64(len(t.payloads)) {
		return payload{}, false
	}
	return t.payloads[i], true
}
