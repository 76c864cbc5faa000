package onnx

func init() {
	// Gemm-1 and -6 carried a broadcast attribute: without it C had to be
	// [M, N] already, with it C broadcast unidirectionally, which numpy
	// broadcasting to [M, N] covers either way. C became optional at 11.
	register("Gemm", 1, 6, direct("broadcast"))
	register("Gemm", 7, 0, direct())
	register("MatMul", 1, 0, direct())
	register("MatMulInteger", 10, 0, direct())
	register("QLinearMatMul", 10, 0, direct())
	register("Einsum", 12, 0, direct())
	register("Det", 11, 0, direct())
	// QuantizeLinear-10 and DequantizeLinear-10 were per-tensor only;
	// axis (default 1) arrived at 13 and changes nothing for scalars.
	register("QuantizeLinear", 10, 18, direct())
	register("DequantizeLinear", 10, 18, direct())
	register("DynamicQuantizeLinear", 11, 0, direct())
}
