package onnx

// Convolutions: Conv-1 and Conv-11 carry the same inputs and attributes
// with the same defaults, so both map directly; likewise ConvTranspose-1
// and -11. ConvInteger and QLinearConv exist from opset 10.
func init() {
	register("Col2Im", 18, 0, direct())
	register("Conv", 1, 0, direct())
	register("ConvTranspose", 1, 0, direct())
	register("ConvInteger", 10, 0, direct())
	register("QLinearConv", 10, 0, direct())
}
