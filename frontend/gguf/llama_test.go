package gguf

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"unsafe"

	"github.com/kiln-ml/kiln/internal/testenv"
	"github.com/kiln-ml/kiln/ir"
)

// opCounts counts fn's ops by name.
func opCounts(m *ir.Module, fn string) map[string]int {
	n := map[string]int{}
	for _, op := range m.Func(fn).Body.Ops {
		n[op.Name]++
	}
	return n
}

func TestLiftLlamaStories(t *testing.T) {
	p, ok := testenv.Shared("models", "gguf", "stories260K-f16.gguf")
	if !ok {
		t.Skip("no shared GGUF files")
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, cfg, err := LiftLlama(f, p, LiftOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(m); err != nil {
		t.Fatal(err)
	}
	// The stories260K header (reference/onnx/stories260K-decoder/README.md):
	// dim 64, hidden 172, 5 layers, 8 heads, 4 KV heads, vocab 512; its
	// GGUF context_length is 128.
	want := LlamaConfig{Embed: 64, Layers: 5, Heads: 8, KVHeads: 4, HeadDim: 8, FFN: 172, Vocab: 512, Context: 128,
		RopeDim: 8, RopeBase: 10000, RopeScale: 1, Eps: cfg.Eps, TiedOutput: cfg.TiedOutput}
	if *cfg != want {
		t.Errorf("config %+v, want %+v", *cfg, want)
	}
	for _, fn := range []string{LlamaPrefill, LlamaDecode} {
		n := opCounts(m, fn)
		if n["RMSNormalization"] != 11 || n["RotaryEmbedding"] != 10 || n["Attention"] != 5 || n["Sigmoid"] != 5 {
			t.Errorf("%s: op counts %v", fn, n)
		}
		if got := len(m.Func(fn).Body.Params); got != 2+10 {
			t.Errorf("%s: %d inputs, want 12", fn, got)
		}
	}
	if typ := m.Func(LlamaDecode).Body.Results[0].Type.String(); typ != "f32[1,512]" {
		t.Errorf("decode logits are %s, want f32[1,512]", typ)
	}
	// Weights alias the mapping, with their place in the file.
	ti, _ := f.Tensor("blk.0.attn_q.weight")
	data, err := f.TensorData(ti)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Const("blk.0.attn_q.weight")
	if c == nil || c.Type.String() != "f16[64,64]" || unsafe.SliceData(c.Const.Bytes) != unsafe.SliceData(data) ||
		c.Const.Source == nil || c.Const.Source.Offset != f.DataOffset+ti.Offset || c.Const.Source.Length != ti.Bytes {
		t.Errorf("blk.0.attn_q.weight: %v, want an f16[64,64] constant aliasing the file's bytes", c)
	}
}

// tinyLlama returns the metadata and tensors of a 1-layer llama with
// embedding 8, 2 heads, 1 KV head, ffn 4, vocab 5 and no output.weight.
func tinyLlama() ([]testKV, []testTensor) {
	kvs := []testKV{
		kvStr("general.architecture", "llama"),
		kvU32("llama.embedding_length", 8), kvU32("llama.block_count", 1),
		kvU32("llama.attention.head_count", 2), kvU32("llama.attention.head_count_kv", 1),
		kvU32("llama.context_length", 6), kvF32("llama.attention.layer_norm_rms_epsilon", 1e-5),
	}
	ts := []testTensor{f32Tensor("token_embd.weight", 8, 5), f32Tensor("output_norm.weight", 8)}
	for _, w := range []struct {
		name string
		dims []uint64
	}{{"attn_norm", []uint64{8}}, {"attn_q", []uint64{8, 8}}, {"attn_k", []uint64{8, 4}}, {"attn_v", []uint64{8, 4}},
		{"attn_output", []uint64{8, 8}}, {"ffn_norm", []uint64{8}}, {"ffn_gate", []uint64{8, 4}},
		{"ffn_up", []uint64{8, 4}}, {"ffn_down", []uint64{4, 8}}} {
		ts = append(ts, f32Tensor("blk.0."+w.name+".weight", w.dims...))
	}
	return kvs, ts
}

func TestLiftLlamaTiny(t *testing.T) {
	kvs, ts := tinyLlama()
	kvs = append(kvs, kvStr("llama.rope.scaling.type", "linear"), kvF32("llama.rope.scaling.factor", 4))
	f, err := Parse(testSpec{kvs: kvs, tensors: ts}.build())
	if err != nil {
		t.Fatal(err)
	}
	m, cfg, err := LiftLlama(f, "tiny.gguf", LiftOptions{KVF16: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(m); err != nil {
		t.Fatal(err)
	}
	if !cfg.TiedOutput || cfg.RopeScale != 0.25 || cfg.FFN != 4 || cfg.HeadDim != 4 || cfg.Vocab != 5 {
		t.Errorf("config %+v: want tied output, rope scale 1/4, ffn 4, head 4, vocab 5", *cfg)
	}
	// Positions are scaled: the cos cache's row p is cos(p/4 * base^(-2k/4)),
	// the angle in float32 as ggml computes it.
	cos := m.Const("rope.cos")
	if cos == nil || cos.Type.String() != "f32[6,2]" {
		t.Fatalf("rope.cos: %v", cos)
	}
	// Row 2, pair 1: angle 1/4 · (2 · 10000^(-2/4)) = 0.005, each product
	// rounded to float32.
	got := math.Float32frombits(binary.LittleEndian.Uint32(cos.Const.Bytes[4*(2*2+1):]))
	angle := float32(0.25) * (float32(2) * float32(0.01))
	if want := float32(math.Cos(float64(angle))); got != want || math.Abs(float64(angle)-0.005) > 1e-9 {
		t.Errorf("rope.cos[2][1] = %v, want %v (angle %v)", got, want, angle)
	}
	// KVF16 adds a round trip through f16 for each of q, k and v.
	if n := opCounts(m, LlamaPrefill); n["Cast"] != 6 || n["Attention"] != 1 {
		t.Errorf("op counts %v: want 6 Casts (q, k and v to f16 and back) and 1 Attention", n)
	}
}

func TestLiftLlamaRefusals(t *testing.T) {
	kvs, ts := tinyLlama()
	replace := func(key string, kv testKV) []testKV {
		var out []testKV
		for _, k := range kvs {
			if k.key != key {
				out = append(out, k)
			}
		}
		if kv.key != "" {
			out = append(out, kv)
		}
		return out
	}
	without := func(name string) []testTensor {
		var out []testTensor
		for _, x := range ts {
			if x.name != name {
				out = append(out, x)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		kvs  []testKV
		ts   []testTensor
		want string
	}{
		{"other architecture", replace("general.architecture", kvStr("general.architecture", "gpt2")), ts,
			`general.architecture "gpt2" is not supported (only "llama"); keys seen: general.architecture, llama.attention.head_count`},
		{"no architecture", replace("general.architecture", testKV{}), ts, `"(none)" is not supported`},
		{"missing key", replace("llama.block_count", testKV{}), ts, "llama.block_count is missing"},
		{"heads", replace("llama.attention.head_count_kv", kvU32("llama.attention.head_count_kv", 3)), ts, "do not divide evenly"},
		{"yarn", append(kvs, kvStr("llama.rope.scaling.type", "yarn")), ts, `"yarn" is not supported (only linear)`},
		{"missing tensor", kvs, without("blk.0.attn_k.weight"), "tensor blk.0.attn_k.weight is missing"},
		{"bad shape", kvs, append(without("blk.0.attn_v.weight"), f32Tensor("blk.0.attn_v.weight", 8, 5)), "tensor blk.0.attn_v.weight has shape [5 8]"},
		{"zero", replace("llama.embedding_length", kvU32("llama.embedding_length", 0)), ts, "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(testSpec{kvs: tc.kvs, tensors: tc.ts}.build())
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = LiftLlama(f, "tiny.gguf", LiftOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "tiny.gguf: ") {
				t.Fatalf("error %v, want one starting with the file and containing %q", err, tc.want)
			}
		})
	}
}

// TestLiftLlamaTextRoundTrip: the lifted module prints as text IR (weights
// as references into the GGUF file) and parses back to the same text.
func TestLiftLlamaTextRoundTrip(t *testing.T) {
	p, ok := testenv.Shared("models", "gguf", "stories260K-q4_0.gguf")
	if !ok {
		t.Skip("no shared GGUF files")
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, _, err := LiftLlama(f, p, LiftOptions{KVF16: true})
	if err != nil {
		t.Fatal(err)
	}
	text := m.String()
	m2, err := ir.Parse("stories.kir", []byte(text), ir.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if text2 := m2.String(); text2 != text {
		t.Errorf("text round trip differs")
	}
	if !strings.Contains(text, "q4_0[64,64]") {
		t.Errorf("no q4_0 weights in the text")
	}
}
