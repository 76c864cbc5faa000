// Package gguf reads GGUF model files: the metadata key/value pairs, the
// tensor table and the tensor bytes.
//
// Open maps the file read-only (a plain read where mapping is not wired
// up) and parses the header; nothing of the tensor data is copied or
// dequantized: TensorData returns a slice of the mapping. Every field read
// from the file is validated before it is used (magic, version, counts
// against the bytes left, key and name lengths, value types, nesting
// depth, duplicate keys and tensors, general.alignment, dims, ggml type
// ids, block multiples, offsets, overlaps, data past the end), and every
// refusal is an *Error giving the byte offset and the field.
//
// Versions 2 and 3 are read (they differ only in that version 3 may be
// big-endian, which is refused); version 1, with 32-bit counts, is refused.
//
// The package imports ir/quant for ggml's type table and internal/safefile
// for the regular-file check. Lifting a model into the IR and tokenizers
// build on it and live beside it.
package gguf
