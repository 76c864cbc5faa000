package onnx

// The import rule of Attention-23 (ir/ops_llm.go): kiln's op is ONNX's,
// so the node maps across unchanged. Attention-24
// added the nonpad_kv_seqlen input, which kiln's op does not take yet; an
// Attention node asking for qk_matmul_output (a fourth result) is refused
// by the op's arity.
func init() {
	register("Attention", 23, 23, direct())
}
