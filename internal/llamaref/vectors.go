package llamaref

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/internal/testenv"
)

// VectorVocabs names the vocabularies of llama.cpp's tokenizer test
// vectors in ../shared/models/data/tokenizer-tests (ggml-vocab-NAME.gguf,
// with NAME.gguf.inp and .out): SentencePiece (llama-spm, phi-3), GPT-2
// byte-level BPE (gpt-2, falcon) and WordPiece (bert-bge).
var VectorVocabs = []string{"llama-spm", "phi-3", "gpt-2", "falcon", "bert-bge"}

// VectorVocab returns the path of the vocabulary file of name, skipping
// the test when the shared folder lacks it.
func VectorVocab(tb testing.TB, name string) string {
	tb.Helper()
	p, ok := testenv.Shared("models", "data", "tokenizer-tests", "ggml-vocab-"+name+".gguf")
	if !ok {
		tb.Skip("no shared folder")
	}
	if _, err := os.Stat(p); err != nil {
		tb.Skip(err)
	}
	return p
}

// Vectors reads the test vectors of the vocabulary file at path (its .inp
// and .out files, as the README there describes them): the inputs,
// separated by "\n__ggml_vocab_test__\n" (the last, empty, piece is not a
// test), and for each one line of space-separated ids, which llama.cpp
// gives without special tokens.
func Vectors(tb testing.TB, path string) (inputs []string, want [][]int32) {
	tb.Helper()
	inp, err := os.ReadFile(path + ".inp")
	if err != nil {
		tb.Fatal(err)
	}
	out, err := os.ReadFile(path + ".out")
	if err != nil {
		tb.Fatal(err)
	}
	inputs = strings.Split(string(inp), "\n__ggml_vocab_test__\n")
	if inputs[len(inputs)-1] != "" {
		tb.Fatalf("%s.inp does not end with the marker", path)
	}
	inputs = inputs[:len(inputs)-1]
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(inputs) {
		tb.Fatalf("%s: %d inputs, %d lines of ids", path, len(inputs), len(lines))
	}
	want = make([][]int32, len(lines))
	for i, l := range lines {
		want[i] = []int32{}
		for _, f := range strings.Fields(l) {
			n, err := strconv.ParseInt(f, 10, 32)
			if err != nil {
				tb.Fatalf("%s.out line %d: %v", path, i+1, err)
			}
			want[i] = append(want[i], int32(n))
		}
	}
	return inputs, want
}
