package tokenizer

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/frontend/gguf"
)

// The GGUF metadata keys a tokenizer is read from. ("seperator" is spelled
// as GGUF writers spell it.)
const (
	keyModel     = "tokenizer.ggml.model"
	keyPre       = "tokenizer.ggml.pre"
	keyTokens    = "tokenizer.ggml.tokens"
	keyScores    = "tokenizer.ggml.scores"
	keyTypes     = "tokenizer.ggml.token_type"
	keyMerges    = "tokenizer.ggml.merges"
	keyBOS       = "tokenizer.ggml.bos_token_id"
	keyEOS       = "tokenizer.ggml.eos_token_id"
	keyEOT       = "tokenizer.ggml.eot_token_id"
	keyEOM       = "tokenizer.ggml.eom_token_id"
	keyUNK       = "tokenizer.ggml.unknown_token_id"
	keySEP       = "tokenizer.ggml.seperator_token_id"
	keyPAD       = "tokenizer.ggml.padding_token_id"
	keyAddBOS    = "tokenizer.ggml.add_bos_token"
	keyAddEOS    = "tokenizer.ggml.add_eos_token"
	keyAddPrefix = "tokenizer.ggml.add_space_prefix"
	keyModelName = "general.name"
)

// eogTexts are the texts of tokens that end a generation in the chat and
// code models llama.cpp knows, whatever their type in the file says; they
// are treated as control tokens.
var eogTexts = []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>"}

// FromGGUF builds the tokenizer a GGUF file describes in its
// tokenizer.ggml.* metadata. A missing or malformed key gives an error
// naming it. A special token id outside the vocabulary is ignored (the
// model's default stays), as llama.cpp does: converters write 2^32-1 for
// "none". A default id outside the vocabulary becomes NoToken.
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	v, err := VocabFromGGUF(f)
	if err != nil {
		return nil, err
	}
	return New(v)
}

// VocabFromGGUF reads the Vocab a GGUF file describes; FromGGUF is New of
// it.
func VocabFromGGUF(f *gguf.File) (Vocab, error) {
	model, err := stringKey(f, keyModel, true)
	if err != nil {
		return Vocab{}, err
	}
	pre, err := stringKey(f, keyPre, false)
	if err != nil {
		return Vocab{}, err
	}
	v, err := NewVocab(model, pre)
	if err != nil {
		return Vocab{}, fmt.Errorf("%s / %s: %w", keyModel, keyPre, err)
	}
	if err := requireKey(f, keyTokens); err != nil {
		return Vocab{}, err
	}
	var ok bool
	if v.Tokens, ok = f.Strings(keyTokens); !ok {
		return Vocab{}, badKey(f, keyTokens, "an array of strings")
	}
	n := len(v.Tokens)
	if _, present := f.Value(keyScores); present {
		if v.Scores, ok = f.Float32s(keyScores); !ok {
			return Vocab{}, badKey(f, keyScores, "an array of float32")
		}
		if len(v.Scores) != n {
			return Vocab{}, fmt.Errorf("%s: %d scores for %d tokens", keyScores, len(v.Scores), n)
		}
	}
	if _, present := f.Value(keyTypes); present {
		types, ok := f.Ints(keyTypes)
		if !ok {
			return Vocab{}, badKey(f, keyTypes, "an array of integers")
		}
		if len(types) != n {
			return Vocab{}, fmt.Errorf("%s: %d token types for %d tokens", keyTypes, len(types), n)
		}
		v.Types = make([]TokenType, n)
		for i, t := range types {
			if t < int64(TypeUndefined) || t > int64(TypeByte) {
				t = int64(TypeUndefined) // llama.cpp reads unknown types as undefined
			}
			v.Types[i] = TokenType(t)
		}
	}
	if model == ModelBPE {
		if err := requireKey(f, keyMerges); err != nil {
			return Vocab{}, err
		}
		if v.Merges, ok = f.Strings(keyMerges); !ok {
			return Vocab{}, badKey(f, keyMerges, "an array of strings")
		}
	}
	for _, s := range []struct {
		key string
		id  *int32
	}{{keyBOS, &v.BOS}, {keyEOS, &v.EOS}, {keyUNK, &v.UNK}, {keySEP, &v.SEP}, {keyPAD, &v.PAD}} {
		id, present, err := idKey(f, s.key, n)
		if err != nil {
			return Vocab{}, err
		}
		if present {
			*s.id = id
		}
	}
	for _, s := range []struct {
		key string
		b   *bool
	}{{keyAddBOS, &v.AddBOS}, {keyAddEOS, &v.AddEOS}, {keyAddPrefix, &v.AddSpacePrefix}} {
		if _, present := f.Value(s.key); !present {
			continue
		}
		b, ok := f.Bool(s.key)
		if !ok {
			return Vocab{}, badKey(f, s.key, "a bool")
		}
		*s.b = b
	}
	// A model's default id that this vocabulary is too small for means
	// no such token.
	for _, id := range []*int32{&v.BOS, &v.EOS, &v.UNK, &v.SEP, &v.PAD} {
		if *id >= int32(n) {
			*id = NoToken
		}
	}
	// End-of-generation tokens: EOS, the EOT and EOM keys, and tokens
	// known by their text, which become control tokens.
	if v.EOS != NoToken {
		v.EOG = append(v.EOG, v.EOS)
	}
	for _, key := range []string{keyEOT, keyEOM} {
		id, present, err := idKey(f, key, n)
		if err != nil {
			return Vocab{}, err
		}
		if present {
			v.EOG = append(v.EOG, id)
		}
	}
	index := make(map[string]int32, n)
	for i, s := range v.Tokens {
		index[s] = int32(i)
	}
	for _, s := range eogTexts {
		id, ok := index[s]
		if !ok {
			continue
		}
		v.EOG = append(v.EOG, id)
		if v.Types == nil {
			v.Types = make([]TokenType, n)
			for i := range v.Types {
				v.Types[i] = TypeNormal
			}
		} else if v.Types[id] != TypeControl {
			v.Types = append([]TokenType(nil), v.Types...)
		}
		v.Types[id] = TypeControl
	}
	// Per-model quirks llama.cpp keys on names: Phi-3's special tokens
	// (and "</s>") swallow the whitespace after them, except <unk>, <s>
	// and <|endoftext|>; jina-v2's <mask> swallows the whitespace before.
	name, _ := f.String(keyModelName)
	name = strings.ToLower(name)
	switch {
	case pre == "jina-v2-de" || pre == "jina-v2-es" || pre == "jina-v2-code":
		if id, ok := index["<mask>"]; ok {
			v.LStrip = append(v.LStrip, id)
		}
	case strings.Contains(name, "phi-3") || strings.Contains(name, "phi3"):
		keep := map[string]bool{"<unk>": true, "<s>": true, "<|endoftext|>": true}
		for i, s := range v.Tokens {
			t := TypeNormal
			if v.Types != nil {
				t = v.Types[i]
			}
			special := t == TypeControl || t == TypeUnknown || t == TypeUserDefined
			if (special || s == "</s>") && !keep[s] {
				v.RStrip = append(v.RStrip, int32(i))
			}
		}
	}
	return v, nil
}

func requireKey(f *gguf.File, key string) error {
	if _, ok := f.Value(key); !ok {
		return fmt.Errorf("%s: missing", key)
	}
	return nil
}

func badKey(f *gguf.File, key, want string) error {
	v, _ := f.Value(key)
	return fmt.Errorf("%s: want %s, have %s", key, want, v.Type())
}

// stringKey reads a string key; a missing optional key is "".
func stringKey(f *gguf.File, key string, required bool) (string, error) {
	if _, ok := f.Value(key); !ok {
		if required {
			return "", fmt.Errorf("%s: missing", key)
		}
		return "", nil
	}
	s, ok := f.String(key)
	if !ok {
		return "", badKey(f, key, "a string")
	}
	return s, nil
}

// idKey reads a token id key: present is false when the key is missing or
// its id lies outside the n tokens.
func idKey(f *gguf.File, key string, n int) (id int32, present bool, err error) {
	val, ok := f.Value(key)
	if !ok {
		return 0, false, nil
	}
	u, ok := val.Uint()
	if !ok {
		if _, isInt := val.Int(); isInt {
			return 0, false, nil // negative: "none"
		}
		return 0, false, badKey(f, key, "an integer")
	}
	if u >= uint64(n) {
		return 0, false, nil
	}
	return int32(u), true, nil
}
