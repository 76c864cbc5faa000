package onnx

// Sequence ops arrived at opset 11 and optionals at 15; none changed
// before 17 (OptionalHasElement/GetElement-18 accept plain tensors, which
// kiln's kernels already do).
func init() {
	for _, op := range []string{"SequenceEmpty", "SequenceConstruct", "SequenceInsert", "SequenceAt",
		"SequenceErase", "SequenceLength", "SplitToSequence", "ConcatFromSequence"} {
		register(op, 11, 0, direct())
	}
	for _, op := range []string{"Optional", "OptionalHasElement", "OptionalGetElement"} {
		register(op, 15, 0, direct())
	}
}
