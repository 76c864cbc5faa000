package codegen

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// hasKVCache reports whether an Attention op reads past_key/past_value or
// gives present_key/present_value: the decoder's form, which
// emitAttentionKV writes.
func hasKVCache(op *ir.Op) bool {
	if len(op.Results) > 1 {
		return true
	}
	for i := 4; i < 6 && i < len(op.Args); i++ {
		if op.Args[i] != nil {
			return true
		}
	}
	return false
}

// attnLayout gives where head h of batch b starts in a Q, K, V or Y
// tensor ([B,S,heads*size] or [B,heads,S,size]) and how far apart its
// rows are: offset b*b + h*h, row stride s.
type attnLayout struct{ b, h, s int }

// headsLayout returns the layout of a 3-D or 4-D attention tensor of
// shape sh with heads heads (3-D; 4-D tensors carry theirs), and its head
// size and sequence length.
func headsLayout(sh []int, heads int, what string) (l attnLayout, nh, seq, size int, err error) {
	switch len(sh) {
	case 3:
		if heads < 1 || sh[2]%heads != 0 {
			return l, 0, 0, 0, fmt.Errorf("%s %v: %d heads do not divide its last dim", what, sh, heads)
		}
		size = sh[2] / heads
		return attnLayout{b: sh[1] * sh[2], h: size, s: sh[2]}, heads, sh[1], size, nil
	case 4:
		return attnLayout{b: sh[1] * sh[2] * sh[3], h: sh[2] * sh[3], s: sh[3]}, sh[1], sh[2], sh[3], nil
	}
	return l, 0, 0, 0, fmt.Errorf("%s has shape %v, want rank 3 or 4", what, sh)
}

// emitAttentionKV writes Attention (opset 23) with a KV cache, as a
// decoder runs it: past_key/past_value [B, kv_heads, P, size] (absent: P
// = 0) and present_key/present_value [B, kv_heads, P+S_kv, size], on 3-D
// ([B, S, heads*size], q_num_heads and kv_num_heads given) or 4-D ([B,
// heads, S, size]) Q, K and V. The presents are past ++ new along the
// sequence, written straight into the output buffers; then per batch and
// query head (query head h reads kv head h / (q_heads/kv_heads)) the
// scores Q_h K_h^T over the present keys (plain loops for heads of at
// most smallHead features, skipping causally masked keys; the packed
// GEMM above), times scale,
// soft-capped when softcap > 0, plus the float mask (broadcast to [B,
// q_heads, S, P+S_kv]), -inf for key t > query s + P when is_causal; a
// softmax summed in float64 as the 3-D kernel's; with softmax_precision
// 10 (FLOAT16) or 16 (BFLOAT16) each weight rounded to that type (to
// nearest, ties to even) before it multiplies V, as ir/interp's kernel
// does; and the weights times the present values (zero weights skipped
// in the loop form), written into Y's head. nonpad_kv_seqlen, bool masks, masks shorter than the kv
// length and the qk_matmul_output result are refused.
func emitAttentionKV(c *opCtx) (*kernel, error) {
	op := c.op
	if len(op.Args) > 6 && op.Args[6] != nil {
		return nil, fmt.Errorf("Attention with nonpad_kv_seqlen has no codegen kernel yet")
	}
	withPast := len(op.Args) > 4 && op.Args[4] != nil
	if withPast != (len(op.Args) > 5 && op.Args[5] != nil) {
		return nil, fmt.Errorf("past_key and past_value must be given together")
	}
	if len(op.Results) < 3 {
		return nil, fmt.Errorf("Attention with past_key/past_value but without present_key/present_value has no codegen kernel yet")
	}
	var round string
	if op.Has("softmax_precision") {
		switch p := op.Int("softmax_precision"); p {
		case 1, 11:
		case 10:
			// FLOAT16: 10 mantissa bits; below 2^-14 (its subnormals)
			// steps of 2^-24. Weights lie in [0, 1]: no overflow.
			round = "if w := row[t]; w < 0x1p-14 {\nrow[t] = float32(math.RoundToEven(float64(w)*0x1p24) * 0x1p-24)\n} else {\nu := math.Float32bits(w)\nrow[t] = math.Float32frombits((u + 0xfff + (u>>13)&1) &^ 0x1fff)\n}\n"
		case 16:
			// BFLOAT16: float32's top 16 bits.
			round = "u := math.Float32bits(row[t])\nrow[t] = math.Float32frombits((u + 0x7fff + (u>>16)&1) &^ 0xffff)\n"
		default:
			return nil, fmt.Errorf("softmax_precision %d is not a floating-point element type (1, 10, 11 or 16)", p)
		}
	}
	var sh [3][]int
	for i := range sh {
		s, err := c.arg(i)
		if err != nil {
			return nil, err
		}
		sh[i] = s
	}
	if len(sh[0]) != len(sh[1]) || len(sh[0]) != len(sh[2]) {
		return nil, fmt.Errorf("Q %v, K %v and V %v: want equal ranks", sh[0], sh[1], sh[2])
	}
	var qhA, kvhA int
	if len(sh[0]) == 3 {
		if !op.Has("q_num_heads") || !op.Has("kv_num_heads") {
			return nil, fmt.Errorf("3-D Q, K, V need q_num_heads and kv_num_heads")
		}
		qhA, kvhA = int(min(op.Int("q_num_heads"), 1<<30)), int(min(op.Int("kv_num_heads"), 1<<30))
	}
	ql, qh, S, D, err := headsLayout(sh[0], qhA, "Q")
	if err != nil {
		return nil, err
	}
	kl, kvh, Sn, Dk, err := headsLayout(sh[1], kvhA, "K")
	if err != nil {
		return nil, err
	}
	vl, vh, Sv, Dv, err := headsLayout(sh[2], kvhA, "V")
	if err != nil {
		return nil, err
	}
	B := sh[0][0]
	if sh[1][0] != B || sh[2][0] != B || vh != kvh || Sv != Sn || Dk != D || kvh < 1 || qh%kvh != 0 {
		return nil, fmt.Errorf("Q %v, K %v and V %v do not fit (batch, heads dividing the query heads, head size, kv length)", sh[0], sh[1], sh[2])
	}
	P := 0
	in := op.Args[:3]
	params := []string{"q", "k", "v"}
	if withPast {
		pks, err := c.arg(4)
		if err != nil {
			return nil, err
		}
		pvs, err := c.arg(5)
		if err != nil {
			return nil, err
		}
		if len(pks) != 4 || len(pvs) != 4 || pks[0] != B || pks[1] != kvh || pks[3] != D || pvs[0] != B || pvs[1] != kvh || pvs[3] != Dv || pks[2] != pvs[2] {
			return nil, fmt.Errorf("past_key %v and past_value %v do not fit K %v and V %v", pks, pvs, sh[1], sh[2])
		}
		P = pks[2]
	}
	T := P + Sn
	maskExpr := ""
	if len(op.Args) > 3 && op.Args[3] != nil {
		if op.Args[3].Type.DType != ir.F32 {
			return nil, fmt.Errorf("Attention with a %v mask has no codegen kernel yet (float32 only)", op.Args[3].Type.DType)
		}
		ms, err := c.arg(3)
		if err != nil {
			return nil, err
		}
		st, err := maskStrides(ms, []int{B, qh, S, T})
		if err != nil {
			return nil, err
		}
		in = append(in[:3:3], op.Args[3])
		params = append(params, "mask")
		maskExpr = fmt.Sprintf(" + mask[b*%d+h*%d+s*%d+t*%d]", st[0], st[1], st[2], st[3])
	}
	if withPast {
		in = append(in[:len(in):len(in)], op.Args[4], op.Args[5])
		params = append(params, "pk", "pv")
	}
	params = append(params, "y", "presk", "presv")
	scale := float32(1 / math.Sqrt(float64(D)))
	if op.Has("scale") {
		scale = op.Float("scale")
	}
	var score strings.Builder
	fmt.Fprintf(&score, "acc := row[t] * %s\n", f32Lit(scale))
	if sc := op.Float("softcap"); sc > 0 {
		fmt.Fprintf(&score, "acc = float32(%[1]s * math.Tanh(float64(acc)/%[1]s))\n", strconv.FormatFloat(float64(sc), 'g', -1, 64))
	}
	if maskExpr != "" {
		fmt.Fprintf(&score, "acc = acc%s\n", maskExpr)
	}
	if op.Int("is_causal") != 0 {
		// ONNX: key t is masked after query s plus the past length.
		fmt.Fprintf(&score, "if t > s+%d {\nacc = float32(math.Inf(-1))\n}\n", P)
	}
	yl := attnLayout{b: S * qh * Dv, h: Dv, s: qh * Dv}
	if len(sh[0]) == 4 {
		yl = attnLayout{b: qh * S * Dv, h: S * Dv, s: Dv}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "q = q[:%d]\nk = k[:%d]\nv = v[:%d]\ny = y[:%d]\npresk = presk[:%d]\npresv = presv[:%d]\n",
		numel(sh[0]), numel(sh[1]), numel(sh[2]), B*qh*S*Dv, B*kvh*T*D, B*kvh*T*Dv)
	if withPast {
		fmt.Fprintf(&b, "pk = pk[:%d]\npv = pv[:%d]\n", B*kvh*P*D, B*kvh*P*Dv)
	}
	// present = past ++ new along the sequence, per batch and kv head.
	fmt.Fprintf(&b, "for b := 0; b < %d; b++ {\nfor h := 0; h < %d; h++ {\n", B, kvh)
	fmt.Fprintf(&b, "kdst := presk[b*%d+h*%d:]\nvdst := presv[b*%d+h*%d:]\n", kvh*T*D, T*D, kvh*T*Dv, T*Dv)
	if withPast {
		fmt.Fprintf(&b, "copy(kdst[:%d], pk[b*%d+h*%d:])\ncopy(vdst[:%d], pv[b*%d+h*%d:])\n", P*D, kvh*P*D, P*D, P*Dv, kvh*P*Dv, P*Dv)
	}
	fmt.Fprintf(&b, `for s := 0; s < %[1]d; s++ {
ko := b*%[2]d + h*%[3]d + s*%[4]d
vo := b*%[5]d + h*%[6]d + s*%[7]d
copy(kdst[%[8]d+s*%[9]d:%[8]d+s*%[9]d+%[9]d], k[ko:ko+%[9]d])
copy(vdst[%[10]d+s*%[11]d:%[10]d+s*%[11]d+%[11]d], v[vo:vo+%[11]d])
}
}
}
`, Sn, kl.b, kl.h, kl.s, vl.b, vl.h, vl.s, P*D, D, P*Dv, Dv)
	// Per batch and query head: scores into the scratch (S×T), softmax
	// row by row, then Y_h = P V_h. Both products go on the packed GEMM,
	// but for heads of at most smallHead features: there packing costs
	// more than the products, and plain loops (float32 sums as the GEMM's)
	// win, decode steps most.
	qk := "gemm(%[1]d, %[2]d, %[6]d, gemmMat{data: q[b*%[7]d+h*%[8]d:], rs: %[9]d, cs: 1}, gemmMat{data: presk[b*%[10]d+kh*%[11]d:], rs: 1, cs: %[6]d}, p, %[2]d, false, pack, threads)\n"
	pv := "gemm(%[1]d, %[14]d, %[2]d, gemmMat{data: p, rs: %[2]d, cs: 1}, gemmMat{data: presv[b*%[15]d+kh*%[16]d:], rs: %[14]d, cs: 1}, y[b*%[17]d+h*%[18]d:], %[19]d, false, pack, threads)\n"
	small := D <= smallHead && Dv <= smallHead
	// Causal: the keys after s+P are masked whatever their score (the
	// softmax loop sets them to -inf last), so their products are skipped.
	keys := "len(row)"
	if op.Int("is_causal") != 0 {
		keys = fmt.Sprintf("min(len(row), s+%d)", P+1)
	}
	if small {
		qk = `qb := q[b*%[7]d+h*%[8]d:]
kb := presk[b*%[10]d+kh*%[11]d:]
for s := 0; s < %[1]d; s++ {
qr := qb[s*%[9]d : s*%[9]d+%[6]d]
row := p[s*%[2]d : (s+1)*%[2]d]
for t := range row[:%[20]s] {
kr := kb[t*%[6]d : t*%[6]d+%[6]d]
var acc float32
for d, x := range qr {
acc += x * kr[d]
}
row[t] = acc
}
}
`
		// A zero weight (masked, or underflowed) is skipped, as the
		// interpreter skips it: 0·Inf would be NaN.
		pv = `yb := y[b*%[17]d+h*%[18]d:]
vb := presv[b*%[15]d+kh*%[16]d:]
for s := 0; s < %[1]d; s++ {
yr := yb[s*%[19]d : s*%[19]d+%[14]d]
clear(yr)
for t, w := range p[s*%[2]d : (s+1)*%[2]d] {
if w == 0 {
continue
}
vr := vb[t*%[14]d : t*%[14]d+%[14]d]
for d := range yr {
yr[d] += w * vr[d]
}
}
}
`
	}
	loop := `p := col[:%[1]d*%[2]d]
for b := 0; b < %[3]d; b++ {
for h := 0; h < %[4]d; h++ {
kh := h / %[5]d
%[20]sfor s := 0; s < %[1]d; s++ {
row := p[s*%[2]d : (s+1)*%[2]d]
m := float32(math.Inf(-1))
for t := range row {
%[12]srow[t] = acc
m = max(m, acc)
}
if math.IsInf(float64(m), -1) {
// A fully masked row weighs nothing, as ONNX's reference has it.
clear(row)
continue
}
var sum float64
for t := range row {
e := expf(row[t] - m)
row[t] = e
sum += float64(e)
}
r := float32(1 / sum)
for t := range row {
row[t] *= r
%[13]s}
}
%[21]s}
}
`
	// The products take the loop's operands.
	loop = strings.Replace(strings.Replace(loop, "%[20]s", qk, 1), "%[21]s", pv, 1)
	loop = strings.Replace(loop, "%[20]s", keys, 1)
	fmt.Fprintf(&b, loop, S, T, B, qh, qh/kvh, D, ql.b, ql.h, ql.s, kvh*T*D, T*D, score.String(), round, Dv, kvh*T*Dv, T*Dv, yl.b, yl.h, yl.s)
	shapes := fmt.Sprintf("Q %v K %v V %v, past %d, %d/%d heads", sh[0], sh[1], sh[2], P, qh, kvh)
	return &kernel{
		in:      in,
		params:  params,
		nout:    3,
		comment: "Attention with a KV cache: " + shapes,
		body:    b.String(),
		shapes:  shapes,
		flops:   int64(2*B*qh*S*T*(D+Dv)) + int64(4*B*qh*S*T),
		gemm:    !small,
		colLen:  S * T,
	}, nil
}

// smallHead is the largest head size whose cached attention products are
// plain loops instead of GEMM calls.
const smallHead = 16

// maskStrides returns the strides of an attention mask of shape ms over
// full ([batch, heads, q_seq, kv_seq]), right aligned, 0 where it
// broadcasts.
func maskStrides(ms, full []int) ([]int, error) {
	if len(ms) > len(full) {
		return nil, fmt.Errorf("Attention mask of rank %d", len(ms))
	}
	strides := make([]int, len(full))
	st := 1
	for i := len(ms) - 1; i >= 0; i-- {
		j := len(full) - len(ms) + i
		switch {
		case ms[i] == full[j]:
			strides[j] = st
		case ms[i] == 1:
		default:
			return nil, fmt.Errorf("Attention mask %v does not broadcast to %v", ms, full)
		}
		st *= ms[i]
	}
	return strides, nil
}
