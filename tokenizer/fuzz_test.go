package tokenizer

import (
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/kiln-ml/kiln/frontend/gguf"
	"github.com/kiln-ml/kiln/internal/testenv"
)

var fuzzVocabs struct {
	once sync.Once
	tks  []*Tokenizer
}

// sharedTokenizers returns the tokenizers of the five vector vocabularies
// that are present.
func sharedTokenizers() []*Tokenizer {
	fuzzVocabs.once.Do(func() {
		for _, name := range []string{"llama-spm", "phi-3", "gpt-2", "falcon", "bert-bge"} {
			p, ok := testenv.Shared("models", "data", "tokenizer-tests", "ggml-vocab-"+name+".gguf")
			if !ok {
				return
			}
			f, err := gguf.Open(p)
			if err != nil {
				continue
			}
			tk, err := FromGGUF(f)
			f.Close()
			if err == nil {
				fuzzVocabs.tks = append(fuzzVocabs.tks, tk)
			}
		}
	})
	return fuzzVocabs.tks
}

// FuzzEncode encodes arbitrary text with the shared vocabularies and the
// handmade ones: ids stay inside the vocabulary, and text that is valid
// UTF-8 comes back from the ids (SentencePiece decoding; the pieces of
// byte-level BPE), except where a vocabulary cannot say it (U+2581, which
// SentencePiece uses for the space) or a user-defined token was cut out
// (the text after it gets a space prefix of its own).
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", " ", "Hello world", "  a\n\tb", "'s 'RE 123456", "é中文🦙", "\xff\xd0 x", "<s></s><|endoftext|>"} {
		f.Add(s)
	}
	if p, ok := testenv.Shared("models", "data", "tokenizer-tests", "ggml-vocab-gpt-2.gguf.inp"); ok {
		if raw, err := os.ReadFile(p); err == nil {
			for _, s := range strings.Split(string(raw), "\n__ggml_vocab_test__\n") {
				f.Add(s)
			}
		}
	}
	tks := sharedTokenizers()
	f.Fuzz(func(t *testing.T, text string) {
		all := append([]*Tokenizer{tinySPM(t), tinyBPE(t, "falcon"), tinyBPE(t, "default"), tinyBPE(t, "llama3"), tinyWPM(t)}, tks...)
		for _, tk := range all {
			for _, special := range []bool{false, true} {
				ids := tk.EncodeSpecial(text, special, special)
				for _, id := range ids {
					if id < 0 || int(id) >= tk.Len() {
						t.Fatalf("%s: id %d outside %d tokens", tk.Model(), id, tk.Len())
					}
				}
				if _, err := tk.DecodeSpecial(ids, special, special); err != nil {
					t.Fatal(err)
				}
			}
		}
		if !utf8.ValidString(text) {
			return
		}
		for _, tk := range tks {
			ids := tk.Encode(text, false)
			if slices.ContainsFunc(ids, func(id int32) bool { return tk.v.typeOf(id) == TypeUserDefined }) {
				continue
			}
			switch tk.Model() {
			case ModelSPM:
				if strings.Contains(text, "\u2581") {
					continue
				}
				got, _ := tk.Decode(ids)
				if got != text {
					t.Errorf("SentencePiece round trip: %q → %v → %q", text, ids, got)
				}
			case ModelBPE:
				if !hasAllBytes(tk) {
					continue // a byte without a token is dropped
				}
				var b strings.Builder
				for _, id := range ids {
					b.WriteString(tk.Piece(id, true))
				}
				if b.String() != text {
					t.Errorf("BPE round trip: %q → %v → %q", text, ids, b.String())
				}
			}
		}
	})
}

// hasAllBytes reports whether every byte of GPT-2's alphabet is a token.
func hasAllBytes(tk *Tokenizer) bool {
	for _, s := range byteEncoded {
		if _, ok := tk.ids[s]; !ok {
			return false
		}
	}
	return true
}
