package llmgen

import (
	"github.com/kiln-ml/kiln/codegen/llmrt"
	"github.com/kiln-ml/kiln/tokenizer"
)

// Manifest is manifest.json of a compiled language model
// (docs/manifest.md, "Language models").
type Manifest struct {
	SchemaVersion int            `json:"schema_version"`
	Kind          string         `json:"kind"`
	KilnVersion   string         `json:"kiln_version"`
	Package       string         `json:"package"`
	Source        ManifestSource `json:"source"`
	Config        llmrt.Config   `json:"config"`
	Context       int            `json:"ctx"`
	ContextFrom   string         `json:"ctx_from"`
	KVCache       KVCache        `json:"kv_cache"`
	Weights       Weights        `json:"weights"`
	Kernels       []string       `json:"kernels"`
	Tokenizer     Tokenizer      `json:"tokenizer"`
	Target        string         `json:"target,omitempty"`
	Build         Build          `json:"build"`
}

// Build is how to build the package. Every package holds the vector
// kernels (vec_amd64.go), which an amd64 build takes with
// GOEXPERIMENT=simd and runs on a processor with AVX2 and FMA (other
// builds and processors run the portable kernels, with the same
// results); GOAMD64 is the target profile's level, when it names one.
type Build struct {
	Threads      int    `json:"threads"`
	GOEXPERIMENT string `json:"goexperiment"`
	GOAMD64      string `json:"goamd64,omitempty"`
}

// Tokenizer names the package's tokenizer as the GGUF metadata does.
type Tokenizer struct {
	Model string `json:"model"`         // tokenizer.ggml.model: llama, gpt2 or bert
	Pre   string `json:"pre,omitempty"` // tokenizer.ggml.pre, for gpt2
}

// ManifestSource names the GGUF file compiled.
type ManifestSource struct {
	File         string `json:"file"`
	Format       string `json:"format"`
	SHA256       string `json:"sha256"`
	Architecture string `json:"architecture"`
}

// KVCache describes one session's key/value cache.
type KVCache struct {
	DType string `json:"dtype"`
	Bytes int64  `json:"bytes"`
}

// Weights describes the blob.
type Weights struct {
	Mode        string   `json:"mode"`
	File        string   `json:"file"`
	Bytes       int64    `json:"bytes"`
	SHA256      string   `json:"sha256"`
	Align       int      `json:"align"`
	Tensors     []Tensor `json:"tensors"`
	VocabOffset int64    `json:"vocab_offset"`
	VocabBytes  int64    `json:"vocab_bytes"`
}

// Tensor is one tensor of the blob, in its GGUF type.
type Tensor struct {
	Name   string `json:"name"`
	Type   string `json:"ggml_type"`
	Shape  []int  `json:"shape"`
	Offset int64  `json:"offset"`
	Bytes  int64  `json:"bytes"`
}

func newManifest(p *Plan, opts Options, src source, blobSHA string, kernels []string) *Manifest {
	m := &Manifest{
		SchemaVersion: 1, Kind: "llm", KilnVersion: opts.KilnVersion, Package: opts.Package,
		Source:      ManifestSource{File: src.name, Format: "gguf", SHA256: src.sha256, Architecture: "llama"},
		Config:      p.Config,
		Context:     p.Config.Context,
		ContextFrom: p.ContextFrom,
		KVCache:     KVCache{DType: "f16", Bytes: p.KVBytes},
		Weights: Weights{Mode: "embed", File: "weights.bin", Bytes: int64(len(p.Blob)), SHA256: blobSHA, Align: Align,
			VocabOffset: p.VocabOff, VocabBytes: p.VocabLen},
		Kernels:   kernels,
		Tokenizer: Tokenizer{Model: p.TokenizerModel},
		Build:     Build{Threads: p.Config.Threads, GOEXPERIMENT: "simd"},
	}
	if opts.Target != nil {
		m.Target = opts.Target.Name
		m.Build.GOAMD64 = opts.Target.GOAMD64
	}
	if p.TokenizerModel == tokenizer.ModelBPE {
		m.Tokenizer.Pre = p.TokenizerPre
	}
	if p.Config.KVF32 {
		m.KVCache.DType = "f32"
	}
	if opts.WeightsFile {
		m.Weights.Mode = "file"
	}
	for i, t := range p.Tensors {
		shape := []int{t.Rows, t.Cols}
		m.Weights.Tensors = append(m.Weights.Tensors, Tensor{Name: t.Name, Type: p.GGUFTypes[i], Shape: shape, Offset: t.Offset, Bytes: t.Bytes})
	}
	return m
}
