package onnx

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// Hand-built SequenceProto / OptionalProto messages, field numbers as in
// onnx-data.proto.

// vfTensorMsg serializes a float32 vector as a TensorProto.
func vfTensorMsg(vals ...float32) []byte {
	tp, err := TensorToProto("", interp.FromSlice([]int{len(vals)}, vals))
	if err == nil {
		var b []byte
		if b, err = proto.Marshal(tp); err == nil {
			return b
		}
	}
	panic(err) // float32 tensors always encode
}

func vfDataMsg(elemType int64, field protowire.Number, payloads ...[]byte) []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, "x")
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(elemType))
	for _, p := range payloads {
		b = protowire.AppendTag(b, field, protowire.BytesType)
		b = protowire.AppendBytes(b, p)
	}
	return b
}

func TestDecodeSequenceAndOptional(t *testing.T) {
	f32v := ir.TensorType(ir.F32, ir.UnknownDims(1))
	seqT := ir.SequenceOf(f32v)
	t1, t2 := vfTensorMsg(1, 2), vfTensorMsg(3)
	tests := []struct {
		name string
		msg  []byte
		typ  ir.Type
		want string // fmt of the decoded value, or an error substring
		err  bool
	}{
		{"seq of tensors", vfDataMsg(dataElemTensor, 3, t1, t2), seqT, "seq[f32[2] [1 2] f32[1] [3]]", false},
		{"empty seq", vfDataMsg(dataElemUndefined, 3), seqT, "seq[]", false},
		{"seq of seqs", vfDataMsg(dataElemSequence, 5, vfDataMsg(dataElemTensor, 3, t1), vfDataMsg(dataElemTensor, 3)), ir.SequenceOf(seqT),
			"seq[seq[f32[2] [1 2]] seq[]]", false},
		{"optional tensor", vfDataMsg(dataElemTensor, 3, t2), ir.OptionalOf(f32v), "opt(f32[1] [3])", false},
		{"empty optional", vfDataMsg(dataElemUndefined, 3), ir.OptionalOf(f32v), "opt()", false},
		{"optional seq", vfDataMsg(dataElemSequence, 5, vfDataMsg(dataElemTensor, 3, t1)), ir.OptionalOf(seqT), "opt(seq[f32[2] [1 2]])", false},
		{"seq of optionals", vfDataMsg(dataElemOptional, 7, vfDataMsg(dataElemTensor, 3, t1), vfDataMsg(0, 3)), ir.SequenceOf(ir.OptionalOf(f32v)),
			"seq[opt(f32[2] [1 2]) opt()]", false},
		{"elem_type mismatch", vfDataMsg(dataElemSequence, 5, vfDataMsg(dataElemTensor, 3)), seqT, "elem_type 3", true},
		{"map values", vfDataMsg(dataElemMap, 6, []byte{}), ir.Type{Kind: ir.SequenceKind}, "map values", true},
		{"truncated", vfDataMsg(dataElemTensor, 3, t1)[:9], seqT, "SequenceProto", true},
		{"mixed element types", vfDataMsg(dataElemTensor, 3, t1, vfI64Msg(7)), ir.Type{Kind: ir.SequenceKind},
			"sequence element 1 is i64[1], element 0 is f32[2]: a sequence holds one element type", true},
		{"mixed nested element types", vfDataMsg(dataElemSequence, 5, vfDataMsg(dataElemTensor, 3, t1), vfDataMsg(dataElemTensor, 3, vfI64Msg(7))),
			ir.Type{Kind: ir.SequenceKind}, "sequence element 1 is seq<i64[1]>, element 0 is seq<f32[2]>", true},
		{"element of another dtype", vfDataMsg(dataElemTensor, 3, vfI64Msg(7)), seqT, "sequence element 0: found i64[1], want f32[?]", true},
		{"element of another rank", vfDataMsg(dataElemTensor, 3, t1), ir.SequenceOf(ir.TensorType(ir.F32, ir.UnknownDims(2))),
			"sequence element 0: found f32[2], want f32[?,?]", true},
		{"optional of another dtype", vfDataMsg(dataElemTensor, 3, vfI64Msg(7)), ir.OptionalOf(f32v), "optional value: found i64[1], want f32[?]", true},
		{"one element type, two shapes", vfDataMsg(dataElemTensor, 3, t1, t2), ir.Type{Kind: ir.SequenceKind}, "seq[f32[2] [1 2] f32[1] [3]]", false},
		{"sequences nested too deep", vfNested(5, 33, t1), ir.Type{Kind: ir.SequenceKind}, "nested more than 32 deep", true},
		{"optionals nested too deep", vfNested(7, 40, t1), ir.Type{Kind: ir.OptionalKind}, "nested more than 32 deep", true},
		{"sequences nested a million deep", vfNested(5, 1_000_000, t1), ir.Type{Kind: ir.SequenceKind}, "nested more than 32 deep", true},
		{"sequences nested 32 deep", vfNested(5, 32, t1), ir.Type{Kind: ir.SequenceKind}, strings.Repeat("seq[", 32) + "f32[2] [1 2]" + strings.Repeat("]", 32), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := DecodeValue(tc.msg, tc.typ)
			if tc.err {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, %v; want error containing %q", v, err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := vfShow(v); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func vfShow(v interp.Value) string {
	switch x := v.(type) {
	case *interp.Tensor:
		return x.String()
	case *interp.Sequence:
		parts := make([]string, len(x.Items))
		for i, it := range x.Items {
			parts[i] = vfShow(it)
		}
		return "seq[" + strings.Join(parts, " ") + "]"
	case *interp.Optional:
		if x.Value == nil {
			return "opt()"
		}
		return "opt(" + vfShow(x.Value) + ")"
	}
	return "?"
}

// vfI64Msg serializes an int64 vector as a TensorProto.
func vfI64Msg(vals ...int64) []byte {
	tp, err := TensorToProto("", interp.FromSlice([]int{len(vals)}, vals))
	if err == nil {
		var b []byte
		if b, err = proto.Marshal(tp); err == nil {
			return b
		}
	}
	panic(err) // int64 tensors always encode
}

// vfNested wraps tensor message inner in levels nested SequenceProtos
// (field 5) or OptionalProtos (field 7), all but the innermost holding
// only their value field.
// It writes the file front to back from precomputed lengths, so a million
// levels take linear time.
func vfNested(field protowire.Number, levels int, inner []byte) []byte {
	// lens[k] is the length of the message k levels up from the tensor.
	lens := make([]int, levels)
	lens[0] = len(vfDataMsg(dataElemTensor, 3, inner))
	for k := 1; k < levels; k++ {
		lens[k] = protowire.SizeTag(field) + protowire.SizeBytes(lens[k-1])
	}
	b := make([]byte, 0, lens[levels-1])
	for k := levels - 1; k >= 1; k-- {
		b = protowire.AppendTag(b, field, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(lens[k-1]))
	}
	return append(b, vfDataMsg(dataElemTensor, 3, inner)...)
}

// TestReadValueFileRefusesDevices checks that a test data file that is a
// device (an endless one) is refused without reading it.
func TestReadValueFileRefusesDevices(t *testing.T) {
	_, err := ReadValueFile("/dev/zero", ir.TensorType(ir.F32, ir.UnrankedShape()))
	if err == nil || !strings.Contains(err.Error(), "/dev/zero") || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("error %v", err)
	}
}
