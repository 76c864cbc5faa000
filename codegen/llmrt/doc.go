// Package llmrt is the runtime of compiled language models: the llama
// forward pass over a weights blob, the ggml block kernels (activations
// quantized per block to 8 bits and multiplied with integer dot products,
// as ggml's vec_dot functions do, in the orders of its AVX2 build; for
// Q4_K, Q6_K, Q8_0 and Q5_0 four products per 64-bit multiply, lanes.go,
// and, built with GOEXPERIMENT=simd on a processor with AVX2 and FMA,
// vector kernels with the same results, vec_amd64.go), the F16 key/value
// cache, the reading of the vocabulary section (tokenizer.go) and the
// sampler.
//
// Its files are Go source that codegen/llmgen copies into every package
// `kiln compile MODEL.gguf` writes (the package clause renamed; a block
// type's kernel file only when the model has tensors of that type), so
// they import nothing but the standard library. The tokenizer is kiln's
// tokenizer package, whose files llmgen copies in beside them
// (tokenizer.Sources); here tokenizer_kiln.go links the names they define
// to that package, so the runtime is compiled and tested in kiln with the
// same tokenizer, against ir/quant's reference dot products and
// dequantization. doc.go, source.go, tokenizer_kiln.go and the tests stay
// behind.
package llmrt
