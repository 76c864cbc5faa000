package tokenizer

import (
	"fmt"
)

// TokenType is a token's kind as GGUF's tokenizer.ggml.token_type stores it.
type TokenType int32

// The token types of tokenizer.ggml.token_type.
const (
	TypeUndefined   TokenType = 0
	TypeNormal      TokenType = 1
	TypeUnknown     TokenType = 2
	TypeControl     TokenType = 3
	TypeUserDefined TokenType = 4
	TypeUnused      TokenType = 5
	TypeByte        TokenType = 6
)

// The tokenizer models of tokenizer.ggml.model that kiln supports.
const (
	ModelSPM = "llama" // SentencePiece-style: merges by score, byte fallback
	ModelBPE = "gpt2"  // GPT-2 byte-level BPE: merges by rank
	ModelWPM = "bert"  // WordPiece: greedy longest match
)

// NoToken marks an absent special token id.
const NoToken int32 = -1

// Vocab is a tokenizer's description as a GGUF file's tokenizer.ggml.* keys
// give it. NewVocab fills the defaults llama.cpp uses for a model; the
// caller then sets what the file says.
type Vocab struct {
	// Model is tokenizer.ggml.model: ModelSPM, ModelBPE or ModelWPM.
	Model string
	// Pre is tokenizer.ggml.pre, naming a BPE model's pre-tokenizer
	// ("default", "gpt-2", "falcon", "llama3", ...); other models ignore it.
	Pre string
	// Tokens is tokenizer.ggml.tokens: the text of each id. Tokens must be
	// distinct.
	Tokens []string
	// Scores is tokenizer.ggml.scores (SentencePiece merge priorities); nil
	// means all zero.
	Scores []float32
	// Types is tokenizer.ggml.token_type; nil means all TypeNormal.
	Types []TokenType
	// Merges is tokenizer.ggml.merges: "left right" pairs of a BPE model,
	// highest priority first.
	Merges []string
	// BOS, EOS, UNK, SEP and PAD are the special ids, NoToken when absent.
	BOS, EOS, UNK, SEP, PAD int32
	// AddBOS and AddEOS say whether Encode with addSpecial adds them.
	AddBOS, AddEOS bool
	// AddSpacePrefix puts a space before text that starts a SentencePiece
	// encoding or follows a special token (tokenizer.ggml.add_space_prefix).
	AddSpacePrefix bool
	// IgnoreMerges takes a pre-tokenized word that is itself a token as that
	// token without merging (llama3-style BPE vocabularies).
	IgnoreMerges bool
	// CleanSpaces makes Decode drop the space before ?!., and some
	// apostrophes, as BPE vocabularies' decoders do.
	CleanSpaces bool
	// EOG lists the tokens that end a generation: EOS, and end-of-turn
	// tokens of chat models.
	EOG []int32
	// LStrip and RStrip list special tokens that, found in text, swallow
	// the whitespace before (LStrip) or after (RStrip) them.
	LStrip, RStrip []int32
}

// NewVocab returns a Vocab for model with llama.cpp's defaults: the special
// ids and flags that apply when a file does not set them. pre is the BPE
// pre-tokenizer name; some names imply flags (llama3: IgnoreMerges and
// AddBOS).
func NewVocab(model, pre string) (Vocab, error) {
	v := Vocab{Model: model, Pre: pre, BOS: NoToken, EOS: NoToken, UNK: NoToken, SEP: NoToken, PAD: NoToken}
	switch model {
	case ModelSPM:
		v.BOS, v.EOS, v.UNK = 1, 2, 0
		v.AddBOS, v.AddSpacePrefix = true, true
	case ModelWPM:
		v.BOS, v.UNK, v.SEP, v.PAD = 101, 100, 102, 0
		v.AddBOS, v.CleanSpaces = true, true
	case ModelBPE:
		v.BOS, v.EOS = 11, 11
		p, ok := preTokenizers[pre]
		if !ok {
			return Vocab{}, fmt.Errorf("tokenizer: unsupported BPE pre-tokenizer %q (supported: %s)", pre, supportedPre())
		}
		v.IgnoreMerges = p.ignoreMerges
		v.AddBOS = p.addBOS
		v.CleanSpaces = !p.keepSpaces
	default:
		return Vocab{}, fmt.Errorf("tokenizer: unsupported tokenizer model %q (supported: %q, %q, %q)", model, ModelSPM, ModelBPE, ModelWPM)
	}
	return v, nil
}

// check reports the first inconsistency of v.
func (v *Vocab) check() error {
	n := len(v.Tokens)
	if n == 0 {
		return fmt.Errorf("tokenizer: no tokens")
	}
	if int64(n) > 1<<31-1 {
		return fmt.Errorf("tokenizer: %d tokens do not fit int32 ids", n)
	}
	if v.Scores != nil && len(v.Scores) != n {
		return fmt.Errorf("tokenizer: %d scores for %d tokens", len(v.Scores), n)
	}
	if v.Types != nil && len(v.Types) != n {
		return fmt.Errorf("tokenizer: %d token types for %d tokens", len(v.Types), n)
	}
	for _, s := range []struct {
		name string
		id   int32
	}{{"BOS", v.BOS}, {"EOS", v.EOS}, {"UNK", v.UNK}, {"SEP", v.SEP}, {"PAD", v.PAD}} {
		if s.id != NoToken && (s.id < 0 || int(s.id) >= n) {
			return fmt.Errorf("tokenizer: %s id %d outside the %d tokens", s.name, s.id, n)
		}
	}
	if v.AddBOS && v.BOS == NoToken {
		return fmt.Errorf("tokenizer: AddBOS without a BOS token")
	}
	if v.AddEOS && v.EOS == NoToken {
		return fmt.Errorf("tokenizer: AddEOS without an EOS token")
	}
	for _, l := range []struct {
		name string
		ids  []int32
	}{{"LStrip", v.LStrip}, {"RStrip", v.RStrip}, {"EOG", v.EOG}} {
		for _, id := range l.ids {
			if id < 0 || int(id) >= n {
				return fmt.Errorf("tokenizer: %s id %d outside the %d tokens", l.name, id, n)
			}
		}
	}
	switch v.Model {
	case ModelSPM:
	case ModelWPM:
		if wordPiece == nil {
			return fmt.Errorf("tokenizer: WordPiece (%q) is not part of this build", ModelWPM)
		}
		if v.UNK == NoToken {
			return fmt.Errorf("tokenizer: WordPiece needs an UNK token")
		}
	case ModelBPE:
		if _, ok := preTokenizers[v.Pre]; !ok {
			return fmt.Errorf("tokenizer: unsupported BPE pre-tokenizer %q (supported: %s)", v.Pre, supportedPre())
		}
	default:
		return fmt.Errorf("tokenizer: unsupported tokenizer model %q (supported: %q, %q, %q)", v.Model, ModelSPM, ModelBPE, ModelWPM)
	}
	return nil
}

// typeOf returns the type of id.
func (v *Vocab) typeOf(id int32) TokenType {
	if v.Types == nil {
		return TypeNormal
	}
	return v.Types[id]
}
