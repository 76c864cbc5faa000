package tokenizer

//go:generate go run gen_nfd.go

import _ "embed"

// The tokenizer's files as Go source, for codegen/llmgen to carry into the
// language model packages kiln compiles, which must build with the
// standard library alone. The files listed are exactly those: gguf.go
// (the adapter from frontend/gguf), new.go (New, whose name the packages
// give the model's constructor), this file, doc.go and the tests stay
// behind, and the packages build a tokenizer with newTokenizer.
var (
	//go:embed tokenizer.go
	srcTokenizer string
	//go:embed vocab.go
	srcVocab string
	//go:embed spm.go
	srcSPM string
	//go:embed bpe.go
	srcBPE string
	//go:embed pretokenize.go
	srcPretokenize string
	//go:embed heap.go
	srcHeap string
	//go:embed decode.go
	srcDecode string
	//go:embed unicode.go
	srcUnicode string
	//go:embed wpm.go
	srcWPM string
	//go:embed nfd_table.go
	srcNFDTable string
)

// SourceFile is one file of the tokenizer's source: its name in this
// folder and its text (package clause "package tokenizer").
type SourceFile struct {
	Name, Text string
}

// Sources returns the files a package needs to build a tokenizer of the
// given model (ModelSPM, ModelBPE or ModelWPM): all of them for WordPiece,
// and all but wpm.go and its NFD table (1800 lines) for the others.
func Sources(model string) []SourceFile {
	files := []SourceFile{
		{"tokenizer.go", srcTokenizer},
		{"vocab.go", srcVocab},
		{"spm.go", srcSPM},
		{"bpe.go", srcBPE},
		{"pretokenize.go", srcPretokenize},
		{"heap.go", srcHeap},
		{"decode.go", srcDecode},
		{"unicode.go", srcUnicode},
	}
	if model == ModelWPM {
		files = append(files, SourceFile{"wpm.go", srcWPM}, SourceFile{"nfd_table.go", srcNFDTable})
	}
	return files
}

// SourceNames lists the name of every file Sources may return.
func SourceNames() []string {
	var names []string
	for _, f := range Sources(ModelWPM) {
		names = append(names, f.Name)
	}
	return names
}
