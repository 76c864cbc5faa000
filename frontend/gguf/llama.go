package gguf

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/quant"
)

// LlamaConfig holds the hyperparameters of a llama-architecture model as
// its GGUF metadata gives them (keys "llama.*").
type LlamaConfig struct {
	Embed    int     // llama.embedding_length
	Layers   int     // llama.block_count
	Heads    int     // llama.attention.head_count
	KVHeads  int     // llama.attention.head_count_kv (Heads when absent)
	HeadDim  int     // Embed / Heads
	FFN      int     // llama.feed_forward_length (or ffn_gate's rows)
	Vocab    int     // token_embd's rows
	Context  int     // llama.context_length: the rows of the RoPE caches
	RopeDim  int     // llama.rope.dimension_count (HeadDim when absent)
	RopeBase float64 // llama.rope.freq_base (10000 when absent)
	// RopeScale multiplies positions before the rotation: 1/factor for
	// llama.rope.scaling.type "linear", else 1.
	RopeScale float64
	Eps       float32 // llama.attention.layer_norm_rms_epsilon
	// TiedOutput reports that the file has no output.weight, so the
	// logits reuse token_embd.
	TiedOutput bool
}

// LiftOptions chooses how LiftLlama builds the module.
type LiftOptions struct {
	// KVF16 rounds keys and values to float16 before they enter the cache
	// (and attention), as llama.cpp's default F16 KV cache stores them,
	// and queries too, as llama.cpp converts them to float16 to multiply
	// them with the cached keys.
	KVF16 bool
}

// Function and value names of a lifted module. Prefill takes any number of
// tokens, Decode exactly one; both take and return the cache.
const (
	LlamaPrefill = "prefill"
	LlamaDecode  = "decode"
)

// LiftLlama builds an ir.Module from a GGUF file of architecture "llama"
// (LLaMA 1/2/3, TinyLlama, Mistral-style, SmolLM, the stories models).
// The module has two functions, "prefill" and "decode", with inputs
// input_ids and position_ids (i64[1,seq]; seq is 1 in decode), then
// past_key_i and past_value_i (f32[1,kv_heads,past_seq,head_dim]) for
// each layer i, and outputs logits (f32[seq,vocab]: one row per input
// token) then present_key_i and present_value_i (past and new, keys after
// rotation). Weights are module constants whose bytes alias f's mapping,
// so f must stay open while the module is used; path is what their
// Source records. Non-float32 weights are cast to float32 where used.
func LiftLlama(f *File, path string, opts LiftOptions) (*ir.Module, *LlamaConfig, error) {
	name := path
	if arch, _ := f.String("general.architecture"); arch != "llama" {
		keys := make([]string, 0, len(f.KV))
		for _, kv := range f.KV {
			keys = append(keys, kv.Key)
		}
		sort.Strings(keys)
		if arch == "" {
			arch = "(none)"
		}
		return nil, nil, fmt.Errorf("%s: general.architecture %q is not supported (only \"llama\"); keys seen: %s", name, arch, strings.Join(keys, ", "))
	}
	cfg, err := llamaConfig(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	l := &lifter{f: f, path: abs, m: ir.NewModule(), cfg: cfg, opts: opts, consts: map[string]*ir.Value{}}
	if err := l.ropeCaches(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, fn := range []struct {
		name string
		seq  ir.Dim
	}{{LlamaPrefill, ir.Symbolic("seq")}, {LlamaDecode, ir.Static(1)}} {
		if err := l.function(fn.name, fn.seq); err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", name, fn.name, err)
		}
	}
	l.m.SetMeta("source", "gguf")
	l.m.SetMeta("architecture", "llama")
	return l.m, cfg, nil
}

func llamaConfig(f *File) (*LlamaConfig, error) {
	c := &LlamaConfig{RopeBase: 10000, RopeScale: 1}
	ints := []struct {
		key  string
		dst  *int
		need bool
	}{
		{"llama.embedding_length", &c.Embed, true},
		{"llama.block_count", &c.Layers, true},
		{"llama.attention.head_count", &c.Heads, true},
		{"llama.attention.head_count_kv", &c.KVHeads, false},
		{"llama.context_length", &c.Context, true},
		{"llama.rope.dimension_count", &c.RopeDim, false},
		{"llama.feed_forward_length", &c.FFN, false},
	}
	for _, k := range ints {
		v, ok := f.Uint(k.key)
		if !ok {
			if k.need {
				return nil, fmt.Errorf("metadata key %s is missing or not an unsigned integer", k.key)
			}
			continue
		}
		if v == 0 || v > 1<<24 {
			return nil, fmt.Errorf("metadata key %s = %d is out of range [1, %d]", k.key, v, 1<<24)
		}
		*k.dst = int(v)
	}
	if c.KVHeads == 0 {
		c.KVHeads = c.Heads
	}
	if c.Embed%c.Heads != 0 || c.Heads%c.KVHeads != 0 {
		return nil, fmt.Errorf("embedding_length %d, head_count %d and head_count_kv %d do not divide evenly", c.Embed, c.Heads, c.KVHeads)
	}
	c.HeadDim = c.Embed / c.Heads
	if c.RopeDim == 0 {
		c.RopeDim = c.HeadDim
	}
	if c.RopeDim%2 != 0 || c.RopeDim > c.HeadDim {
		return nil, fmt.Errorf("rope.dimension_count %d must be even and at most the head size %d", c.RopeDim, c.HeadDim)
	}
	if v, ok := f.Float("llama.rope.freq_base"); ok {
		c.RopeBase = v
	}
	if !(c.RopeBase > 1) || math.IsInf(c.RopeBase, 0) {
		return nil, fmt.Errorf("rope.freq_base %g must be a finite number above 1", c.RopeBase)
	}
	eps, ok := f.Float("llama.attention.layer_norm_rms_epsilon")
	if !ok {
		return nil, fmt.Errorf("metadata key llama.attention.layer_norm_rms_epsilon is missing or not a float")
	}
	if !(eps > 0 && eps < 1) {
		return nil, fmt.Errorf("layer_norm_rms_epsilon %g is outside (0, 1)", eps)
	}
	c.Eps = float32(eps)
	factor := 0.0
	if typ, ok := f.String("llama.rope.scaling.type"); ok && typ != "none" {
		if typ != "linear" {
			return nil, fmt.Errorf("llama.rope.scaling.type %q is not supported (only linear)", typ)
		}
		if factor, ok = f.Float("llama.rope.scaling.factor"); !ok {
			return nil, fmt.Errorf("linear RoPE scaling without llama.rope.scaling.factor")
		}
	} else if v, ok := f.Float("llama.rope.scale_linear"); ok {
		factor = v
	}
	if factor != 0 {
		if !(factor > 0) || math.IsInf(factor, 0) {
			return nil, fmt.Errorf("RoPE scaling factor %g must be positive", factor)
		}
		c.RopeScale = 1 / factor
	}
	return c, nil
}

type lifter struct {
	f      *File
	path   string
	m      *ir.Module
	cfg    *LlamaConfig
	opts   LiftOptions
	consts map[string]*ir.Value

	cos, sin *ir.Value

	// per function
	r   *ir.Region
	loc ir.Loc
}

// weight returns the module constant of tensor name, whose bytes alias
// the file, checking its shape in row-major order (GGUF dims reversed).
func (l *lifter) weight(name string, want ...int) (*ir.Value, error) {
	if v, ok := l.consts[name]; ok {
		return v, nil
	}
	t, ok := l.f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("tensor %s is missing", name)
	}
	dt, ok := quant.IRType(t.Type)
	if !ok {
		return nil, fmt.Errorf("tensor %s: ggml type %v has no kiln element type", name, t.Type)
	}
	shape := make([]int64, len(t.Dims))
	for i, d := range t.Dims {
		shape[len(t.Dims)-1-i] = int64(d)
	}
	ok = len(shape) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = want[i] < 0 || shape[i] == int64(want[i])
	}
	if !ok {
		return nil, fmt.Errorf("tensor %s has shape %v (row-major), want %v (-1: any)", name, shape, want)
	}
	data, err := l.f.TensorData(t)
	if err != nil {
		return nil, err
	}
	v := l.m.AddConst(name, ir.TensorType(dt, ir.ShapeOf(shape...)), &ir.Constant{Bytes: data,
		Source: &ir.Source{Path: l.path, Offset: l.f.DataOffset + t.Offset, Length: t.Bytes}})
	l.consts[name] = v
	return v, nil
}

// ropeCaches adds cos and sin of the RoPE angles for every position below
// the context length, computed as ggml's rope computes them, in float32:
// the angle of pair k is the position times base^(-2/rope_dim) multiplied
// in k times (the factor itself rounded to float32), times the linear
// scale. This drifts from position·base^(-2k/rope_dim) in the last bits,
// and llama.cpp's rotations carry that drift (at position 4 of
// llama58m-random about 8 rotated values in 2,560 move by one ulp without
// it). The cosine and sine are rounded correctly from float64; the C
// library's cosf and sinf that ggml calls are off by one ulp for about
// 2% of these angles.
func (l *lifter) ropeCaches() error {
	c := l.cfg
	half := c.RopeDim / 2
	if int64(c.Context)*int64(half) > 1<<26 {
		return fmt.Errorf("context_length %d makes RoPE caches of %d values", c.Context, int64(c.Context)*int64(half))
	}
	cs := make([]float32, c.Context*half)
	sn := make([]float32, c.Context*half)
	step := float32(math.Pow(float64(float32(c.RopeBase)), float64(float32(-2)/float32(c.RopeDim))))
	scale := float32(c.RopeScale)
	for p := 0; p < c.Context; p++ {
		theta := float32(p)
		for k := 0; k < half; k++ {
			a := float64(scale * theta)
			cs[p*half+k] = float32(math.Cos(a))
			sn[p*half+k] = float32(math.Sin(a))
			theta *= step
		}
	}
	t := ir.TensorType(ir.F32, ir.ShapeOf(int64(c.Context), int64(half)))
	l.cos = l.m.AddConst("rope.cos", t, &ir.Constant{Bytes: ir.EncodeSlice(cs)})
	l.sin = l.m.AddConst("rope.sin", t, &ir.Constant{Bytes: ir.EncodeSlice(sn)})
	return nil
}

// op builds one op at the end of the current function, located at the
// GGUF tensor it comes from.
func (l *lifter) op(name string, args []*ir.Value, attrs []ir.Attr, n int) ([]*ir.Value, error) {
	op, err := l.r.Build(name, args, attrs, n)
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", name, l.loc, err)
	}
	if l.loc != "" {
		op.Loc = ir.Locs{l.loc}
	}
	return op.Results, nil
}

func (l *lifter) op1(name string, args []*ir.Value, attrs ...ir.Attr) (*ir.Value, error) {
	rs, err := l.op(name, args, attrs, 1)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

func attrI(name string, v int64) ir.Attr   { return ir.Attr{Name: name, Value: ir.IntAttr(v)} }
func attrF(name string, v float32) ir.Attr { return ir.Attr{Name: name, Value: ir.FloatAttr(v)} }

// f32 casts v to float32 unless it is already.
func (l *lifter) f32(v *ir.Value) (*ir.Value, error) {
	if v.Type.DType == ir.F32 {
		return v, nil
	}
	return l.op1("Cast", []*ir.Value{v}, ir.Attr{Name: "to", Value: ir.DTypeAttr(ir.F32)})
}

// linear is x @ W^T for a GGUF weight W of [out, in] rows.
func (l *lifter) linear(x *ir.Value, name string, out, in int) (*ir.Value, error) {
	w, err := l.weight(name, out, in)
	if err != nil {
		return nil, err
	}
	l.loc = ir.Loc(name)
	// Block-quantized weights multiply as ggml does, with the activations
	// rounded to 8-bit blocks (kiln.MatMulBlocks); float weights through a
	// float32 Gemm.
	if g, ok := quant.FromIRType(w.Type.DType); ok {
		if _, ok := quant.VecDotType(g); ok {
			return l.op1("kiln.MatMulBlocks", []*ir.Value{x, w})
		}
	}
	if w.Type.DType == ir.F16 {
		// ggml multiplies F16 weights by activations rounded to F16.
		h, err := l.op1("Cast", []*ir.Value{x}, ir.Attr{Name: "to", Value: ir.DTypeAttr(ir.F16)})
		if err != nil {
			return nil, err
		}
		if x, err = l.f32(h); err != nil {
			return nil, err
		}
	}
	if w, err = l.f32(w); err != nil {
		return nil, err
	}
	return l.op1("Gemm", []*ir.Value{x, w}, attrI("transB", 1))
}

func (l *lifter) rmsNorm(x *ir.Value, name string) (*ir.Value, error) {
	w, err := l.weight(name, l.cfg.Embed)
	if err != nil {
		return nil, err
	}
	l.loc = ir.Loc(name)
	if w, err = l.f32(w); err != nil {
		return nil, err
	}
	return l.op1("RMSNormalization", []*ir.Value{x, w}, attrF("epsilon", l.cfg.Eps))
}

func (l *lifter) shapeConst(name string, dims ...int64) *ir.Value {
	if v := l.m.Const(name); v != nil {
		return v
	}
	return l.m.AddConst(name, ir.TensorType(ir.I64, ir.ShapeOf(int64(len(dims)))), &ir.Constant{Bytes: ir.EncodeSlice(dims)})
}

func (l *lifter) function(name string, seq ir.Dim) error {
	c := l.cfg
	fn := l.m.NewFunc(name)
	l.r = fn.Body
	ids := fn.AddInput("input_ids", ir.TensorType(ir.I64, ir.Shape{Ranked: true, Dims: []ir.Dim{ir.Static(1), seq}}))
	pos := fn.AddInput("position_ids", ir.TensorType(ir.I64, ir.Shape{Ranked: true, Dims: []ir.Dim{ir.Static(1), seq}}))
	cacheT := ir.TensorType(ir.F32, ir.Shape{Ranked: true, Dims: []ir.Dim{ir.Static(1), ir.Static(int64(c.KVHeads)), ir.Symbolic("past_seq"), ir.Static(int64(c.HeadDim))}})
	past := make([]*ir.Value, 2*c.Layers)
	for i := 0; i < c.Layers; i++ {
		past[2*i] = fn.AddInput(fmt.Sprintf("past_key_%d", i), cacheT)
		past[2*i+1] = fn.AddInput(fmt.Sprintf("past_value_%d", i), cacheT)
	}

	// Token embedding: float rows are gathered then cast; block types are
	// cast whole first (a row of blocks is not gathered yet).
	emb, err := l.weight("token_embd.weight", -1, c.Embed)
	if err != nil {
		return err
	}
	c.Vocab = int(emb.Type.Shape.Dims[0].Size)
	l.loc = "token_embd.weight"
	if emb.Type.DType.IsFloat() {
		if emb, err = l.op1("Gather", []*ir.Value{emb, ids}); err != nil {
			return err
		}
		if emb, err = l.f32(emb); err != nil {
			return err
		}
	} else {
		if emb, err = l.f32(emb); err != nil {
			return err
		}
		if emb, err = l.op1("Gather", []*ir.Value{emb, ids}); err != nil {
			return err
		}
	}
	x, err := l.op1("Reshape", []*ir.Value{emb, l.shapeConst("shape.rows", -1, int64(c.Embed))})
	if err != nil {
		return err
	}
	qDim, kvDim := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	present := make([]*ir.Value, 2*c.Layers)
	for i := 0; i < c.Layers; i++ {
		blk := fmt.Sprintf("blk.%d.", i)
		xn, err := l.rmsNorm(x, blk+"attn_norm.weight")
		if err != nil {
			return err
		}
		q, err := l.linear(xn, blk+"attn_q.weight", qDim, c.Embed)
		if err != nil {
			return err
		}
		k, err := l.linear(xn, blk+"attn_k.weight", kvDim, c.Embed)
		if err != nil {
			return err
		}
		v, err := l.linear(xn, blk+"attn_v.weight", kvDim, c.Embed)
		if err != nil {
			return err
		}
		l.loc = ir.Loc(blk + "attn")
		seq3 := func(t *ir.Value, width int) (*ir.Value, error) {
			return l.op1("Reshape", []*ir.Value{t, l.shapeConst(fmt.Sprintf("shape.seq%d", width), 1, -1, int64(width))})
		}
		if q, err = seq3(q, qDim); err != nil {
			return err
		}
		if k, err = seq3(k, kvDim); err != nil {
			return err
		}
		if v, err = seq3(v, kvDim); err != nil {
			return err
		}
		// llama.cpp rotates llama's q and k in its "normal" mode, adjacent
		// pairs: the converter permuted the rows of attn_q/attn_k so.
		rope := func(t *ir.Value, heads int) (*ir.Value, error) {
			return l.op1("RotaryEmbedding", []*ir.Value{t, l.cos, l.sin, pos},
				attrI("interleaved", 1), attrI("num_heads", int64(heads)), attrI("rotary_embedding_dim", int64(c.RopeDim)))
		}
		if q, err = rope(q, c.Heads); err != nil {
			return err
		}
		if k, err = rope(k, c.KVHeads); err != nil {
			return err
		}
		if l.opts.KVF16 {
			for _, p := range []**ir.Value{&q, &k, &v} {
				h, err := l.op1("Cast", []*ir.Value{*p}, ir.Attr{Name: "to", Value: ir.DTypeAttr(ir.F16)})
				if err != nil {
					return err
				}
				if *p, err = l.f32(h); err != nil {
					return err
				}
			}
		}
		attnAttrs := []ir.Attr{attrI("is_causal", 1), attrI("kv_num_heads", int64(c.KVHeads)), attrI("q_num_heads", int64(c.Heads))}
		if l.opts.KVF16 {
			// With an F16 cache llama.cpp multiplies the softmax weights,
			// rounded to F16, by V: ONNX's FLOAT16 softmax precision.
			attnAttrs = append(attnAttrs, attrI("softmax_precision", 10))
		}
		rs, err := l.op("Attention", []*ir.Value{q, k, v, nil, past[2*i], past[2*i+1]}, attnAttrs, 3)
		if err != nil {
			return err
		}
		present[2*i], present[2*i+1] = rs[1], rs[2]
		// A static sequence length (decode's 1) keeps the row count static
		// whatever Attention's inference knows of its result.
		rows, rowsName := int64(-1), fmt.Sprintf("shape.rows%d", qDim)
		if n, ok := seq.Int(); ok {
			rows, rowsName = n, fmt.Sprintf("shape.%dx%d", n, qDim)
		}
		y, err := l.op1("Reshape", []*ir.Value{rs[0], l.shapeConst(rowsName, rows, int64(qDim))})
		if err != nil {
			return err
		}
		o, err := l.linear(y, blk+"attn_output.weight", c.Embed, qDim)
		if err != nil {
			return err
		}
		if x, err = l.op1("Add", []*ir.Value{x, o}); err != nil {
			return err
		}

		// SwiGLU feed-forward: down(silu(gate x) * up x).
		xn, err = l.rmsNorm(x, blk+"ffn_norm.weight")
		if err != nil {
			return err
		}
		if c.FFN == 0 {
			if t, ok := l.f.Tensor(blk + "ffn_gate.weight"); ok && len(t.Dims) == 2 {
				c.FFN = int(t.Dims[1])
			}
		}
		g, err := l.linear(xn, blk+"ffn_gate.weight", c.FFN, c.Embed)
		if err != nil {
			return err
		}
		u, err := l.linear(xn, blk+"ffn_up.weight", c.FFN, c.Embed)
		if err != nil {
			return err
		}
		l.loc = ir.Loc(blk + "ffn")
		sg, err := l.op1("Sigmoid", []*ir.Value{g})
		if err != nil {
			return err
		}
		if g, err = l.op1("Mul", []*ir.Value{g, sg}); err != nil {
			return err
		}
		if g, err = l.op1("Mul", []*ir.Value{g, u}); err != nil {
			return err
		}
		d, err := l.linear(g, blk+"ffn_down.weight", c.Embed, c.FFN)
		if err != nil {
			return err
		}
		if x, err = l.op1("Add", []*ir.Value{x, d}); err != nil {
			return err
		}
	}
	xn, err := l.rmsNorm(x, "output_norm.weight")
	if err != nil {
		return err
	}
	out := "output.weight"
	if _, ok := l.f.Tensor(out); !ok {
		out, c.TiedOutput = "token_embd.weight", true
	}
	logits, err := l.linear(xn, out, c.Vocab, c.Embed)
	if err != nil {
		return err
	}
	fn.AddOutput("logits", logits)
	for i := 0; i < c.Layers; i++ {
		fn.AddOutput(fmt.Sprintf("present_key_%d", i), present[2*i])
		fn.AddOutput(fmt.Sprintf("present_value_%d", i), present[2*i+1])
	}
	return nil
}
