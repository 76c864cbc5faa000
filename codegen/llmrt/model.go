package llmrt

import (
	"errors"
	"fmt"
	"math"
)

// Config holds a llama model's hyperparameters as the compiler read them
// from the GGUF metadata, and the sizes the package was compiled for.
type Config struct {
	Embed   int `json:"embed"`    // embedding width
	Layers  int `json:"layers"`   // transformer blocks
	Heads   int `json:"heads"`    // query heads
	KVHeads int `json:"kv_heads"` // key/value heads (grouped-query attention when fewer)
	HeadDim int `json:"head_dim"` // Embed / Heads
	FFN     int `json:"ffn"`      // feed-forward width
	Vocab   int `json:"vocab"`    // vocabulary size (token_embd's rows)
	// Context is the number of positions a session's KV cache holds.
	Context int `json:"context"`
	// RopeDim leading dims of each head are rotated, adjacent pairs
	// (llama.cpp's normal mode), by position·RopeScale·RopeBase^(-2k/RopeDim).
	RopeDim   int     `json:"rope_dim"`
	RopeBase  float64 `json:"rope_base"`
	RopeScale float64 `json:"rope_scale"`
	Eps       float32 `json:"eps"` // RMSNorm epsilon
	// Threads is the number of goroutines that share each linear layer's
	// output rows and the attention's heads in a session (results are
	// identical for any count).
	Threads int `json:"threads"`
	// KVF32 keeps the KV cache in float32; otherwise keys, values and
	// queries are rounded to binary16, as llama.cpp's default F16 cache
	// stores them.
	KVF32 bool `json:"kv_f32"`
}

// TensorInfo locates one weight tensor in the weights blob: its GGUF
// name and ggml type id, its shape in row-major order (Rows of Cols;
// a vector has one row), and its offset and length in bytes.
type TensorInfo struct {
	Name       string
	Type       uint32
	Rows, Cols int
	Offset     int64
	Bytes      int64
}

// weight is a matrix in its stored format: rows of Cols elements, each
// row rowBytes of blocks; F32 matrices are decoded into f32 once at load
// (the blob guarantees no float32 alignment).
type weight struct {
	name       string
	k          *kernel
	typ        uint32
	rows, cols int
	rowBytes   int
	data       []byte
	f32        []float32
}

type layer struct {
	attnNorm, ffnNorm          []float32
	q, k, v, o, gate, up, down *weight
}

// Model is a compiled language model: its weights (aliasing the blob),
// RoPE tables and tokenizer. It is read-only after NewModel, so any
// number of sessions may share it across goroutines.
type Model struct {
	cfg      Config
	tokEmbd  *weight
	outNorm  []float32
	output   *weight
	layers   []layer
	cos, sin []float32 // [Context][RopeDim/2]
	tok      *Tokenizer
}

// NewModel builds a Model over blob, whose tensors are listed in tensors
// and whose vocabulary section is blob[vocabOff:vocabOff+vocabLen]. The
// generated New and Load call it; it checks every tensor's place, type
// and shape against cfg.
func NewModel(blob []byte, cfg Config, tensors []TensorInfo, vocabOff, vocabLen int64) (*Model, error) {
	if cfg.Embed <= 0 || cfg.Layers <= 0 || cfg.Heads <= 0 || cfg.KVHeads <= 0 || cfg.Heads%cfg.KVHeads != 0 ||
		cfg.HeadDim*cfg.Heads != cfg.Embed || cfg.FFN <= 0 || cfg.Vocab <= 0 || cfg.Context <= 0 ||
		cfg.RopeDim <= 0 || cfg.RopeDim%2 != 0 || cfg.RopeDim > cfg.HeadDim {
		return nil, fmt.Errorf("inconsistent model configuration %+v", cfg)
	}
	if vocabOff < 0 || vocabLen < 0 || vocabOff+vocabLen > int64(len(blob)) {
		return nil, fmt.Errorf("vocabulary section [%d, +%d) lies outside the %d-byte weights", vocabOff, vocabLen, len(blob))
	}
	byName := map[string]TensorInfo{}
	for _, t := range tensors {
		byName[t.Name] = t
	}
	m := &Model{cfg: cfg}
	var err error
	get := func(name string, rows, cols int) *weight {
		if err != nil {
			return nil
		}
		var w *weight
		w, err = m.weight(blob, byName, name, rows, cols)
		return w
	}
	vec := func(name string) []float32 {
		w := get(name, 1, cfg.Embed)
		if w == nil {
			return nil
		}
		if w.f32 == nil {
			w.f32 = make([]float32, cfg.Embed)
			w.k.dequant(w.data, w.f32)
		}
		return w.f32
	}
	qDim, kvDim := cfg.Heads*cfg.HeadDim, cfg.KVHeads*cfg.HeadDim
	m.tokEmbd = get("token_embd.weight", cfg.Vocab, cfg.Embed)
	for i := 0; i < cfg.Layers; i++ {
		p := fmt.Sprintf("blk.%d.", i)
		m.layers = append(m.layers, layer{
			attnNorm: vec(p + "attn_norm.weight"),
			q:        get(p+"attn_q.weight", qDim, cfg.Embed),
			k:        get(p+"attn_k.weight", kvDim, cfg.Embed),
			v:        get(p+"attn_v.weight", kvDim, cfg.Embed),
			o:        get(p+"attn_output.weight", cfg.Embed, qDim),
			ffnNorm:  vec(p + "ffn_norm.weight"),
			gate:     get(p+"ffn_gate.weight", cfg.FFN, cfg.Embed),
			up:       get(p+"ffn_up.weight", cfg.FFN, cfg.Embed),
			down:     get(p+"ffn_down.weight", cfg.Embed, cfg.FFN),
		})
	}
	m.outNorm = vec("output_norm.weight")
	if _, ok := byName["output.weight"]; ok {
		m.output = get("output.weight", cfg.Vocab, cfg.Embed)
	} else {
		m.output = m.tokEmbd
	}
	if err != nil {
		return nil, err
	}
	for _, w := range []*weight{m.tokEmbd, m.output} {
		if w.k.dequant == nil {
			return nil, fmt.Errorf("tensor %s: type %s cannot be gathered", w.name, w.k.name)
		}
	}
	if m.tok, err = readVocab(blob[vocabOff : vocabOff+vocabLen]); err != nil {
		return nil, err
	}
	if m.tok.Len() != cfg.Vocab {
		return nil, fmt.Errorf("the tokenizer has %d tokens, the model %d", m.tok.Len(), cfg.Vocab)
	}
	half := cfg.RopeDim / 2
	m.cos, m.sin = make([]float32, cfg.Context*half), make([]float32, cfg.Context*half)
	// The angles as ggml's rope computes them, in float32: the position
	// times base^(-2/RopeDim) once per pair, the factor itself rounded
	// to float32 (a last-bit drift from the exact angle that llama.cpp's
	// rotations carry).
	step := float32(math.Pow(float64(float32(cfg.RopeBase)), float64(float32(-2)/float32(cfg.RopeDim))))
	scale := float32(cfg.RopeScale)
	for p := 0; p < cfg.Context; p++ {
		theta := float32(p)
		for k := 0; k < half; k++ {
			a := float64(scale * theta)
			m.cos[p*half+k] = float32(math.Cos(a))
			m.sin[p*half+k] = float32(math.Sin(a))
			theta *= step
		}
	}
	return m, nil
}

// weight finds tensor name in the blob and checks its type and shape.
func (m *Model) weight(blob []byte, byName map[string]TensorInfo, name string, rows, cols int) (*weight, error) {
	t, ok := byName[name]
	if !ok {
		return nil, fmt.Errorf("tensor %s is missing", name)
	}
	k := kernels[t.Type]
	if k == nil {
		return nil, fmt.Errorf("tensor %s: ggml type %d has no kernel in this package", name, t.Type)
	}
	if t.Rows != rows || t.Cols != cols {
		return nil, fmt.Errorf("tensor %s has shape [%d %d], want [%d %d]", name, t.Rows, t.Cols, rows, cols)
	}
	if cols%k.blockLen != 0 {
		return nil, fmt.Errorf("tensor %s: rows of %d are not whole %s blocks of %d", name, cols, k.name, k.blockLen)
	}
	rb := cols / k.blockLen * k.blockBytes
	if t.Offset < 0 || t.Bytes != int64(rb)*int64(rows) || t.Offset+t.Bytes > int64(len(blob)) {
		return nil, fmt.Errorf("tensor %s: %d bytes at %d do not fit the %d-byte weights as %d rows of %d", name, t.Bytes, t.Offset, len(blob), rows, rb)
	}
	w := &weight{name: name, k: k, typ: t.Type, rows: rows, cols: cols, rowBytes: rb, data: blob[t.Offset : t.Offset+t.Bytes]}
	if t.Type == typeF32 {
		w.f32 = make([]float32, rows*cols)
		dequantF32(w.data, w.f32)
	}
	return w, nil
}

// Config returns the model's configuration.
func (m *Model) Config() Config { return m.cfg }

// Tokenizer returns the model's tokenizer.
func (m *Model) Tokenizer() *Tokenizer { return m.tok }

// Encode is m.Tokenizer().Encode.
func (m *Model) Encode(text string, bos bool) []int32 { return m.tok.Encode(text, bos) }

// Decode is m.Tokenizer().Decode: an id outside the vocabulary is an
// error.
func (m *Model) Decode(ids []int32) (string, error) { return m.tok.Decode(ids) }

// TokenText is m.Tokenizer().TokenText.
func (m *Model) TokenText(id int32) string { return m.tok.TokenText(id) }

// ErrContextFull is returned when tokens would not fit in the KV cache.
var ErrContextFull = errors.New("context full")
