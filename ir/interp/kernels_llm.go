package interp

import (
	"fmt"
	"math"
	"slices"

	"github.com/kiln-ml/kiln/ir"
)

// The kernel of Attention (ir/ops_llm.go). It computes in float64 and
// rounds once to the result's element type: at least as accurate as ONNX
// Runtime's float32 kernels and llama.cpp's (which keeps f32 accumulators
// over f16 or f32 operands), so the interpreter stays the reference the
// others are measured against.

func init() {
	Register("Attention", kernelAttention)
}

// heads4D reads a 3-D [batch, seq, heads*size] or 4-D [batch, heads, seq,
// size] tensor as float64 in [batch, heads, seq, size] order.
func heads4D(t *Tensor, heads int, what string) (data []float64, b, h, s, d int, err error) {
	switch t.Rank() {
	case 4:
		b, h, s, d = t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
		data, err = numericAsF64(t)
		return data, b, h, s, d, err
	case 3:
		if heads <= 0 {
			return nil, 0, 0, 0, 0, fmt.Errorf("3-D %s needs its head count", what)
		}
		if t.Shape[2]%heads != 0 {
			return nil, 0, 0, 0, 0, fmt.Errorf("%s hidden size %d is not a multiple of %d heads", what, t.Shape[2], heads)
		}
		b, s, h, d = t.Shape[0], t.Shape[1], heads, t.Shape[2]/heads
		src, err := numericAsF64(t)
		if err != nil {
			return nil, 0, 0, 0, 0, err
		}
		data = scratch[float64](len(src))
		for bi := 0; bi < b; bi++ {
			for si := 0; si < s; si++ {
				for hi := 0; hi < h; hi++ {
					copy(data[((bi*h+hi)*s+si)*d:][:d], src[(bi*s+si)*h*d+hi*d:][:d])
				}
			}
		}
		return data, b, h, s, d, nil
	}
	return nil, 0, 0, 0, 0, fmt.Errorf("%s has shape %v, want 3-D or 4-D", what, t.Shape)
}

// unheads4D is heads4D's inverse: [batch, heads, seq, size] data back to
// the 3-D layout when rank3, into a tensor of dtype dt.
func unheads4D(dt ir.DType, data []float64, b, h, s, d int, rank3 bool) *Tensor {
	if !rank3 {
		return nnFromFloats(dt, []int{b, h, s, d}, data)
	}
	out := scratch[float64](len(data))
	for bi := 0; bi < b; bi++ {
		for si := 0; si < s; si++ {
			for hi := 0; hi < h; hi++ {
				copy(out[(bi*s+si)*h*d+hi*d:][:d], data[((bi*h+hi)*s+si)*d:][:d])
			}
		}
	}
	return nnFromFloats(dt, []int{b, s, h * d}, out)
}

func attnHeads(op *ir.Op, name string) int {
	if v, ok := op.Attr(name); ok {
		return int(v.Int)
	}
	return 0
}

func kernelAttention(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 3, 6)
	if err != nil {
		return nil, err
	}
	q, k, v, mask, pastK, pastV := ts[0], ts[1], ts[2], ts[3], ts[4], ts[5]
	if q.Rank() != k.Rank() || k.Rank() != v.Rank() {
		return nil, fmt.Errorf("Q, K and V have ranks %d, %d, %d; want all 3 or all 4", q.Rank(), k.Rank(), v.Rank())
	}
	if op.Float("softcap") != 0 {
		return nil, fmt.Errorf("softcap %g: not supported yet", op.Float("softcap"))
	}
	if op.Int("qk_matmul_output_mode") != 0 {
		return nil, fmt.Errorf("qk_matmul_output_mode %d: not supported yet", op.Int("qk_matmul_output_mode"))
	}
	qd, b, qh, qs, hd, err := heads4D(q, attnHeads(op, "q_num_heads"), "Q")
	if err != nil {
		return nil, err
	}
	kd, kb, kh, ks, khd, err := heads4D(k, attnHeads(op, "kv_num_heads"), "K")
	if err != nil {
		return nil, err
	}
	vdat, vb, vh, vs, vd, err := heads4D(v, attnHeads(op, "kv_num_heads"), "V")
	if err != nil {
		return nil, err
	}
	if kb != b || vb != b || vh != kh || vs != ks || khd != hd {
		return nil, fmt.Errorf("Q [b=%d h=%d s=%d d=%d], K [b=%d h=%d s=%d d=%d] and V [b=%d h=%d s=%d d=%d] do not agree",
			b, qh, qs, hd, kb, kh, ks, khd, vb, vh, vs, vd)
	}
	if kh == 0 || qh%kh != 0 {
		return nil, fmt.Errorf("%d query heads are not a multiple of %d key/value heads", qh, kh)
	}
	if (pastK == nil) != (pastV == nil) {
		return nil, fmt.Errorf("past_key and past_value must be given together")
	}
	past := 0
	var pk, pv []float64
	if pastK != nil {
		if pastK.Rank() != 4 || pastV.Rank() != 4 || pastK.Shape[0] != b || pastK.Shape[1] != kh || pastK.Shape[3] != hd ||
			pastV.Shape[0] != b || pastV.Shape[1] != kh || pastV.Shape[2] != pastK.Shape[2] || pastV.Shape[3] != vd {
			return nil, fmt.Errorf("past_key %v and past_value %v do not fit [%d %d past %d] and [%d %d past %d]",
				pastK.Shape, pastV.Shape, b, kh, hd, b, kh, vd)
		}
		past = pastK.Shape[2]
		if pk, err = numericAsF64(pastK); err != nil {
			return nil, err
		}
		if pv, err = numericAsF64(pastV); err != nil {
			return nil, err
		}
	}
	total := past + ks
	// present = past ++ new along the sequence axis.
	allK := scratchOf[float64](b, kh, total, hd)
	allV := scratchOf[float64](b, kh, total, vd)
	for bh := 0; bh < b*kh; bh++ {
		copy(allK[bh*total*hd:], pk[bh*past*hd:(bh+1)*past*hd])
		copy(allK[(bh*total+past)*hd:], kd[bh*ks*hd:(bh+1)*ks*hd])
		copy(allV[bh*total*vd:], pv[bh*past*vd:(bh+1)*past*vd])
		copy(allV[(bh*total+past)*vd:], vdat[bh*ks*vd:(bh+1)*ks*vd])
	}
	var maskF []float64
	var maskIdx []int
	if mask != nil {
		full := []int{b, qh, qs, total}
		if bs, err := BroadcastShape(mask.Shape, full); err != nil || !slices.Equal(bs, full) {
			return nil, fmt.Errorf("attn_mask shape %v does not broadcast to %v", mask.Shape, full)
		}
		maskIdx = BroadcastIndex(mask.Shape, full)
		if mask.DType == ir.Bool {
			bs := Data[bool](mask)
			maskF = scratch[float64](len(bs))
			for i, m := range bs {
				if !m {
					maskF[i] = math.Inf(-1)
				}
			}
		} else if maskF, err = numericAsF64(mask); err != nil {
			return nil, err
		}
	}
	scale := 1 / math.Sqrt(float64(hd))
	if s, ok := op.Attr("scale"); ok {
		scale = float64(s.Float)
	}
	causal := op.Int("is_causal") != 0
	y := scratchOf[float64](b, qh, qs, vd)
	scores := scratch[float64](total)
	group := qh / kh
	for bi := 0; bi < b; bi++ {
		for hi := 0; hi < qh; hi++ {
			kvh := bi*kh + hi/group
			keys, vals := allK[kvh*total*hd:][:total*hd], allV[kvh*total*vd:][:total*vd]
			for i := 0; i < qs; i++ {
				qrow := qd[((bi*qh+hi)*qs+i)*hd:][:hd]
				best := math.Inf(-1)
				for j := 0; j < total; j++ {
					sc := math.Inf(-1)
					if !causal || j <= past+i {
						dot := 0.0
						for e, qv := range qrow {
							dot += qv * keys[j*hd+e]
						}
						sc = dot * scale
						if maskF != nil {
							sc += maskF[maskIdx[((bi*qh+hi)*qs+i)*total+j]]
						}
					}
					scores[j] = sc
					best = max(best, sc)
				}
				yrow := y[((bi*qh+hi)*qs+i)*vd:][:vd]
				if math.IsInf(best, -1) {
					continue // every key masked: a zero row
				}
				sum := 0.0
				for j, sc := range scores {
					scores[j] = math.Exp(sc - best)
					sum += scores[j]
				}
				for j, p := range scores {
					if p == 0 {
						continue
					}
					p /= sum
					for e := range yrow {
						yrow[e] += p * vals[j*vd+e]
					}
				}
			}
		}
	}
	outs := []Value{unheads4D(q.DType, y, b, qh, qs, vd, q.Rank() == 3),
		nnFromFloats(k.DType, []int{b, kh, total, hd}, allK),
		nnFromFloats(v.DType, []int{b, kh, total, vd}, allV)}
	return outs[:len(op.Results)], nil
}
