package onnx

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// FuzzDecodeValue feeds arbitrary bytes to the hand-written SequenceProto /
// OptionalProto decoder under each value kind; it must return errors, never
// panic. Seeds: small handcrafted messages, plus the sequence and optional
// test data files of the ONNX backend suite when installed.
func FuzzDecodeValue(f *testing.F) {
	tensor := vfTensorMsg(1, 2)
	f.Add(vfDataMsg(dataElemTensor, 3, tensor, tensor), uint8(0))
	f.Add(vfDataMsg(dataElemSequence, 5, vfDataMsg(dataElemTensor, 3, tensor)), uint8(1))
	f.Add(vfDataMsg(dataElemTensor, 3, tensor), uint8(2))
	f.Add(vfDataMsg(dataElemOptional, 7, vfDataMsg(dataElemTensor, 3)), uint8(3))
	f.Add(vfNested(5, 40, tensor), uint8(4))                           // nested past the bound
	f.Add(vfDataMsg(dataElemTensor, 3, tensor, vfI64Msg(1)), uint8(4)) // mixed element types
	for _, dir := range []string{"test_optional_get_element_sequence", "test_if_seq", "test_identity_opt", "test_sequence_insert_at_back"} {
		files, _ := filepath.Glob(filepath.Join("/usr/share/libonnx-testdata/data/node", dir, "test_data_set_0", "*.pb"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b, uint8(1))
				f.Add(b, uint8(2))
			}
		}
	}
	f32 := ir.TensorType(ir.F32, ir.UnrankedShape())
	types := []ir.Type{
		ir.SequenceOf(f32),
		ir.SequenceOf(ir.SequenceOf(f32)),
		ir.OptionalOf(f32),
		ir.OptionalOf(ir.SequenceOf(f32)),
		{Kind: ir.SequenceKind},
		{Kind: ir.OptionalKind},
	}
	f.Fuzz(func(t *testing.T, b []byte, kind uint8) {
		_, _ = DecodeValue(b, types[int(kind)%len(types)])
	})
}
