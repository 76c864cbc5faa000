package tokenizer

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/frontend/gguf"
	"github.com/kiln-ml/kiln/internal/ggufwrite"
)

// kv is one metadata entry for ggufBytes (a value ggufwrite.KV takes).
type kv struct {
	key string
	val any
}

// ggufBytes writes a version-3 GGUF file with the given metadata and no
// tensors.
func ggufBytes(t *testing.T, kvs []kv) []byte {
	t.Helper()
	w := make([]ggufwrite.KV, len(kvs))
	for i, e := range kvs {
		w[i] = ggufwrite.KV{Key: e.key, Value: e.val}
	}
	b, err := ggufwrite.Encode(w, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// spmKVs is a small valid SentencePiece vocabulary's metadata.
func spmKVs() []kv {
	return []kv{
		{"general.name", "tiny"},
		{keyModel, "llama"},
		{keyTokens, []string{"<unk>", "<s>", "</s>", "▁", "a", "▁a"}},
		{keyScores, []float32{0, 0, 0, -1, -1, -0.5}},
		{keyTypes, []int32{2, 3, 3, 1, 1, 1}},
		{keyBOS, uint32(1)},
		{keyEOS, uint32(2)},
		{keyUNK, uint32(0)},
		{keySEP, uint32(math.MaxUint32)}, // "none", as converters write it
	}
}

// replaceKV returns kvs with key's value set to val, or the key removed
// when val is nil.
func replaceKV(kvs []kv, key string, val any) []kv {
	var out []kv
	found := false
	for _, e := range kvs {
		if e.key == key {
			found = true
			if val == nil {
				continue
			}
			e.val = val
		}
		out = append(out, e)
	}
	if !found && val != nil {
		out = append(out, kv{key, val})
	}
	return out
}

func fromBytes(t *testing.T, b []byte) (*Tokenizer, error) {
	t.Helper()
	f, err := gguf.Parse(b)
	if err != nil {
		t.Fatalf("gguf.Parse: %v", err)
	}
	return FromGGUF(f)
}

func TestFromGGUF(t *testing.T) {
	tk, err := fromBytes(t, ggufBytes(t, spmKVs()))
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.Encode("a", true); !slices.Equal(got, []int32{1, 5}) {
		t.Errorf("Encode(a) = %v, want [1 5]", got)
	}
	if !tk.IsEOG(2) || tk.IsEOG(1) {
		t.Errorf("IsEOG: EOS 2 should end a generation, BOS 1 not")
	}
	// add_bos_token and add_space_prefix override the model's defaults.
	kvs := replaceKV(spmKVs(), keyAddBOS, false)
	kvs = replaceKV(kvs, keyAddPrefix, false)
	if tk, err = fromBytes(t, ggufBytes(t, kvs)); err != nil {
		t.Fatal(err)
	}
	if got := tk.Encode("a", true); !slices.Equal(got, []int32{4}) {
		t.Errorf("Encode(a) without BOS and prefix = %v, want [4]", got)
	}
	// Phi-3's special tokens swallow the whitespace after them, except
	// <s>, <unk> and <|endoftext|>: " a" after </s> is "a" (then prefixed:
	// "▁a"), after <s> it stays " a" (prefixed: "▁▁a", which is ▁ ▁a).
	kvs = replaceKV(spmKVs(), "general.name", "Phi3")
	if tk, err = fromBytes(t, ggufBytes(t, kvs)); err != nil {
		t.Fatal(err)
	}
	if got := tk.EncodeSpecial("</s> a<s> a", false, true); !slices.Equal(got, []int32{2, 5, 1, 3, 5}) {
		t.Errorf("Phi-3 EncodeSpecial = %v, want [2 5 1 3 5]", got)
	}
}

func TestFromGGUFErrors(t *testing.T) {
	bpe := []kv{
		{keyModel, "gpt2"},
		{keyPre, "gpt-2"},
		{keyTokens, []string{"a", "b", "ab"}},
		{keyMerges, []string{"a b"}},
	}
	tests := []struct {
		name string
		kvs  []kv
		want string
	}{
		{"no model", replaceKV(spmKVs(), keyModel, nil), "tokenizer.ggml.model: missing"},
		{"model type", replaceKV(spmKVs(), keyModel, uint32(1)), "tokenizer.ggml.model: want a string, have uint32"},
		{"unknown model", replaceKV(spmKVs(), keyModel, "t5"), `unsupported tokenizer model "t5"`},
		{"no tokens", replaceKV(spmKVs(), keyTokens, nil), "tokenizer.ggml.tokens: missing"},
		{"tokens type", replaceKV(spmKVs(), keyTokens, []int32{1}), "tokenizer.ggml.tokens: want an array of strings"},
		{"scores type", replaceKV(spmKVs(), keyScores, []int32{1, 2, 3, 4, 5, 6}), "tokenizer.ggml.scores: want an array of float32"},
		{"scores length", replaceKV(spmKVs(), keyScores, []float32{1}), "tokenizer.ggml.scores: 1 scores for 6 tokens"},
		{"types length", replaceKV(spmKVs(), keyTypes, []int32{1}), "tokenizer.ggml.token_type: 1 token types for 6 tokens"},
		{"types type", replaceKV(spmKVs(), keyTypes, []string{"x"}), "tokenizer.ggml.token_type: want an array of integers"},
		{"bos type", replaceKV(spmKVs(), keyBOS, "one"), "tokenizer.ggml.bos_token_id: want an integer"},
		{"add_bos type", replaceKV(spmKVs(), keyAddBOS, uint32(1)), "tokenizer.ggml.add_bos_token: want a bool"},
		{"duplicate", replaceKV(spmKVs(), keyTokens, []string{"<unk>", "<s>", "</s>", "▁", "a", "a"}), `tokens 4 and 5 are both "a"`},
		{"no merges", replaceKV(bpe, keyMerges, nil), "tokenizer.ggml.merges: missing"},
		{"merges type", replaceKV(bpe, keyMerges, []int32{1}), "tokenizer.ggml.merges: want an array of strings"},
		{"unknown pre", replaceKV(bpe, keyPre, "tekken"), `unsupported BPE pre-tokenizer "tekken"`},
		{"pre type", replaceKV(bpe, keyPre, uint32(2)), "tokenizer.ggml.pre: want a string"},
	}
	for _, tc := range tests {
		_, err := fromBytes(t, ggufBytes(t, tc.kvs))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	// The BPE vocabulary itself is fine: the model's default BOS and EOS
	// (id 11) lie outside its 3 tokens and become NoToken.
	tk, err := fromBytes(t, ggufBytes(t, bpe))
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.Encode("ab", true); !slices.Equal(got, []int32{2}) {
		t.Errorf("Encode(ab) = %v, want [2]", got)
	}
	if tk.BOS() != NoToken || tk.EOS() != NoToken {
		t.Errorf("BOS, EOS = %d, %d; want NoToken", tk.BOS(), tk.EOS())
	}
}
