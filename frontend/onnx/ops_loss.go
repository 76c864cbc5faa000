package onnx

func init() {
	// NegativeLogLikelihoodLoss-12 and SoftmaxCrossEntropyLoss-12 differ
	// from their -13 versions only in the element types allowed.
	register("NegativeLogLikelihoodLoss", 12, 0, direct())
	register("SoftmaxCrossEntropyLoss", 12, 0, direct())
	// The training optimizers exist only as version 1 of the preview domain.
	for _, name := range []string{"Adagrad", "Adam", "Momentum"} {
		registerDomain(domainTraining, name, 1, 0, direct())
	}
}
