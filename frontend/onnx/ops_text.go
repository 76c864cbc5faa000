package onnx

func init() {
	register("StringNormalizer", 10, 0, direct())
	register("TfIdfVectorizer", 9, 0, direct())
	for _, op := range []string{"StringConcat", "RegexFullMatch", "StringSplit"} {
		register(op, 20, 0, direct())
	}
}
