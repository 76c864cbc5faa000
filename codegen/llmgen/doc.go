// Package llmgen compiles a GGUF language model (architecture llama) into
// a Go package that needs only the standard library: the runtime of
// codegen/llmrt (the forward pass, the block kernels of the weight types
// the model uses, the KV cache and sampler), the tokenizer package's own
// files (tokenizer.Sources, renamed tok_*.go) with a weights blob that keeps
// every tensor in its GGUF block format and the vocabulary, and
// manifest.json.
//
// It imports the GGUF frontend, the tokenizer (to read the vocabulary),
// ir/quant, targets and codegen/llmrt; cmd/kiln and internal/compiled
// import it.
package llmgen
