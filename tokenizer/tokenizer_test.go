package tokenizer

import (
	"slices"
	"strings"
	"testing"
)

// mustNew builds a tokenizer from a Vocab of model with tokens and their
// types (Normal when the map has none), failing the test on error.
func mustNew(t *testing.T, v Vocab) *Tokenizer {
	t.Helper()
	tk, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// tinySPM is a SentencePiece vocabulary small enough to work out by hand.
// The scores make "bc" merge before "ab" although "ab" is further left,
// then "a"+"bc" = "abc" wins over "▁a".
func tinySPM(t *testing.T) *Tokenizer {
	v, err := NewVocab(ModelSPM, "")
	if err != nil {
		t.Fatal(err)
	}
	toks := []struct {
		s     string
		score float32
		typ   TokenType
	}{
		{"<unk>", 0, TypeUnknown},   // 0
		{"<s>", 0, TypeControl},     // 1
		{"</s>", 0, TypeControl},    // 2
		{"<0xC3>", 0, TypeByte},     // 3
		{"<0xA9>", 0, TypeByte},     // 4
		{"▁", -3, TypeNormal},       // 5
		{"a", -4, TypeNormal},       // 6
		{"b", -4, TypeNormal},       // 7
		{"c", -4, TypeNormal},       // 8
		{"ab", -1, TypeNormal},      // 9
		{"bc", -0.5, TypeNormal},    // 10
		{"▁a", -2, TypeNormal},      // 11
		{"abc", -0.1, TypeNormal},   // 12
		{"aa", -1, TypeNormal},      // 13
		{"<x>", 0, TypeUserDefined}, // 14
		{"▁b", -2, TypeNormal},      // 15
	}
	for _, tok := range toks {
		v.Tokens = append(v.Tokens, tok.s)
		v.Scores = append(v.Scores, tok.score)
		v.Types = append(v.Types, tok.typ)
	}
	return mustNew(t, v)
}

func TestSPM(t *testing.T) {
	tk := tinySPM(t)
	tests := []struct {
		text         string
		addSpecial   bool
		parseSpecial bool
		want         []int32
	}{
		// "▁abc": bc (-0.5) first, then a+bc (-0.1); ab and ▁a go stale.
		{"abc", false, false, []int32{5, 12}},
		{"abc", true, false, []int32{1, 5, 12}},
		// Equal scores: the leftmost pair merges first.
		{"aaa", false, false, []int32{5, 13, 6}},
		// "é" has no token: its two bytes; "d" has neither a token nor a
		// byte token: UNK.
		{"é", false, false, []int32{5, 3, 4}},
		{"d", false, false, []int32{5, 0}},
		{"", true, false, []int32{1}},
		{"", false, false, nil},
		// A user-defined token is cut out of the text; the text after it
		// gets a space prefix again.
		{"a<x>b", false, false, []int32{11, 14, 15}},
		// A control token is text unless parseSpecial.
		{"<s>", false, true, []int32{1}},
	}
	for _, tc := range tests {
		got := tk.EncodeSpecial(tc.text, tc.addSpecial, tc.parseSpecial)
		if !slices.Equal(got, tc.want) {
			t.Errorf("EncodeSpecial(%q, %v, %v) = %v, want %v", tc.text, tc.addSpecial, tc.parseSpecial, got, tc.want)
		}
	}
	// Without parseSpecial "<s>" is spelled out: "▁" then its bytes'
	// tokens, which this vocabulary lacks (UNK each).
	if got := tk.Encode("<s>", false); slices.Contains(got, 1) {
		t.Errorf("Encode(\"<s>\") = %v: control token recognised without parseSpecial", got)
	}

	decodes := []struct {
		ids  []int32
		want string
	}{
		{[]int32{5, 12}, "abc"},         // the prefix space is removed
		{[]int32{1, 5, 12}, " abc"},     // ... only from the first token, which is BOS here
		{[]int32{5, 3, 4}, "é"},         // byte tokens
		{[]int32{11, 14, 15}, "a<x> b"}, // user-defined tokens are their text
		{[]int32{6, 2}, "a"},            // control tokens vanish
	}
	for _, tc := range decodes {
		got, err := tk.Decode(tc.ids)
		if err != nil || got != tc.want {
			t.Errorf("Decode(%v) = %q, %v; want %q", tc.ids, got, err, tc.want)
		}
	}
	if got, _ := tk.DecodeSpecial([]int32{1, 6, 2}, false, true); got != "<s>a</s>" {
		t.Errorf("DecodeSpecial(unparseSpecial) = %q, want %q", got, "<s>a</s>")
	}
	if _, err := tk.Decode([]int32{6, 99}); err == nil || !strings.Contains(err.Error(), "99") {
		t.Errorf("Decode of id 99: error %v, want one naming the id", err)
	}
	if got := tk.Piece(-1, true); got != "" {
		t.Errorf("Piece(-1) = %q", got)
	}
}

// tinyBPE is a byte-level BPE vocabulary: "Ġ" (U+0120) is the space byte
// in GPT-2's alphabet, "Ã" and "©" are the bytes of "é".
func tinyBPE(t *testing.T, pre string) *Tokenizer {
	v, err := NewVocab(ModelBPE, pre)
	if err != nil {
		t.Fatal(err)
	}
	v.Tokens = []string{"a", "b", "c", "ab", "abc", "Ġ", "Ġa", "<|endoftext|>", "Ã", "©", "é"}
	v.Types = []TokenType{1, 1, 1, 1, 1, 1, 1, TypeControl, 1, 1, 1}
	v.Merges = []string{"a b", "ab c", "Ġ a"}
	v.BOS, v.EOS = 7, 7
	return mustNew(t, v)
}

func TestBPE(t *testing.T) {
	tk := tinyBPE(t, "gpt-2")
	tests := []struct {
		text string
		want []int32
	}{
		// "abc": a+b (rank 0), then ab+c (rank 1).
		{"abc", []int32{4}},
		// " ab": a+b (rank 0) before Ġ+a (rank 2); "Ġ ab" is no merge.
		{" ab", []int32{5, 3}},
		// " a": Ġ+a.
		{" a", []int32{6}},
		// "é" is the bytes C3 A9, "Ã©" in the alphabet; no merge joins
		// them. (The token "é" is not in the alphabet: never produced.)
		{"é", []int32{8, 9}},
		// A symbol with no token falls back to its single bytes that are
		// tokens: "x" has none and is dropped.
		{"axb", []int32{0, 1}},
	}
	for _, tc := range tests {
		if got := tk.Encode(tc.text, false); !slices.Equal(got, tc.want) {
			t.Errorf("Encode(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
	// gpt-2 vocabularies add no BOS by default.
	if got := tk.Encode("a", true); !slices.Equal(got, []int32{0}) {
		t.Errorf("Encode(a, addSpecial) = %v, want [0]", got)
	}
	if got, _ := tk.Decode([]int32{6, 3, 4}); got != " aababc" {
		t.Errorf("Decode = %q, want %q", got, " aababc")
	}
	if got := tk.Piece(8, false) + tk.Piece(9, false); got != "é" {
		t.Errorf("pieces of é = %q", got)
	}
}

// TestBPEIgnoreMerges: a llama3 vocabulary takes a word that is a token
// whole, even when the merges would not build it.
func TestBPEIgnoreMerges(t *testing.T) {
	v, err := NewVocab(ModelBPE, "llama3")
	if err != nil {
		t.Fatal(err)
	}
	v.Tokens = []string{"a", "b", "c", "bc", "abc", "<|begin_of_text|>"}
	v.Merges = []string{"b c"}
	v.BOS, v.EOS = 5, 5
	tk := mustNew(t, v)
	if got := tk.Encode("abc", true); !slices.Equal(got, []int32{5, 4}) {
		t.Errorf("llama3 Encode(abc) = %v, want [5 4]", got)
	}
	v.Pre, v.IgnoreMerges, v.AddBOS = "gpt-2", false, false
	tk = mustNew(t, v)
	if got := tk.Encode("abc", true); !slices.Equal(got, []int32{0, 3}) {
		t.Errorf("gpt-2 Encode(abc) = %v, want [0 3]", got)
	}
}

func tinyWPM(t *testing.T) *Tokenizer {
	v, err := NewVocab(ModelWPM, "")
	if err != nil {
		t.Fatal(err)
	}
	v.Tokens = []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "▁hello", "▁world", "▁", "!", "▁!", "▁un", "aff", "able", "▁cafe", "▁中", "▁,"}
	v.Types = []TokenType{3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	v.PAD, v.UNK, v.BOS, v.SEP = 0, 1, 2, 3
	return mustNew(t, v)
}

func TestWPM(t *testing.T) {
	tk := tinyWPM(t)
	tests := []struct {
		text       string
		addSpecial bool
		want       []int32
	}{
		// Lowercased; punctuation is a word of its own.
		{"Hello, World!", false, []int32{4, 14, 5, 8}},
		{"Hello", true, []int32{2, 4, 3}},
		// Greedy longest match from the left.
		{"unaffable", false, []int32{9, 10, 11}},
		// Accents go with the decomposition: "é" → "e".
		{"Café", false, []int32{12}},
		// CJK ideographs are single words; "文" has no token: UNK for it.
		{"中文", false, []int32{13, 1}},
		// NUL and control characters vanish, whitespace separates.
		{"hel\x00lo\tworld", false, []int32{4, 5}},
		// A word with an unmatched part becomes one UNK.
		{"unaffablex", false, []int32{1}},
		{"", false, nil},
	}
	for _, tc := range tests {
		if got := tk.Encode(tc.text, tc.addSpecial); !slices.Equal(got, tc.want) {
			t.Errorf("Encode(%q, %v) = %v, want %v", tc.text, tc.addSpecial, got, tc.want)
		}
	}
	// Word tokens decode with their space (WordPiece adds no prefix to
	// remove), control tokens vanish, spaces before punctuation go.
	if got, _ := tk.Decode([]int32{2, 4, 14, 5, 8, 3}); got != " hello, world!" {
		t.Errorf("Decode = %q, want %q", got, " hello, world!")
	}
}

// TestCleanSpaces: the three passes of BPE/WordPiece decoding.
func TestCleanSpaces(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hello , world ! Ok ? Yes .", "Hello, world! Ok? Yes."},
		{"a ' b", "a'b"},
		{"it 's I 'm we 're you 've", "it's I'm we're you've"},
		{"don 't I 'd we 'll", "don 't I 'd we 'll"},
		{" ,", ","},
		{"", ""},
	}
	for _, tc := range tests {
		if got := string(cleanSpaces([]byte(tc.in))); got != tc.want {
			t.Errorf("cleanSpaces(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	good := func() Vocab {
		v, _ := NewVocab(ModelSPM, "")
		v.Tokens = []string{"<unk>", "<s>", "</s>", "a"}
		return v
	}
	tests := []struct {
		name string
		edit func(v *Vocab)
		want string
	}{
		{"no tokens", func(v *Vocab) { v.Tokens = nil }, "no tokens"},
		{"duplicate", func(v *Vocab) { v.Tokens[3] = "</s>" }, `tokens 2 and 3 are both "</s>"`},
		{"scores", func(v *Vocab) { v.Scores = []float32{1} }, "1 scores for 4 tokens"},
		{"types", func(v *Vocab) { v.Types = []TokenType{1, 1} }, "2 token types for 4 tokens"},
		{"bos", func(v *Vocab) { v.BOS = 4 }, "BOS id 4 outside the 4 tokens"},
		{"add bos", func(v *Vocab) { v.BOS = NoToken }, "AddBOS without a BOS token"},
		{"model", func(v *Vocab) { v.Model = "t5" }, `unsupported tokenizer model "t5"`},
		{"pre", func(v *Vocab) { v.Model, v.Pre = ModelBPE, "tekken" }, `unsupported BPE pre-tokenizer "tekken"`},
		{"eog", func(v *Vocab) { v.EOG = []int32{-2} }, "EOG id -2"},
	}
	for _, tc := range tests {
		v := good()
		tc.edit(&v)
		_, err := New(v)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := New(good()); err != nil {
		t.Errorf("good vocab: %v", err)
	}
	if _, err := NewVocab(ModelBPE, "tekken"); err == nil || !strings.Contains(err.Error(), "tekken") {
		t.Errorf("NewVocab(gpt2, tekken): %v", err)
	}
}

// TestSPMAcrossWords: a vocabulary with a token that spans a "▁" inside
// it ("x▁y") merges across words, so encodeSPM must not cut the text.
func TestSPMAcrossWords(t *testing.T) {
	v, err := NewVocab(ModelSPM, "")
	if err != nil {
		t.Fatal(err)
	}
	v.Tokens = []string{"<unk>", "<s>", "</s>", "▁", "x", "y", "x▁", "x▁y", "▁x"}
	v.Scores = []float32{0, 0, 0, -9, -9, -9, 0, 1, -5}
	tk := mustNew(t, v)
	if tk.spmWords {
		t.Fatal("word-by-word merging enabled for a vocabulary with x▁y")
	}
	// "▁x▁y": x+▁ (0) beats ▁+x (-5), then x▁+y (1).
	if got := tk.Encode("x y", false); !slices.Equal(got, []int32{3, 7}) {
		t.Errorf("Encode(x y) = %v, want [3 7]", got)
	}
}
