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
