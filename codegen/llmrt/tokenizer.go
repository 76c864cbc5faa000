package llmrt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The model's tokenizer is kiln's tokenizer package, whose files the
// compiler carries into the package beside this one (their names begin
// with "tok_"); in kiln, tokenizer_kiln.go links the same names to that
// package. This file reads the vocabulary section of the weights blob,
// which kiln's llmrt.AppendVocab writes, into a Vocab.

// vocabMagic opens the vocabulary section of the weights blob; its fifth
// byte is the section's format version.
const vocabMagic = "KLNV\x02\x00\x00\x00"

// vocabReader reads the vocabulary section, remembering the first error.
type vocabReader struct {
	b   []byte
	err error
}

func (r *vocabReader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		if r.err == nil {
			r.err = errors.New("vocabulary section is truncated")
		}
		return make([]byte, max(n, 0))
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *vocabReader) u32() uint32    { return binary.LittleEndian.Uint32(r.take(4)) }
func (r *vocabReader) i32() int32     { return int32(r.u32()) }
func (r *vocabReader) str() string    { return string(r.take(int(r.u32()))) }
func (r *vocabReader) flag() bool     { return r.take(1)[0] != 0 }
func (r *vocabReader) count() (n int) { return r.bounded(r.u32()) }

// bounded is n, or 0 with an error when n exceeds the bytes left (every
// item takes at least one byte), so a corrupt count allocates nothing.
func (r *vocabReader) bounded(n uint32) int {
	if uint64(n) > uint64(len(r.b)) {
		if r.err == nil {
			r.err = fmt.Errorf("count %d exceeds the %d bytes left", n, len(r.b))
		}
		return 0
	}
	return int(n)
}

func (r *vocabReader) ids() []int32 {
	out := make([]int32, r.count())
	for i := range out {
		out[i] = r.i32()
	}
	return out
}

// readVocab parses the vocabulary section and builds its tokenizer.
func readVocab(b []byte) (*Tokenizer, error) {
	v, err := parseVocab(b)
	if err != nil {
		return nil, err
	}
	t, err := newTokenizer(v)
	if err != nil {
		return nil, fmt.Errorf("vocabulary section: %w", err)
	}
	return t, nil
}

// parseVocab reads the vocabulary section into a Vocab.
func parseVocab(b []byte) (Vocab, error) {
	if len(b) < len(vocabMagic) || string(b[:len(vocabMagic)]) != vocabMagic {
		return Vocab{}, errors.New("vocabulary section: bad magic or version")
	}
	r := &vocabReader{b: b[len(vocabMagic):]}
	var v Vocab
	v.Model, v.Pre = r.str(), r.str()
	n := r.count()
	v.Tokens, v.Scores, v.Types = make([]string, n), make([]float32, n), make([]TokenType, n)
	for i := 0; i < n && r.err == nil; i++ {
		v.Tokens[i] = r.str()
		v.Scores[i] = math.Float32frombits(r.u32())
		v.Types[i] = TokenType(r.take(1)[0])
	}
	v.Merges = make([]string, r.count())
	for i := 0; i < len(v.Merges) && r.err == nil; i++ {
		v.Merges[i] = r.str()
	}
	v.BOS, v.EOS, v.UNK, v.SEP, v.PAD = r.i32(), r.i32(), r.i32(), r.i32(), r.i32()
	v.AddBOS, v.AddEOS, v.AddSpacePrefix, v.IgnoreMerges, v.CleanSpaces = r.flag(), r.flag(), r.flag(), r.flag(), r.flag()
	v.EOG, v.LStrip, v.RStrip = r.ids(), r.ids(), r.ids()
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes after its end", len(r.b))
	}
	if r.err != nil {
		return Vocab{}, fmt.Errorf("vocabulary section: %w", r.err)
	}
	return v, nil
}
