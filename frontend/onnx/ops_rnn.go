package onnx

// Recurrent layers. RNN-1, GRU-1/3 and LSTM-1 carry output_sequence, which
// only said whether Y is wanted (the node's outputs say that already) and
// was removed at 7; GRU-3 added linear_before_reset (default 0, so GRU-1 is
// GRU-3 without it); opset 14 added layout (default 0).
func init() {
	for _, op := range []string{"RNN", "GRU", "LSTM"} {
		register(op, 1, 6, direct("output_sequence"))
		register(op, 7, 13, direct())
		register(op, 14, 0, direct())
	}
}
