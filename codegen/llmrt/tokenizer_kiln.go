package llmrt

import (
	"encoding/binary"
	"math"

	"github.com/kiln-ml/kiln/tokenizer"
)

// This file stays in kiln (source.go does not list it). It gives
// tokenizer.go the names the tokenizer package's files define in a
// compiled package, so that the runtime is built and tested here with the
// very tokenizer the packages carry, and it writes the vocabulary section.

// Tokenizer is the model's tokenizer: kiln's tokenizer.Tokenizer, whose
// source compiled packages carry.
type Tokenizer = tokenizer.Tokenizer

// Vocab is a tokenizer's description (tokenizer.Vocab).
type Vocab = tokenizer.Vocab

// TokenType is a token's kind (tokenizer.TokenType).
type TokenType = tokenizer.TokenType

// newTokenizer builds a tokenizer; in a compiled package it is the
// tokenizer package's own newTokenizer.
var newTokenizer = tokenizer.New

// AppendVocab appends v as the vocabulary section NewModel reads
// (vocabMagic; strings as a uint32 length and their bytes, numbers little
// endian): the model and pre-tokenizer names, the tokens each with its
// score (float32) and type (a byte), the merges, the BOS, EOS, UNK, SEP
// and PAD ids (int32), the flags AddBOS, AddEOS, AddSpacePrefix,
// IgnoreMerges and CleanSpaces (a byte each), then the EOG, LStrip and
// RStrip id lists (a uint32 count and int32 ids).
func AppendVocab(b []byte, v tokenizer.Vocab) []byte {
	u32 := func(x uint32) { b = binary.LittleEndian.AppendUint32(b, x) }
	str := func(s string) { u32(uint32(len(s))); b = append(b, s...) }
	flag := func(x bool) {
		if x {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	b = append(b, vocabMagic...)
	str(v.Model)
	str(v.Pre)
	u32(uint32(len(v.Tokens)))
	for i, s := range v.Tokens {
		str(s)
		var sc float32
		if v.Scores != nil {
			sc = v.Scores[i]
		}
		u32(math.Float32bits(sc))
		typ := tokenizer.TypeNormal
		if v.Types != nil {
			typ = v.Types[i]
		}
		b = append(b, byte(typ))
	}
	u32(uint32(len(v.Merges)))
	for _, m := range v.Merges {
		str(m)
	}
	for _, id := range []int32{v.BOS, v.EOS, v.UNK, v.SEP, v.PAD} {
		u32(uint32(id))
	}
	for _, f := range []bool{v.AddBOS, v.AddEOS, v.AddSpacePrefix, v.IgnoreMerges, v.CleanSpaces} {
		flag(f)
	}
	for _, ids := range [][]int32{v.EOG, v.LStrip, v.RStrip} {
		u32(uint32(len(ids)))
		for _, id := range ids {
			u32(uint32(id))
		}
	}
	return b
}
