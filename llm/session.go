package llm

import (
	"fmt"

	"github.com/kiln-ml/kiln/frontend/gguf"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/tokenizer"
)

// Model is a GGUF language model lifted into the IR with its tokenizer.
// Close releases the file mapping its weights alias.
type Model struct {
	Module    *ir.Module
	Config    *gguf.LlamaConfig
	Tokenizer *tokenizer.Tokenizer
	file      *gguf.File
}

// Load opens the GGUF file at path, lifts it (gguf.LiftLlama) and reads
// its tokenizer.
func Load(path string, opts gguf.LiftOptions) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	m, cfg, err := gguf.LiftLlama(f, path, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Model{Module: m, Config: cfg, Tokenizer: tok, file: f}, nil
}

// Close releases the model's file. Sessions must not run after it.
func (m *Model) Close() error { return m.file.Close() }

// Session evaluates tokens one call after another, keeping the key/value
// cache of every layer between calls.
type Session struct {
	m     *Model
	in    *interp.Interp
	cache []interp.Value // past_key_0, past_value_0, ...
	pos   int
}

// NewSession returns a session with an empty cache.
func (m *Model) NewSession() *Session {
	s := &Session{m: m, in: interp.New(m.Module, interp.Options{})}
	s.Reset()
	return s
}

// Reset empties the cache.
func (s *Session) Reset() {
	c := s.m.Config
	s.cache = make([]interp.Value, 2*c.Layers)
	for i := range s.cache {
		s.cache[i] = interp.NewTensor(ir.F32, []int{1, c.KVHeads, 0, c.HeadDim})
	}
	s.pos = 0
}

// Pos returns the number of tokens in the cache.
func (s *Session) Pos() int { return s.pos }

// Eval runs ids at the next positions (the prefill function for several
// tokens, decode for one) and returns one row of logits per token.
func (s *Session) Eval(ids []int32) ([][]float32, error) {
	c := s.m.Config
	if len(ids) == 0 {
		return nil, fmt.Errorf("no tokens to evaluate")
	}
	if s.pos+len(ids) > c.Context {
		return nil, fmt.Errorf("%d cached + %d new tokens exceed the model's context of %d", s.pos, len(ids), c.Context)
	}
	idv := make([]int64, len(ids))
	posv := make([]int64, len(ids))
	for i, id := range ids {
		if id < 0 || int(id) >= c.Vocab {
			return nil, fmt.Errorf("token id %d is outside the vocabulary of %d", id, c.Vocab)
		}
		idv[i], posv[i] = int64(id), int64(s.pos+i)
	}
	fn := gguf.LlamaPrefill
	if len(ids) == 1 {
		fn = gguf.LlamaDecode
	}
	in := append([]interp.Value{interp.FromSlice([]int{1, len(ids)}, idv), interp.FromSlice([]int{1, len(ids)}, posv)}, s.cache...)
	out, err := s.in.Run(fn, in)
	if err != nil {
		return nil, err
	}
	logits := interp.Data[float32](out[0].(*interp.Tensor))
	copy(s.cache, out[1:])
	s.pos += len(ids)
	rows := make([][]float32, len(ids))
	for i := range rows {
		rows[i] = logits[i*c.Vocab : (i+1)*c.Vocab]
	}
	return rows, nil
}
