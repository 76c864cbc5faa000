package modeltest

import (
	"math/rand/v2"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// llmCases: RotaryEmbedding-23 and Attention-23, the ops the GGUF lifter
// emits, against ONNX Runtime.
func llmCases() []opCase {
	pos := func(r *rand.Rand, maxPos int64, b, s int) *interp.Tensor { return randInt[int64](r, 0, maxPos-1, b, s) }
	return []opCase{
		{name: "RotaryEmbedding-23 interleaved 4-D position_ids", opset: 23, op: "RotaryEmbedding", outs: dt(ir.F32, 1),
			attrs: attrs(aInt("interleaved", 1)),
			in: func(r *rand.Rand) []opIn {
				return ins(feed(randF32(r, -2, 2, 2, 3, 4, 8)), feed(randF32(r, -1, 1, 16, 4)), feed(randF32(r, -1, 1, 16, 4)), feed(pos(r, 16, 2, 4)))
			}},
		{name: "RotaryEmbedding-23 half-split 3-D partial", opset: 23, op: "RotaryEmbedding", outs: dt(ir.F32, 1),
			attrs: attrs(aInt("num_heads", 2), aInt("rotary_embedding_dim", 4)),
			in: func(r *rand.Rand) []opIn {
				return ins(feed(randF32(r, -2, 2, 1, 5, 16)), feed(randF32(r, -1, 1, 10, 2)), feed(randF32(r, -1, 1, 10, 2)), feed(pos(r, 10, 1, 5)))
			}},
		{name: "RotaryEmbedding-23 interleaved 3-D no position_ids", opset: 23, op: "RotaryEmbedding", outs: dt(ir.F32, 1),
			attrs: attrs(aInt("interleaved", 1), aInt("num_heads", 4)),
			in: func(r *rand.Rand) []opIn {
				return ins(feed(randF32(r, -2, 2, 2, 3, 32)), feed(randF32(r, -1, 1, 2, 3, 4)), feed(randF32(r, -1, 1, 2, 3, 4)))
			}},
		{name: "Attention-23 4-D grouped causal past", opset: 23, op: "Attention", outs: dt(ir.F32, 3),
			attrs: attrs(aInt("is_causal", 1)),
			in: func(r *rand.Rand) []opIn {
				return ins(feed(randF32(r, -1, 1, 1, 4, 3, 8)), feed(randF32(r, -1, 1, 1, 2, 3, 8)), feed(randF32(r, -1, 1, 1, 2, 3, 8)),
					none, feed(randF32(r, -1, 1, 1, 2, 5, 8)), feed(randF32(r, -1, 1, 1, 2, 5, 8)))
			}},
		{name: "Attention-23 3-D grouped causal decode", opset: 23, op: "Attention", outs: dt(ir.F32, 3),
			attrs: attrs(aInt("is_causal", 1), aInt("q_num_heads", 8), aInt("kv_num_heads", 4)),
			in: func(r *rand.Rand) []opIn {
				return ins(feed(randF32(r, -1, 1, 1, 1, 64)), feed(randF32(r, -1, 1, 1, 1, 32)), feed(randF32(r, -1, 1, 1, 1, 32)),
					none, feed(randF32(r, -1, 1, 1, 4, 6, 8)), feed(randF32(r, -1, 1, 1, 4, 6, 8)))
			}},
		{name: "Attention-23 4-D float mask scale", opset: 23, op: "Attention", outs: dt(ir.F32, 1),
			attrs: attrs(aFloat("scale", 0.3)),
			in: func(r *rand.Rand) []opIn {
				return ins(feed(randF32(r, -1, 1, 2, 2, 4, 8)), feed(randF32(r, -1, 1, 2, 2, 5, 8)), feed(randF32(r, -1, 1, 2, 2, 5, 4)),
					feed(randF32(r, -2, 0, 4, 5)))
			}},
		{name: "Attention-23 4-D bool mask", opset: 23, op: "Attention", outs: dt(ir.F32, 1),
			in: func(r *rand.Rand) []opIn {
				m := randBool(r, 1, 1, 3, 4)
				for i := 0; i < 3; i++ {
					interp.Data[bool](m)[i*4] = true // every query sees a key
				}
				return ins(feed(randF32(r, -1, 1, 1, 2, 3, 8)), feed(randF32(r, -1, 1, 1, 2, 4, 8)), feed(randF32(r, -1, 1, 1, 2, 4, 8)), feed(m))
			}},
	}
}
