package modeltest

import (
	"math/rand/v2"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// llmCases: Attention-23 (grouped-query heads, causal with a cache,
// masks, scale), the attention the GGUF lifter emits, against ONNX
// Runtime.
func llmCases() []opCase {
	return []opCase{
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
