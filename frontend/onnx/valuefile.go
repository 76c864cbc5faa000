package onnx

import (
	"fmt"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// ReadValueFile reads an ONNX tensor file (.pb) holding a value of type t: a
// TensorProto for tensors. Sequences and optionals (SequenceProto,
// OptionalProto) are decoded by readSequence and readOptional.
func ReadValueFile(path string, t ir.Type) (interp.Value, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := DecodeValue(b, t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// DecodeValue decodes a serialized TensorProto (or SequenceProto or
// OptionalProto, according to t).
func DecodeValue(b []byte, t ir.Type) (interp.Value, error) {
	switch t.Kind {
	case ir.TensorKind, ir.InvalidKind:
		var tp onnxpb.TensorProto
		if err := proto.Unmarshal(b, &tp); err != nil {
			return nil, fmt.Errorf("not a TensorProto: %w", err)
		}
		return TensorFromProto(&tp)
	}
	return nil, fmt.Errorf("reading %v values is not supported yet", t)
}
