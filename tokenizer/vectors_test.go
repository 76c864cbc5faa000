package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kiln-ml/kiln/frontend/gguf"
	"github.com/kiln-ml/kiln/internal/llamaref"
	"github.com/kiln-ml/kiln/internal/testenv"
)

// sharedFile returns the path of a file under ../shared/models, skipping
// the test when it is absent.
func sharedFile(tb testing.TB, elem ...string) string {
	tb.Helper()
	p, ok := testenv.Shared(append([]string{"models"}, elem...)...)
	if !ok {
		tb.Skip("no shared folder")
	}
	if _, err := os.Stat(p); err != nil {
		tb.Skip(err)
	}
	return p
}

// openTokenizer builds the tokenizer of a GGUF file.
func openTokenizer(tb testing.TB, path string) *Tokenizer {
	tb.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	tk, err := FromGGUF(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return tk
}

// TestVectors reproduces llama.cpp's own tokenizer test vectors: every
// input of every vocabulary, encoded without special tokens, gives exactly
// the stored ids.
func TestVectors(t *testing.T) {
	for _, name := range llamaref.VectorVocabs {
		t.Run(name, func(t *testing.T) {
			path := llamaref.VectorVocab(t, name)
			tk := openTokenizer(t, path)
			inputs, want := llamaref.Vectors(t, path)
			pass := 0
			for i, text := range inputs {
				got := tk.Encode(text, false)
				if slices.Equal(got, want[i]) {
					pass++
				} else {
					t.Errorf("input %d %q:\n got %v\nwant %v", i, text, got, want[i])
				}
			}
			t.Logf("%s: %d/%d vectors", name, pass, len(inputs))
		})
	}
}

// TestVectorsDecode checks decoding on the vectors' ids: SentencePiece
// decoding gives the input back (the space prefix the encoder adds is
// removed), and byte-level BPE pieces concatenate to the input's bytes.
func TestVectorsDecode(t *testing.T) {
	for _, name := range []string{"llama-spm", "phi-3", "gpt-2", "falcon"} {
		t.Run(name, func(t *testing.T) {
			path := llamaref.VectorVocab(t, name)
			tk := openTokenizer(t, path)
			inputs, want := llamaref.Vectors(t, path)
			for i, text := range inputs {
				var got string
				if tk.Model() == ModelSPM {
					var err error
					if got, err = tk.Decode(want[i]); err != nil {
						t.Fatal(err)
					}
				} else {
					var b strings.Builder
					for _, id := range want[i] {
						b.WriteString(tk.Piece(id, false))
					}
					got = b.String()
				}
				if got != text {
					t.Errorf("input %d: decoded %q, want %q", i, got, text)
				}
			}
		})
	}
}

// TestGreedyPrompts checks the prompt ids llama.cpp used for every GGUF
// model in llamacpp-greedy.json ("Once upon a time" with BOS): the
// 512-token stories260K and kq-random vocabularies and the 32000-token
// llama58m one. The generated ids must decode without error and, when
// their text is valid UTF-8, it must encode back to ids that decode to the
// same text. (Invalid UTF-8 does not survive: the SentencePiece encoder,
// like llama.cpp's, cuts symbols by lead bytes, so a stray lead byte
// swallows the first byte of the next character.)
func TestGreedyPrompts(t *testing.T) {
	raw, err := os.ReadFile(sharedFile(t, "reference", "llamacpp-greedy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Models map[string]struct {
			Prompt    string  `json:"prompt"`
			AddBOS    bool    `json:"add_bos"`
			PromptIDs []int32 `json:"prompt_ids"`
			Generated []int32 `json:"generated_ids"`
		} `json:"models"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Models) == 0 {
		t.Fatal("no models in llamacpp-greedy.json")
	}
	for file, m := range ref.Models {
		t.Run(file, func(t *testing.T) {
			tk := openTokenizer(t, sharedFile(t, "gguf", filepath.Base(file)))
			if got := tk.Encode(m.Prompt, m.AddBOS); !slices.Equal(got, m.PromptIDs) {
				t.Errorf("Encode(%q) = %v, want %v", m.Prompt, got, m.PromptIDs)
			}
			text, err := tk.Decode(m.Generated)
			if err != nil {
				t.Fatal(err)
			}
			if !utf8.ValidString(text) {
				return
			}
			again, err := tk.Decode(tk.Encode(text, false))
			if err != nil {
				t.Fatal(err)
			}
			if again != text {
				t.Errorf("generated text %q re-encodes to %q", text, again)
			}
		})
	}
}

// TestSPMWordByWord checks encodeSPM's shortcut against the plain
// algorithm (one merge queue over the whole text) on the vectors and the
// War and Peace excerpt, for both SentencePiece vocabularies.
func TestSPMWordByWord(t *testing.T) {
	raw, err := os.ReadFile(sharedFile(t, "data", "text", "wap-excerpt-a.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"llama-spm", "phi-3"} {
		path := llamaref.VectorVocab(t, name)
		tk := openTokenizer(t, path)
		if !tk.spmWords {
			t.Fatalf("%s: the word-by-word shortcut does not apply", name)
		}
		whole := *tk
		whole.spmWords = false
		inputs, _ := llamaref.Vectors(t, path)
		for _, text := range append(inputs, string(raw), "a\xe2\x96 b\xd0 c") {
			if got, want := tk.Encode(text, true), whole.Encode(text, true); !slices.Equal(got, want) {
				t.Errorf("%s: %.40q: word by word %v, whole text %v", name, text, got, want)
			}
		}
	}
}
