package onnx

func init() {
	// NonMaxSuppression-11 only clarified -10's text; both map directly.
	register("NonMaxSuppression", 10, 0, direct())
}
