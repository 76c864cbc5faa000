package onnx

func init() {
	// Every random op has a single version up to opset 17 (Multinomial-7,
	// Bernoulli-15, the others -1); seeds and dtypes carry over as they are.
	for _, name := range []string{"RandomUniform", "RandomNormal", "RandomUniformLike", "RandomNormalLike"} {
		register(name, 1, 0, direct())
	}
	register("Multinomial", 7, 0, direct())
	register("Bernoulli", 15, 0, direct())
}
