package ir

// Add is declared here as the worked example of docs/adding-an-op.md; the
// other elementwise ops live in ops_elementwise.go.
func init() {
	Register(&OpDef{
		Name:    "Add",
		Doc:     "elementwise A + B with numpy broadcasting",
		Kind:    Broadcast,
		Inputs:  In("A", "B"),
		Outputs: In("C"),
		Infer:   InferBroadcast,
	})
	Register(&OpDef{
		Name:    "Identity",
		Doc:     "returns its operand (tensor, sequence or optional)",
		Kind:    Elementwise,
		Inputs:  In("input"),
		Outputs: In("output"),
		Infer:   InferSameAsInput,
	})
}
