// Package tokenizer turns text into token ids and back the way llama.cpp
// does for the vocabularies GGUF files carry: SentencePiece-style (model
// "llama": scores, byte fallback, a space prefix), GPT-2 byte-level BPE
// (model "gpt2": merge ranks and a pre-tokenizer chosen by
// tokenizer.ggml.pre) and WordPiece (model "bert": lowercasing, accent
// stripping, punctuation splitting).
//
// The input is a Vocab, a plain struct holding what a GGUF file's
// tokenizer.ggml.* keys say; New checks it and builds a Tokenizer. The core
// imports only the standard library; FromGGUF (gguf.go) is the adapter from
// frontend/gguf's metadata. The core's files are also the tokenizer of the
// language model packages kiln compiles: codegen/llmgen copies them in
// verbatim but for the package clause (Sources, source.go), so a compiled
// package tokenizes exactly as this package does.
//
// Pre-tokenizer regexes use lookahead, which Go's regexp lacks, so each
// supported one is a small hand-written scanner over code points
// (pretokenize.go). Character classes (letter, number, punctuation,
// whitespace, ...) follow the Unicode categories of Go's unicode package with
// llama.cpp's grouping (unicode.go).
package tokenizer
