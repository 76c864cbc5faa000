package codegen

import (
	"fmt"
	"math"
	"strconv"

	"github.com/kiln-ml/kiln/codegen/kernels"
	"github.com/kiln-ml/kiln/ir"
)

// Kernels for the ops the fusion passes make: RMSNormalization and
// Attention (Gelu is one of unaryStmts).

func init() {
	emitters["Attention"] = emitAttention
	emitters["RMSNormalization"] = emitRMSNorm
	f32Kernels["RMSNormalization"] = true
	f32Kernels["Gelu"] = true
	f32Kernels["Attention"] = true
}

// emitAttention writes Attention (opset 23) on 3-D Q, K, V ([batch, seq,
// heads*head_size]) without a KV cache: per batch and head, the scores
// Q K^T on the packed GEMM (strided views, nothing copied), times scale
// plus the float mask (broadcast to [batch, heads, q_seq, kv_seq]; -inf
// above the diagonal when is_causal), a softmax summed in float64 as the
// Softmax kernel does, and the probabilities times V on the GEMM. Grouped-query heads share K and V heads.
// Other forms (4-D inputs, caches, softcap, bool masks, the qk output) are
// refused.
func emitAttention(c *opCtx) (*kernel, error) {
	op := c.op
	if hasKVCache(op) {
		return emitAttentionKV(c) // emit_attention_kv.go
	}
	if len(op.Results) != 1 {
		return nil, fmt.Errorf("Attention with its optional outputs (caches, qk_matmul_output) has no codegen kernel yet")
	}
	for i := 4; i < len(op.Args); i++ {
		if op.Args[i] != nil {
			return nil, fmt.Errorf("Attention with past_key/past_value or nonpad_kv_seqlen has no codegen kernel yet")
		}
	}
	if op.Float("softcap") != 0 || op.Int("qk_matmul_output_mode") != 0 {
		return nil, fmt.Errorf("Attention with softcap or qk_matmul_output_mode has no codegen kernel yet")
	}
	if p := op.Int("softmax_precision"); op.Has("softmax_precision") && p != 1 && p != 11 {
		return nil, fmt.Errorf("Attention with softmax_precision %d (weights rounded to a narrower type) has no codegen kernel yet", p)
	}
	qs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	ks, err := c.arg(1)
	if err != nil {
		return nil, err
	}
	vs, err := c.arg(2)
	if err != nil {
		return nil, err
	}
	if len(qs) != 3 || len(ks) != 3 || len(vs) != 3 || !op.Has("q_num_heads") || !op.Has("kv_num_heads") {
		return nil, fmt.Errorf("Attention on 4-D Q, K, V has no codegen kernel yet (3-D with q_num_heads and kv_num_heads only)")
	}
	qh, kvh := int(op.Int("q_num_heads")), int(op.Int("kv_num_heads"))
	B, S, T := qs[0], qs[1], ks[1]
	if kvh <= 0 || qh%kvh != 0 || qs[2]%qh != 0 || ks[2]%kvh != 0 || vs[2]%kvh != 0 || ks[0] != B || vs[0] != B || vs[1] != T {
		return nil, fmt.Errorf("Attention shapes Q %v, K %v, V %v do not fit %d query and %d key/value heads", qs, ks, vs, qh, kvh)
	}
	D, Dv := qs[2]/qh, vs[2]/kvh
	if ks[2]/kvh != D {
		return nil, fmt.Errorf("Attention: Q head size %d, K head size %d", D, ks[2]/kvh)
	}
	scale := float32(1 / math.Sqrt(float64(D)))
	if op.Has("scale") {
		scale = op.Float("scale")
	}
	in := op.Args[:3]
	params := []string{"q", "k", "v"}
	maskExpr := ""
	if len(op.Args) > 3 && op.Args[3] != nil {
		if op.Args[3].Type.DType != ir.F32 {
			return nil, fmt.Errorf("Attention with a %v mask has no codegen kernel yet (float32 only)", op.Args[3].Type.DType)
		}
		ms, err := c.arg(3)
		if err != nil {
			return nil, err
		}
		if len(ms) > 4 {
			return nil, fmt.Errorf("Attention mask of rank %d", len(ms))
		}
		// Strides of the mask over [batch, heads, q_seq, kv_seq], right
		// aligned, 0 where it broadcasts.
		full := []int{B, qh, S, T}
		strides := make([]int, 4)
		st := 1
		for i := len(ms) - 1; i >= 0; i-- {
			j := 4 - len(ms) + i
			switch {
			case ms[i] == full[j]:
				strides[j] = st
			case ms[i] == 1:
			default:
				return nil, fmt.Errorf("Attention mask %v does not broadcast to %v", ms, full)
			}
			st *= ms[i]
		}
		in = op.Args[:4]
		params = append(params, "mask")
		maskExpr = fmt.Sprintf(" + mask[b*%d+h*%d+s*%d+t*%d]", strides[0], strides[1], strides[2], strides[3])
	}
	causal := ""
	if op.Int("is_causal") != 0 {
		// No cache, so the diagonal starts at key 0 (ONNX: key j is masked
		// after query i + the past length).
		causal = "if t > s {\nacc = float32(math.Inf(-1))\n}\n"
	}
	params = append(params, "y")
	shapes := fmt.Sprintf("Q %v K %v V %v, %d/%d heads", qs, ks, vs, qh, kvh)
	// Per batch and head: scores = Q_h K_h^T on the packed GEMM into the
	// scratch (S×T), scale, mask and softmax row by row, then Y_h = P V_h
	// on the GEMM, written straight into Y's head columns.
	// The exponentials, less the row's maximum, and their sum in float64:
	// with the vector units, expRow on the whole row.
	expLoop := "var sum float64\nfor t := range row {\ne := expf(row[t] - m)\nrow[t] = e\nsum += float64(e)\n}\n"
	if c.g.tile == kernels.SIMDTile {
		expLoop = "expRow(row, m)\nvar sum float64\nfor _, e := range row {\nsum += float64(e)\n}\n"
	}
	body := fmt.Sprintf(`q = q[:%[1]d]
k = k[:%[2]d]
v = v[:%[3]d]
y = y[:%[4]d]
p := col[:%[6]d*%[7]d]
for b := 0; b < %[5]d; b++ {
for h := 0; h < %[8]d; h++ {
kh := h / %[9]d
gemm(%[6]d, %[7]d, %[12]d, gemmMat{data: q[b*%[6]d*%[10]d+h*%[12]d:], rs: %[10]d, cs: 1}, gemmMat{data: k[b*%[7]d*%[11]d+kh*%[12]d:], rs: 1, cs: %[11]d}, p, %[7]d, false, pack, threads)
for s := 0; s < %[6]d; s++ {
row := p[s*%[7]d : (s+1)*%[7]d]
m := float32(math.Inf(-1))
for t := range row {
acc := row[t]*%[14]s%[15]s
%[16]srow[t] = acc
m = max(m, acc)
}
if math.IsInf(float64(m), -1) {
// A fully masked row weighs nothing, as ONNX's reference has it.
clear(row)
continue
}
%[19]sr := float32(1 / sum)
for t := range row {
row[t] *= r
}
}
gemm(%[6]d, %[13]d, %[7]d, gemmMat{data: p, rs: %[7]d, cs: 1}, gemmMat{data: v[b*%[7]d*%[18]d+kh*%[13]d:], rs: %[18]d, cs: 1}, y[b*%[6]d*%[17]d+h*%[13]d:], %[17]d, false, pack, threads)
}
}
`, B*S*qs[2], B*T*ks[2], B*T*vs[2], B*S*qh*Dv, B, S, T, qh, qh/kvh, qs[2], ks[2], D, Dv, f32Lit(scale), maskExpr, causal, qh*Dv, vs[2], expLoop)
	return &kernel{
		in:      in,
		params:  params,
		nout:    1,
		comment: "Attention: " + shapes,
		body:    body,
		shapes:  shapes,
		flops:   int64(2*B*qh*S*T*(D+Dv)) + int64(4*B*qh*S*T),
		gemm:    true,
		colLen:  S * T,
	}, nil
}

// emitRMSNorm writes RMSNormalization over the dims from axis on: each
// row divided by the root of its mean square plus epsilon (accumulated in
// float64, as the LayerNormalization kernel does), times scale, which
// must hold one element per row element.
func emitRMSNorm(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	ax, err := ir.NormAxis(c.op.Int("axis"), len(xs))
	if err != nil {
		return nil, err
	}
	ss, err := c.arg(1)
	if err != nil {
		return nil, err
	}
	outer, n := numel(xs[:ax]), numel(xs[ax:])
	if numel(ss) != n {
		return nil, fmt.Errorf("scale is %s, want %d elements (codegen does not broadcast it yet)", typeText(ss), n)
	}
	shapes := typeText(xs)
	body := fmt.Sprintf(`x = x[:%[1]d]
y = y[:%[1]d]
scale = scale[:%[3]d]
for o := 0; o < %[2]d; o++ {
row := x[o*%[3]d : (o+1)*%[3]d]
dst := y[o*%[3]d : (o+1)*%[3]d]
var sum float64
for _, v := range row {
sum += float64(v) * float64(v)
}
inv := 1 / math.Sqrt(sum/%[3]d+%[4]s)
for i, v := range row {
dst[i] = float32(float64(v)*inv) * scale[i]
}
}
`, numel(xs), outer, n, strconv.FormatFloat(float64(c.op.Float("epsilon")), 'g', -1, 64))
	return &kernel{
		in: c.op.Args[:2], params: []string{"x", "scale", "y"}, nout: 1,
		comment: fmt.Sprintf("RMSNormalization over the last %d elements of %s", n, shapes),
		body:    body, shapes: shapes, flops: 4 * int64(numel(xs)),
	}, nil
}
