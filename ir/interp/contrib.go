package interp

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

// Kernels of the com.microsoft ops kiln keeps under their own name
// (ir/ops_contrib.go).

func init() {
	Register("com.microsoft.MatMulNBits", kernelMatMulNBits)
	Register("com.microsoft.GroupQueryAttention", kernelGroupQueryAttention)
}

// kernelMatMulNBits multiplies A [..., K] by the transpose of the
// block-quantized B [N, K]. It never expands B: for each output column n it
// dequantizes one block of B's row n at a time into a block_size buffer and
// takes its dot product with the matching slice of each row of A. Each
// dequantized weight is rounded to float32, (code - zero_point) * scale in
// float32 as ONNX Runtime's CPU kernel forms it, and the sums are taken in
// float64. At accuracy_level 4, where ONNX Runtime quantizes A to int8
// (MatMulNBitsInt8), it computes as matMulNBitsInt8 describes instead.
func kernelMatMulNBits(_ *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 3, 5)
	if err != nil {
		return nil, err
	}
	a, b, sc, zpT, biasT := ts[0], ts[1], ts[2], ts[3], ts[4]
	l, err := ir.MatMulNBitsLayout(op)
	if err != nil {
		return nil, err
	}
	if len(a.Shape) == 0 || int64(a.Shape[len(a.Shape)-1]) != l.K {
		return nil, fmt.Errorf("A has shape %v; its last dim must be K=%d", a.Shape, l.K)
	}
	if b.DType != ir.U8 || len(b.Shape) != 3 || int64(b.Shape[0]) != l.N || int64(b.Shape[1]) != l.Blocks || int64(b.Shape[2]) != l.BlobBytes {
		return nil, fmt.Errorf("B is %v%v, want u8[%d,%d,%d] (N, blocks of %d codes, bytes a block)", b.DType, b.Shape, l.N, l.Blocks, l.BlobBytes, l.BlockSize)
	}
	if sc.DType != a.DType || int64(sc.Len()) != l.N*l.Blocks {
		return nil, fmt.Errorf("scales is %v%v, want %d %v values (N=%d by %d blocks)", sc.DType, sc.Shape, l.N*l.Blocks, a.DType, l.N, l.Blocks)
	}
	scales := Data[float32](ToF32(sc))
	codes := Data[uint8](b)
	var zps []uint8
	var zpf []float32
	switch {
	case zpT == nil:
	case zpT.DType == ir.U8:
		if int64(zpT.Len()) != l.N*l.ZeroPointRowBytes {
			return nil, fmt.Errorf("zero_points is %v%v, want %d u8 values (N=%d rows of %d packed bytes)", zpT.DType, zpT.Shape, l.N*l.ZeroPointRowBytes, l.N, l.ZeroPointRowBytes)
		}
		zps = Data[uint8](zpT)
	default:
		if zpT.DType != a.DType || int64(zpT.Len()) != l.N*l.Blocks {
			return nil, fmt.Errorf("zero_points is %v%v, want u8 or %d %v values (N=%d by %d blocks)", zpT.DType, zpT.Shape, l.N*l.Blocks, a.DType, l.N, l.Blocks)
		}
		zpf = Data[float32](ToF32(zpT))
	}
	var bias []float32
	if biasT != nil {
		if biasT.DType != a.DType || int64(biasT.Len()) != l.N || len(biasT.Shape) != 1 {
			return nil, fmt.Errorf("bias is %v%v, want %v[%d]", biasT.DType, biasT.Shape, a.DType, l.N)
		}
		bias = Data[float32](ToF32(biasT))
	}
	K, N := int(l.K), int(l.N)
	rows := a.Len() / K
	outShape := append(append([]int(nil), a.Shape[:len(a.Shape)-1]...), N)
	if _, err := ir.ElemCountInts(outShape); err != nil {
		return nil, err
	}
	av := Data[float32](ToF32(a))
	acc := scratch[float64](rows * N)
	mask := uint8(1)<<l.Bits - 1
	perByte := 8 / int(l.Bits)
	// zeroPoint is the integer zero point of block blk of row n of B.
	zeroPoint := func(n, blk int) uint8 {
		if zps == nil {
			return uint8(1) << (l.Bits - 1)
		}
		// Zero points pack like codes: ceil(blocks*bits/8) bytes a row,
		// low bits first.
		i := blk / perByte
		return zps[n*int(l.ZeroPointRowBytes)+i] >> (uint(blk%perByte) * uint(l.Bits)) & mask
	}
	if MatMulNBitsInt8(op) {
		matMulNBitsInt8(l, av, rows, codes, scales, zeroPoint, acc)
	} else {
		matMulNBitsFloat(l, av, rows, codes, scales, zpf, zeroPoint, acc)
	}
	if bias != nil {
		for r := 0; r < rows; r++ {
			for n := range N {
				acc[r*N+n] += float64(bias[n])
			}
		}
	}
	return []Value{nnFromFloats(a.DType, outShape, acc)}, nil
}

// MatMulNBitsInt8 reports whether op (a com.microsoft.MatMulNBits) is
// computed with A quantized to int8, as ONNX Runtime 1.30's CPU kernel
// computes accuracy_level 4 on x86-64 (measured against it): B a constant
// (ONNX Runtime packs B for its int8 kernels only when it is an
// initializer), zero points absent or packed integers (float ones are never
// packed), and bits 4 or 8 with any block size up to 256 or bits 2 with
// blocks of 32, 64 or 128. Everywhere else, and at levels 0 to 3, ONNX
// Runtime falls back to float and kiln computes at full precision.
func MatMulNBitsInt8(op *ir.Op) bool {
	if op.Int("accuracy_level") != 4 || !op.Arg(1).IsConst() {
		return false
	}
	if zp := op.Arg(3); zp != nil && zp.Type.DType.IsFloat() {
		return false
	}
	switch bits, bs := op.Int("bits"), op.Int("block_size"); bits {
	case 2:
		return bs >= 32 && bs <= 128
	case 4, 8:
		return bs <= 256
	}
	return false
}

// matMulNBitsFloat adds A times the transpose of B into acc [rows, N] at
// full precision: each block of B dequantized to float32, (code -
// zero_point) * scale, and multiplied in float64.
func matMulNBitsFloat(l ir.NBitsLayout, av []float32, rows int, codes []uint8, scales, zpf []float32, zeroPoint func(n, blk int) uint8, acc []float64) {
	K, N, bs := int(l.K), int(l.N), int(l.BlockSize)
	w := scratch[float32](bs)
	mask := uint8(1)<<l.Bits - 1
	perByte := 8 / int(l.Bits)
	for n := 0; n < N; n++ {
		for blk := 0; blk < int(l.Blocks); blk++ {
			zp := zeroPoint(n, blk)
			s := scales[n*int(l.Blocks)+blk]
			blob := codes[(n*int(l.Blocks)+blk)*int(l.BlobBytes):][:l.BlobBytes]
			k0 := blk * bs
			kn := min(bs, K-k0) // the last block may be padded past K
			for j := 0; j < kn; j++ {
				q := blob[j/perByte] >> (uint(j%perByte) * uint(l.Bits)) & mask
				if zpf != nil {
					w[j] = (float32(q) - zpf[n*int(l.Blocks)+blk]) * s
				} else {
					w[j] = float32(int32(q)-int32(zp)) * s
				}
			}
			for r := 0; r < rows; r++ {
				row := av[r*K+k0 : r*K+k0+kn]
				sum := 0.0
				for j, x := range row {
					sum += float64(x) * float64(w[j])
				}
				acc[r*N+n] += sum
			}
		}
	}
}

// matMulNBitsInt8 adds A times the transpose of B into acc [rows, N] as
// ONNX Runtime's MLAS computes accuracy_level 4 on x86-64 (its "CompInt8"
// kernels with block sums):
//
//   - Each row of A is cut into blocks of block_size along K (the last one
//     short when K is not a multiple). A block with largest magnitude amax
//     gets the float32 scale sa = amax/127 and is quantized symmetrically
//     (no zero point) to int8 as round-half-even(float32(a * (127/amax))),
//     all zero when amax is 0; its block sum is float32(sa * sum(qa)).
//   - The codes of B stay unsigned (0..15 or 0..255); a block's integer dot
//     product sum(qa * code) is exact in int32 (VNNI dpbusd, no
//     saturation).
//   - The zero point enters through the block sums: y = sum over blocks of
//     float32(sa*sb) * dot + sum over blocks of sumA * float32(-sb*zp),
//     which equals sum(sa*sb*qa*(code - zp)).
//
// MLAS accumulates these terms in float32, in an order set by its SIMD
// lanes; kiln forms the same rounded terms and sums them in float64, so the
// two differ by float32 rounding of the sums only.
func matMulNBitsInt8(l ir.NBitsLayout, av []float32, rows int, codes []uint8, scales []float32, zeroPoint func(n, blk int) uint8, acc []float64) {
	K, N, bs, blocks := int(l.K), int(l.N), int(l.BlockSize), int(l.Blocks)
	qa := scratch[int8](rows * blocks * bs)
	sa := scratch[float32](rows * blocks)
	sumA := scratch[float32](rows * blocks)
	for r := 0; r < rows; r++ {
		for blk := 0; blk < blocks; blk++ {
			k0 := blk * bs
			kn := min(bs, K-k0)
			i := r*blocks + blk
			sa[i], sumA[i] = quantizeInt8Block(av[r*K+k0:r*K+k0+kn], qa[i*bs:i*bs+kn])
		}
	}
	mask := uint8(1)<<l.Bits - 1
	perByte := 8 / int(l.Bits)
	qb := scratch[int32](bs)
	for n := 0; n < N; n++ {
		for blk := 0; blk < blocks; blk++ {
			sb := scales[n*blocks+blk]
			zpTerm := float64(float32(-sb * float32(zeroPoint(n, blk))))
			blob := codes[(n*blocks+blk)*int(l.BlobBytes):][:l.BlobBytes]
			kn := min(bs, K-blk*bs)
			for j := 0; j < kn; j++ {
				qb[j] = int32(blob[j/perByte] >> (uint(j%perByte) * uint(l.Bits)) & mask)
			}
			for r := 0; r < rows; r++ {
				i := r*blocks + blk
				q := qa[i*bs : i*bs+kn]
				var dot int32
				for j, x := range q {
					dot += int32(x) * qb[j]
				}
				combined := float32(sa[i] * sb)
				acc[r*N+n] += float64(dot)*float64(combined) + float64(sumA[i])*zpTerm
			}
		}
	}
}

// quantizeInt8Block quantizes one block of A to int8 into q as MLAS's
// QuantizeARow for CompInt8 does and returns the block's scale and its
// scaled sum float32(scale * sum(q)). Products and quotients are rounded to
// float32 one at a time (explicit conversions keep them from fusing).
func quantizeInt8Block(a []float32, q []int8) (scale, sum float32) {
	var amax float32
	for _, x := range a {
		if ax := float32(math.Abs(float64(x))); ax > amax {
			amax = ax
		}
	}
	scale = float32(amax / 127)
	var inv float32
	if amax != 0 {
		inv = float32(127 / amax)
	}
	var s int32
	for j, x := range a {
		v := math.RoundToEven(float64(float32(x * inv)))
		// The conversion to int32 gives 0x80000000 for NaN and values out
		// of range, whose low byte (MLAS keeps the low byte) is 0.
		var b int8
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			b = int8(int32(v))
		}
		q[j] = b
		s += int32(b)
	}
	return scale, float32(scale * float32(s))
}

// gqaScalarInt reads total_sequence_length: one int32 value.
func gqaScalarInt(t *Tensor, what string) (int, error) {
	v, err := tensorInt64s(t, what)
	if err != nil {
		return 0, err
	}
	if len(v) != 1 {
		return 0, fmt.Errorf("%s has shape %v, want one value", what, t.Shape)
	}
	return int(v[0]), nil
}

// kernelGroupQueryAttention computes com.microsoft.GroupQueryAttention
// (ir/ops_contrib.go) in float64: per batch row b, total_b =
// seqlens_k[b] + 1 and past_b = total_b - S (0 on the first prompt, S ==
// total_sequence_length > 1); the present caches take past_b positions of
// the past and then the S new keys and values (rotated when do_rotary, as
// the queries, at positions past_b + s); query s attends to keys
// 0..past_b+s, the last local_window_size of them when that is positive,
// with scores scaled, softcapped and biased, then softmax.
func kernelGroupQueryAttention(_ *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 1, 10)
	if err != nil {
		return nil, err
	}
	nq, nkv := int(op.Int("num_heads")), int(op.Int("kv_num_heads"))
	if nq < 1 || nkv < 1 || nq%nkv != 0 {
		return nil, fmt.Errorf("num_heads %d and kv_num_heads %d: need num_heads a multiple of kv_num_heads", nq, nkv)
	}
	q := ts[0]
	if q.Rank() != 3 {
		return nil, fmt.Errorf("query has shape %v, want [B,S,hidden]", q.Shape)
	}
	B, S := q.Shape[0], q.Shape[1]
	if nq > q.Shape[2] || nkv > q.Shape[2] {
		return nil, fmt.Errorf("query has shape %v: fewer features than num_heads %d or kv_num_heads %d", q.Shape, nq, nkv)
	}
	packed := ts[1] == nil
	per := nq
	if packed {
		per = nq + 2*nkv
	}
	if ts[1] == nil != (ts[2] == nil) {
		return nil, fmt.Errorf("key and value must be given together")
	}
	if q.Shape[2]%per != 0 {
		return nil, fmt.Errorf("query has shape %v: its last dim is not a multiple of %d heads", q.Shape, per)
	}
	H := q.Shape[2] / per
	qv, err := numericAsF64(q)
	if err != nil {
		return nil, err
	}
	// q, k, v element accessors over [B,S,heads*H] rows.
	qAt := func(b, s, h, d int) float64 { return qv[(b*S+s)*per*H+h*H+d] }
	var kAt, vAt func(b, s, h, d int) float64
	if packed {
		kAt = func(b, s, h, d int) float64 { return qv[(b*S+s)*per*H+(nq+h)*H+d] }
		vAt = func(b, s, h, d int) float64 { return qv[(b*S+s)*per*H+(nq+nkv+h)*H+d] }
	} else {
		for i, what := range []string{"key", "value"} {
			if t := ts[1+i]; t.Rank() != 3 || t.Shape[0] != B || t.Shape[1] != S || t.Shape[2] != nkv*H {
				return nil, fmt.Errorf("%s has shape %v, want [%d,%d,%d]", what, t.Shape, B, S, nkv*H)
			}
		}
		kv, err := numericAsF64(ts[1])
		if err != nil {
			return nil, err
		}
		vv, err := numericAsF64(ts[2])
		if err != nil {
			return nil, err
		}
		kAt = func(b, s, h, d int) float64 { return kv[(b*S+s)*nkv*H+h*H+d] }
		vAt = func(b, s, h, d int) float64 { return vv[(b*S+s)*nkv*H+h*H+d] }
	}
	past := 0
	var pk, pv []float64
	if (ts[3] == nil) != (ts[4] == nil) {
		return nil, fmt.Errorf("past_key and past_value must be given together")
	}
	if ts[3] != nil {
		for i, what := range []string{"past_key", "past_value"} {
			t := ts[3+i]
			if t.Rank() != 4 || t.Shape[0] != B || t.Shape[1] != nkv || t.Shape[3] != H || t.Shape[2] != ts[3].Shape[2] {
				return nil, fmt.Errorf("%s has shape %v, want [%d,%d,past,%d]", what, t.Shape, B, nkv, H)
			}
		}
		past = ts[3].Shape[2]
		if pk, err = numericAsF64(ts[3]); err != nil {
			return nil, err
		}
		if pv, err = numericAsF64(ts[4]); err != nil {
			return nil, err
		}
	}
	if ts[5] == nil || ts[6] == nil {
		return nil, fmt.Errorf("seqlens_k and total_sequence_length are required")
	}
	seqlens, err := tensorInt64s(ts[5], "seqlens_k")
	if err != nil {
		return nil, err
	}
	if len(seqlens) != B {
		return nil, fmt.Errorf("seqlens_k has shape %v, want [%d]", ts[5].Shape, B)
	}
	total, err := gqaScalarInt(ts[6], "total_sequence_length")
	if err != nil {
		return nil, err
	}
	if total < 1 || total > max(past, 0)+S && total > S {
		return nil, fmt.Errorf("total_sequence_length %d is outside 1..past %d + sequence %d", total, past, S)
	}
	T := max(total, past)
	firstPrompt := S > 1 && S == total
	pastOf := make([]int, B)
	for b, l := range seqlens {
		tb := int(l) + 1
		if tb < 1 || tb > T {
			return nil, fmt.Errorf("seqlens_k[%d] = %d: the row's length %d is outside 1..%d", b, l, tb, T)
		}
		if !firstPrompt {
			pastOf[b] = tb - S
			if pastOf[b] < 0 || pastOf[b] > past {
				return nil, fmt.Errorf("seqlens_k[%d] = %d: the row's past length %d is outside 0..%d (past_key's length)", b, l, pastOf[b], past)
			}
		} else if tb > S {
			return nil, fmt.Errorf("seqlens_k[%d] = %d exceeds the prompt length %d", b, l, S)
		}
	}
	// Rotary tables.
	rotary := op.Int("do_rotary") != 0
	var cosT, sinT []float64
	half := 0
	if rotary {
		c, s := ts[7], ts[8]
		if c == nil || s == nil || c.Rank() != 2 || fmt.Sprint(c.Shape) != fmt.Sprint(s.Shape) || 2*c.Shape[1] > H || c.Shape[1] < 1 {
			return nil, fmt.Errorf("do_rotary needs cos_cache and sin_cache of one shape [max_position, rotary_dim/2] with rotary_dim <= head size %d", H)
		}
		half = c.Shape[1]
		if cosT, err = numericAsF64(c); err != nil {
			return nil, err
		}
		if sinT, err = numericAsF64(s); err != nil {
			return nil, err
		}
	}
	interleaved := op.Int("rotary_interleaved") != 0
	rotate := func(x []float64, pos int) error {
		if !rotary {
			return nil
		}
		if pos*half >= len(cosT) {
			return fmt.Errorf("position %d is past the rotary caches' %d rows", pos, len(cosT)/half)
		}
		for i := 0; i < half; i++ {
			i1, i2 := i, i+half
			if interleaved {
				i1, i2 = 2*i, 2*i+1
			}
			c, s := cosT[pos*half+i], sinT[pos*half+i]
			x1, x2 := x[i1], x[i2]
			x[i1], x[i2] = x1*c-x2*s, x2*c+x1*s
		}
		return nil
	}
	// The present caches, with the new keys rotated.
	if _, err := ir.ElemCountInts([]int{B, nkv, T, H}); err != nil {
		return nil, err
	}
	presK := scratch[float64](B * nkv * T * H)
	presV := scratch[float64](B * nkv * T * H)
	row := scratch[float64](H)
	for b := 0; b < B; b++ {
		for h := 0; h < nkv; h++ {
			for p := 0; p < pastOf[b]; p++ {
				src := ((b*nkv+h)*past + p) * H
				dst := ((b*nkv+h)*T + p) * H
				copy(presK[dst:dst+H], pk[src:src+H])
				copy(presV[dst:dst+H], pv[src:src+H])
			}
			for s := 0; s < S; s++ {
				pos := pastOf[b] + s
				if pos >= T {
					break
				}
				for d := 0; d < H; d++ {
					row[d] = kAt(b, s, h, d)
					presV[((b*nkv+h)*T+pos)*H+d] = vAt(b, s, h, d)
				}
				if err := rotate(row, pos); err != nil {
					return nil, err
				}
				copy(presK[((b*nkv+h)*T+pos)*H:], row)
			}
		}
	}
	// The bias, broadcast to [B, num_heads, S, T].
	var bias []float64
	var biasIdx []int
	if t := ts[9]; t != nil {
		target := []int{B, nq, S, T}
		if t.Rank() != 4 || t.Shape[3] != T {
			return nil, fmt.Errorf("attention_bias has shape %v, want [B or 1, num_heads or 1, %d, %d]", t.Shape, S, T)
		}
		if bs, err := BroadcastShape(t.Shape, target); err != nil || fmt.Sprint(bs) != fmt.Sprint(target) {
			return nil, fmt.Errorf("attention_bias %v does not broadcast to %v", t.Shape, target)
		}
		biasIdx = BroadcastIndex(t.Shape, target)
		if bias, err = numericAsF64(t); err != nil {
			return nil, err
		}
	}
	scale := float64(op.Float("scale"))
	if scale == 0 {
		scale = 1 / math.Sqrt(float64(H))
	}
	softcap := float64(op.Float("softcap"))
	window := int(op.Int("local_window_size"))
	group := nq / nkv
	out := scratch[float64](B * S * nq * H)
	qrow := scratch[float64](H)
	scores := scratch[float64](T)
	for b := 0; b < B; b++ {
		for h := 0; h < nq; h++ {
			kh := h / group
			for s := 0; s < S; s++ {
				pos := pastOf[b] + s
				last := min(pos, int(seqlens[b]))
				first := 0
				if window > 0 {
					first = max(0, pos-window+1)
				}
				if last < first {
					continue // no key to attend to: zeros
				}
				for d := 0; d < H; d++ {
					qrow[d] = qAt(b, s, h, d)
				}
				if err := rotate(qrow, pos); err != nil {
					return nil, err
				}
				mx := math.Inf(-1)
				for j := first; j <= last; j++ {
					dot := 0.0
					for d := 0; d < H; d++ {
						dot += qrow[d] * presK[((b*nkv+kh)*T+j)*H+d]
					}
					x := dot * scale
					if softcap > 0 {
						x = softcap * math.Tanh(x/softcap)
					}
					if bias != nil {
						x += bias[biasIdx[((b*nq+h)*S+s)*T+j]]
					}
					scores[j] = x
					mx = max(mx, x)
				}
				sum := 0.0
				for j := first; j <= last; j++ {
					scores[j] = math.Exp(scores[j] - mx)
					sum += scores[j]
				}
				o := out[((b*S+s)*nq+h)*H:][:H]
				for j := first; j <= last; j++ {
					w := scores[j] / sum
					for d := 0; d < H; d++ {
						o[d] += w * presV[((b*nkv+kh)*T+j)*H+d]
					}
				}
			}
		}
	}
	d := q.DType
	return []Value{nnFromFloats(d, []int{B, S, nq * H}, out), nnFromFloats(d, []int{B, nkv, T, H}, presK),
		nnFromFloats(d, []int{B, nkv, T, H}, presV)}, nil
}
