package interp

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("Attention", kernelAttention)
}

// heads4 views a [B,H,S,D] tensor, or a [B,S,H*D] one as [B,H,S,D], as
// float64s with an index function.
type heads4 struct {
	v          []float64
	b, h, s, d int
	flat       bool // [B,S,H*D]
}

func (t heads4) at(b, h, s, d int) float64 {
	if t.flat {
		return t.v[(b*t.s+s)*t.h*t.d+h*t.d+d]
	}
	return t.v[((b*t.h+h)*t.s+s)*t.d+d]
}

func newHeads4(x *Tensor, heads int, what string) (heads4, error) {
	v, err := numericAsF64(x)
	if err != nil {
		return heads4{}, fmt.Errorf("%s: %w", what, err)
	}
	switch x.Rank() {
	case 4:
		return heads4{v: v, b: x.Shape[0], h: x.Shape[1], s: x.Shape[2], d: x.Shape[3]}, nil
	case 3:
		if heads < 1 || x.Shape[2]%heads != 0 {
			return heads4{}, fmt.Errorf("%s %v: %d heads do not divide its last dim", what, x.Shape, heads)
		}
		return heads4{v: v, b: x.Shape[0], h: heads, s: x.Shape[1], d: x.Shape[2] / heads, flat: true}, nil
	}
	return heads4{}, fmt.Errorf("%s has shape %v, want rank 3 or 4", what, x.Shape)
}

// kernelAttention is Attention-23 (and -24 without nonpad_kv_seqlen), as
// ONNX's reference computes it: scores = Q K^T * scale, soft-capped
// (softcap * tanh(scores / softcap)) when softcap > 0; the bias adds the
// mask (bool: -inf where false; float: its values; padded with -inf to the
// total kv length) and, with is_causal, -inf where key j > query i + the
// past length; softmax over keys (a fully masked row gives zeros); Y =
// weights V. Query head h reads kv head h / (Hq/Hkv). qk_matmul_output is
// the scores (modes 0, 1), scores plus bias (2) or the weights (3).
func kernelAttention(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 3, 7)
	if err != nil {
		return nil, err
	}
	if ts[6] != nil {
		return nil, fmt.Errorf("nonpad_kv_seqlen is not supported")
	}
	if (ts[4] == nil) != (ts[5] == nil) {
		return nil, fmt.Errorf("past_key and past_value must be given together")
	}
	qh, kvh := 0, 0
	if op.Has("q_num_heads") {
		qh = int(min(op.Int("q_num_heads"), 1<<30))
	}
	if op.Has("kv_num_heads") {
		kvh = int(min(op.Int("kv_num_heads"), 1<<30))
	}
	q, err := newHeads4(ts[0], qh, "Q")
	if err != nil {
		return nil, err
	}
	k, err := newHeads4(ts[1], kvh, "K")
	if err != nil {
		return nil, err
	}
	v, err := newHeads4(ts[2], kvh, "V")
	if err != nil {
		return nil, err
	}
	if ts[0].Rank() != ts[1].Rank() || ts[0].Rank() != ts[2].Rank() {
		return nil, fmt.Errorf("Q, K and V have ranks %d, %d, %d; want equal", ts[0].Rank(), ts[1].Rank(), ts[2].Rank())
	}
	nb, nqh, nq, dq := q.b, q.h, q.s, q.d
	nkh, dv := k.h, v.d
	if k.b != nb || v.b != nb || v.h != nkh || k.s != v.s || k.d != dq || nkh < 1 || nqh%nkh != 0 {
		return nil, fmt.Errorf("Q %v, K %v and V %v do not fit (batch, heads dividing the query heads, head size, kv length)", ts[0].Shape, ts[1].Shape, ts[2].Shape)
	}
	past := 0
	var pk, pv heads4
	if ts[4] != nil {
		if pk, err = newHeads4(ts[4], 0, "past_key"); err != nil {
			return nil, err
		}
		if pv, err = newHeads4(ts[5], 0, "past_value"); err != nil {
			return nil, err
		}
		if ts[4].Rank() != 4 || ts[5].Rank() != 4 || pk.b != nb || pk.h != nkh || pk.d != dq || pv.b != nb || pv.h != nkh || pv.d != dv || pk.s != pv.s {
			return nil, fmt.Errorf("past_key %v and past_value %v do not fit K %v and V %v", ts[4].Shape, ts[5].Shape, ts[1].Shape, ts[2].Shape)
		}
		past = pk.s
	}
	total := past + k.s
	for _, n := range [][]int{{nb, nkh, total, dq}, {nb, nkh, total, dv}, {nb, nqh, nq, total}} {
		if err := checkElemCount(n, "attention buffer"); err != nil {
			return nil, err
		}
	}
	// present = past ++ new along the sequence.
	presK := scratch[float64](nb * nkh * total * dq)
	presV := scratch[float64](nb * nkh * total * dv)
	for b := range nb {
		for h := range nkh {
			for s := range total {
				for d := range dq {
					x := 0.0
					if s < past {
						x = pk.at(b, h, s, d)
					} else {
						x = k.at(b, h, s-past, d)
					}
					presK[((b*nkh+h)*total+s)*dq+d] = x
				}
				for d := range dv {
					x := 0.0
					if s < past {
						x = pv.at(b, h, s, d)
					} else {
						x = v.at(b, h, s-past, d)
					}
					presV[((b*nkh+h)*total+s)*dv+d] = x
				}
			}
		}
	}
	// The mask, broadcast to [B, Hq, Sq, T]; its last dim may be shorter
	// than T (padded with masked positions).
	var mask []float64
	var maskIdx []int
	var maskLast int
	if m := ts[3]; m != nil {
		if m.Rank() < 1 || m.Rank() > 4 {
			return nil, fmt.Errorf("attn_mask has shape %v, want rank 1 to 4", m.Shape)
		}
		maskLast = m.Shape[m.Rank()-1]
		if maskLast > total {
			return nil, fmt.Errorf("attn_mask's last dim %d exceeds the kv length %d", maskLast, total)
		}
		target := []int{nb, nqh, nq, maskLast}
		if b, err := BroadcastShape(m.Shape, target); err != nil || fmt.Sprint(b) != fmt.Sprint(target) {
			return nil, fmt.Errorf("attn_mask %v does not broadcast to %v", m.Shape, target)
		}
		maskIdx = BroadcastIndex(m.Shape, target)
		if m.DType == ir.Bool {
			mask = scratch[float64](m.Len())
			for i, t := range Data[bool](m) {
				mask[i] = cond(t, 0, math.Inf(-1))
			}
		} else if mask, err = numericAsF64(m); err != nil {
			return nil, fmt.Errorf("attn_mask: %w", err)
		}
	}
	scale := 1 / math.Sqrt(float64(dq))
	if op.Has("scale") {
		scale = float64(op.Float("scale"))
	}
	softcap := float64(op.Float("softcap"))
	round, err := softmaxRounding(op)
	if err != nil {
		return nil, err
	}
	causal := op.Int("is_causal") != 0
	mode := op.Int("qk_matmul_output_mode")
	grp := nqh / nkh
	y := scratch[float64](nb * nqh * nq * dv)
	qkOut := scratch[float64](nb * nqh * nq * total)
	scores, bias, w := scratch[float64](total), scratch[float64](total), scratch[float64](total)
	for b := range nb {
		for h := range nqh {
			kh := h / grp
			for i := range nq {
				rowMax, allMasked := math.Inf(-1), true
				for j := range total {
					dot := 0.0
					for d := range dq {
						dot += q.at(b, h, i, d) * presK[((b*nkh+kh)*total+j)*dq+d]
					}
					s := dot * scale
					if softcap > 0 {
						s = softcap * math.Tanh(s/softcap)
					}
					bj := 0.0
					if mask != nil {
						if j < maskLast {
							bj = mask[maskIdx[((b*nqh+h)*nq+i)*maskLast+j]]
						} else {
							bj = math.Inf(-1)
						}
					}
					if causal && j > i+past {
						bj = math.Inf(-1)
					}
					scores[j], bias[j] = s, bj
					if !math.IsInf(bj, -1) {
						allMasked = false
					}
					rowMax = max(rowMax, s+bj)
				}
				out := qkOut[((b*nqh+h)*nq+i)*total : ((b*nqh+h)*nq+i+1)*total]
				sum := 0.0
				for j := range total {
					w[j] = 0
					if !allMasked {
						w[j] = math.Exp(scores[j] + bias[j] - rowMax)
						sum += w[j]
					}
				}
				for j := range total {
					if sum > 0 {
						w[j] /= sum
					}
					if round != nil {
						w[j] = round(w[j])
					}
					switch mode {
					case 0, 1:
						out[j] = scores[j]
					case 2:
						out[j] = scores[j] + bias[j]
					default:
						out[j] = w[j]
					}
				}
				for d := range dv {
					acc := 0.0
					for j := range total {
						if w[j] != 0 {
							acc += w[j] * presV[((b*nkh+kh)*total+j)*dv+d]
						}
					}
					if q.flat {
						y[(b*nq+i)*nqh*dv+h*dv+d] = acc
					} else {
						y[((b*nqh+h)*nq+i)*dv+d] = acc
					}
				}
			}
		}
	}
	yShape := []int{nb, nqh, nq, dv}
	if q.flat {
		yShape = []int{nb, nq, nqh * dv}
	}
	res := []Value{
		nnFromFloats(ts[0].DType, yShape, y),
		nnFromFloats(ts[1].DType, []int{nb, nkh, total, dq}, presK),
		nnFromFloats(ts[2].DType, []int{nb, nkh, total, dv}, presV),
		nnFromFloats(ts[0].DType, []int{nb, nqh, nq, total}, qkOut),
	}
	return res[:max(1, len(op.Results))], nil
}

// softmaxRounding reads Attention's softmax_precision, an ONNX element type
// code: the precision the softmax is computed in. The kernel computes it in
// float64 whatever the code and then, for FLOAT16 (10) and BFLOAT16 (16),
// rounds each weight to that type before it multiplies V: the result a
// half-precision softmax delivers, at the accuracy of a wide one. That is
// also how llama.cpp's CPU backend with an F16 cache multiplies the
// weights by V (converted to F16 for the dot product), which the GGUF lift
// relies on. FLOAT (1) and DOUBLE (11), or no attribute, round nothing.
func softmaxRounding(op *ir.Op) (func(float64) float64, error) {
	if !op.Has("softmax_precision") {
		return nil, nil
	}
	switch p := op.Int("softmax_precision"); p {
	case 1, 11:
		return nil, nil
	case 10:
		return func(x float64) float64 { return float64(ir.F16FromFloat32(float32(x)).Float32()) }, nil
	case 16:
		return func(x float64) float64 { return float64(ir.BF16FromFloat32(float32(x)).Float32()) }, nil
	default:
		return nil, fmt.Errorf("softmax_precision %d is not a floating-point element type (1, 10, 11 or 16)", p)
	}
}
