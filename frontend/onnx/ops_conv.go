package onnx

// Convolutions: Conv-1 and Conv-11 differ only in the types they allow
// (and Conv-11 making the default pads explicit), so both map directly;
// likewise ConvTranspose-1/-11. ConvInteger and QLinearConv exist from 10.
func init() {
	register("Conv", 1, 0, direct())
	register("ConvTranspose", 1, 0, direct())
	register("ConvInteger", 10, 0, direct())
	register("QLinearConv", 10, 0, direct())
}
