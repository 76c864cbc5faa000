package llmrt

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/gguf"
	"github.com/kiln-ml/kiln/internal/llamaref"
	"github.com/kiln-ml/kiln/tokenizer"
)

// TestVocabSection: the vocabulary of each of llama.cpp's test
// vocabularies survives AppendVocab and parseVocab field for field (absent
// scores and types read back as zeros and TypeNormal), and the tokenizer
// read from the section encodes the vectors' inputs as llama.cpp does.
func TestVocabSection(t *testing.T) {
	for _, name := range llamaref.VectorVocabs {
		t.Run(name, func(t *testing.T) {
			path := llamaref.VectorVocab(t, name)
			f, err := gguf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			v, err := tokenizer.VocabFromGGUF(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			sec := AppendVocab(nil, v)
			got, err := parseVocab(sec)
			if err != nil {
				t.Fatal(err)
			}
			want := v
			if want.Scores == nil {
				want.Scores = make([]float32, len(v.Tokens))
			}
			if want.Types == nil {
				want.Types = slices.Repeat([]TokenType{tokenizer.TypeNormal}, len(v.Tokens))
			}
			for _, l := range []*[]int32{&want.EOG, &want.LStrip, &want.RStrip} {
				if *l == nil {
					*l = []int32{}
				}
			}
			if want.Merges == nil {
				want.Merges = []string{}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the section reads back as another Vocab")
			}
			tk, err := readVocab(sec)
			if err != nil {
				t.Fatal(err)
			}
			inputs, ids := llamaref.Vectors(t, path)
			for i, s := range inputs {
				if enc := tk.Encode(s, false); !slices.Equal(enc, ids[i]) {
					t.Errorf("input %d %q: %v, llama.cpp %v", i, s, enc, ids[i])
				}
			}
		})
	}
}

// TestVocabSectionErrors: a section cut short anywhere, with bytes after
// its end, of another version, with a count larger than its bytes or with
// an id outside the vocabulary is refused with an error, never a panic.
func TestVocabSectionErrors(t *testing.T) {
	v, err := tokenizer.NewVocab(tokenizer.ModelBPE, "gpt-2")
	if err != nil {
		t.Fatal(err)
	}
	v.Tokens = []string{"a", "b", "ab", "<|endoftext|>"}
	v.Types = []TokenType{1, 1, 1, 3}
	v.Merges = []string{"a b"}
	v.BOS, v.EOS, v.EOG = 3, 3, []int32{3}
	good := AppendVocab(nil, v)
	if tk, err := readVocab(good); err != nil || !slices.Equal(tk.Encode("ab", false), []int32{2}) {
		t.Fatalf("the good section: %v", err)
	}
	for n := range len(good) {
		if _, err := readVocab(good[:n]); err == nil {
			t.Errorf("the section cut to %d of %d bytes: no error", n, len(good))
		}
	}
	badBOS := v
	badBOS.BOS = 9
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"trailing byte", append(AppendVocab(nil, v), 0), "after its end"},
		{"version 1", append([]byte("KLNV\x01\x00\x00\x00"), good[8:]...), "version"},
		{"huge token count", append(AppendVocab(nil, v)[:8+4+4+4+len("gpt-2")], 0xff, 0xff, 0xff, 0x7f), "exceeds"},
		{"BOS outside", AppendVocab(nil, badBOS), "BOS id 9"},
	} {
		_, err := readVocab(c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
}
