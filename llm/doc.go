// Package llm runs language models lifted into the IR: a Session holds a
// model's key/value cache and evaluates tokens through the reference
// interpreter (prefill for several tokens, decode for one), Generate
// samples continuations (greedy, temperature, top-k, top-p, seeded), and
// Perplexity scores a text as llama.cpp's llama-perplexity does.
//
// It imports the GGUF frontend and tokenizer to load a model and ir/interp
// to run it; the CLI's generate, logits and perplexity commands are thin
// wrappers over it.
package llm
