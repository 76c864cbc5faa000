package onnx

func init() {
	// DFT, STFT, the windows and MelWeightMatrix are new in opset 17 (DFT
	// moved axis to an input only at opset 20).
	for _, name := range []string{"DFT", "STFT", "HannWindow", "HammingWindow", "BlackmanWindow", "MelWeightMatrix"} {
		if name != "DFT" {
			register(name, 17, 0, direct())
		}
	}
	register("DFT", 17, 19, direct())
}
