package onnx

func init() {
	register("StringNormalizer", 10, 0, direct())
	register("TfIdfVectorizer", 9, 0, direct())
}
