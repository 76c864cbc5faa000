package onnx

// Import rules of the language-model ops of opset 23 (ir/ops_llm.go):
// kiln's ops are ONNX's, so the nodes map across unchanged. Attention-24
// added the nonpad_kv_seqlen input, which kiln's op does not take yet; an
// Attention node asking for qk_matmul_output (a fourth result) is refused
// by the op's arity.
func init() {
	register("RotaryEmbedding", 23, 0, direct())
	register("Attention", 23, 23, direct())
}
