package interp

import (
	"fmt"
	"math"
	"math/rand"
	"slices"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("BatchNormalization", kernelBatchNorm)
	Register("InstanceNormalization", kernelInstanceNorm)
	Register("LayerNormalization", kernelLayerNorm)
	Register("GroupNormalization", kernelGroupNorm)
	Register("RMSNormalization", kernelRMSNorm)
	Register("RotaryEmbedding", kernelRotaryEmbedding)
	Register("LRN", kernelLRN)
	Register("MeanVarianceNormalization", kernelMVN)
	Register("LpNormalization", kernelLpNorm)
	Register("Dropout", kernelDropout)
}

// nnGroups maps every element of shape to the flat index of its group when
// the dims marked in reduce are collapsed; it returns the mapping, the
// number of groups and the group's element count.
func nnGroups(shape []int, reduce []bool) (group []int, ngroups, size int) {
	kept := append([]int{}, shape...)
	size = 1
	for i, r := range reduce {
		if r {
			size *= shape[i]
			kept[i] = 1
		}
	}
	return BroadcastIndex(kept, shape), NumElements(kept), size
}

// nnMoments returns the mean and the population variance of each group.
func nnMoments(x []float64, group []int, ngroups, size int) (mean, variance []float64) {
	mean = scratch[float64](ngroups)
	variance = scratch[float64](ngroups)
	for i, v := range x {
		mean[group[i]] += v
	}
	for g := range mean {
		mean[g] /= float64(size)
	}
	for i, v := range x {
		d := v - mean[group[i]]
		variance[group[i]] += d * d
	}
	for g := range variance {
		variance[g] /= float64(size)
	}
	return mean, variance
}

// nnChannelParams reads per-channel operands (scale, bias, mean, var) of
// c values each.
func nnChannelParams(ts []*Tensor, c int, names ...string) ([][]float64, error) {
	out := scratch[[]float64](len(ts))
	for i, t := range ts {
		if t.Len() != c {
			return nil, fmt.Errorf("%s has shape %v; want %d values", names[i], t.Shape, c)
		}
		v, err := numericAsF64(t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", names[i], err)
		}
		out[i] = v
	}
	return out, nil
}

func kernelBatchNorm(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 5, 5)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if x.Rank() < 2 {
		return nil, fmt.Errorf("X has rank %d, want at least 2", x.Rank())
	}
	ch := x.Shape[1]
	ps, err := nnChannelParams(ts[1:5], ch, "scale", "B", "input_mean", "input_var")
	if err != nil {
		return nil, err
	}
	scale, bias, mean, variance := ps[0], ps[1], ps[2], ps[3]
	xf, _ := numericAsF64(x)
	inner := NumElements(x.Shape[2:])
	eps := float64(op.Float("epsilon"))
	training := op.Int("training_mode") != 0
	var out []Value
	if training {
		// Batch statistics over N and the spatial dims; the running ones
		// move towards them by (1 - momentum).
		reduce := scratch[bool](x.Rank())
		for i := range reduce {
			reduce[i] = i != 1
		}
		group, ng, size := nnGroups(x.Shape, reduce)
		bm, bv := nnMoments(xf, group, ng, size)
		mom := float64(op.Float("momentum"))
		rm, rv := scratch[float64](ch), scratch[float64](ch)
		for i := range rm {
			rm[i] = mean[i]*mom + bm[i]*(1-mom)
			rv[i] = variance[i]*mom + bv[i]*(1-mom)
		}
		mean, variance = bm, bv
		out = []Value{nil, nnFromFloats(ts[3].DType, ts[3].Shape, rm), nnFromFloats(ts[4].DType, ts[4].Shape, rv)}
	}
	y := scratch[float64](len(xf))
	for i, v := range xf {
		k := (i / inner) % ch
		y[i] = scale[k]*(v-mean[k])/math.Sqrt(variance[k]+eps) + bias[k]
	}
	yt := nnFromFloats(x.DType, x.Shape, y)
	if !training {
		// Outside training the optional outputs are not defined by ONNX;
		// kiln passes the running statistics through.
		return []Value{yt, ts[3], ts[4]}[:max(1, len(op.Results))], nil
	}
	out[0] = yt
	return out[:max(1, len(op.Results))], nil
}

func kernelInstanceNorm(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 3, 3)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if x.Rank() < 3 {
		return nil, fmt.Errorf("input has rank %d, want at least 3", x.Rank())
	}
	ch := x.Shape[1]
	ps, err := nnChannelParams(ts[1:3], ch, "scale", "B")
	if err != nil {
		return nil, err
	}
	xf, _ := numericAsF64(x)
	reduce := scratch[bool](x.Rank())
	for i := 2; i < len(reduce); i++ {
		reduce[i] = true
	}
	group, ng, size := nnGroups(x.Shape, reduce)
	mean, variance := nnMoments(xf, group, ng, size)
	eps := float64(op.Float("epsilon"))
	y := scratch[float64](len(xf))
	for i, v := range xf {
		g := group[i]
		k := g % ch
		y[i] = ps[0][k]*(v-mean[g])/math.Sqrt(variance[g]+eps) + ps[1][k]
	}
	return []Value{nnFromFloats(x.DType, x.Shape, y)}, nil
}

func kernelGroupNorm(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 3, 3)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if x.Rank() < 2 {
		return nil, fmt.Errorf("X has rank %d, want at least 2", x.Rank())
	}
	ch, ng := x.Shape[1], int(op.Int("num_groups"))
	if ng < 1 || ch%ng != 0 {
		return nil, fmt.Errorf("num_groups %d does not divide %d channels", ng, ch)
	}
	ps, err := nnChannelParams(ts[1:3], ch, "scale", "bias")
	if err != nil {
		return nil, err
	}
	xf, _ := numericAsF64(x)
	// A group's channels are adjacent, so each (n, group) is one
	// contiguous run of C/num_groups * spatial elements.
	inner := NumElements(x.Shape[2:])
	size := ch / ng * inner
	if size == 0 {
		return []Value{x.Clone()}, nil
	}
	group := scratch[int](len(xf))
	for i := range group {
		group[i] = i / size
	}
	mean, variance := nnMoments(xf, group, len(xf)/size, size)
	eps := float64(op.Float("epsilon"))
	y := scratch[float64](len(xf))
	for i, v := range xf {
		g, k := group[i], (i/inner)%ch
		y[i] = ps[0][k]*(v-mean[g])/math.Sqrt(variance[g]+eps) + ps[1][k]
	}
	return []Value{nnFromFloats(x.DType, x.Shape, y)}, nil
}

func kernelRMSNorm(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x, sc := ts[0], ts[1]
	axis, err := ir.NormAxis(op.Int("axis"), x.Rank())
	if err != nil {
		return nil, err
	}
	norm := x.Shape[axis:]
	if b, err := BroadcastShape(sc.Shape, norm); err != nil || !slices.Equal(b, norm) {
		return nil, fmt.Errorf("scale shape %v does not broadcast to the normalized dims %v", sc.Shape, norm)
	}
	scIdx := BroadcastIndex(sc.Shape, norm)
	sv, err := numericAsF64(sc)
	if err != nil {
		return nil, err
	}
	xf, _ := numericAsF64(x)
	size := NumElements(norm)
	eps := float64(op.Float("epsilon"))
	y := scratch[float64](len(xf))
	for start := 0; start < len(xf) && size > 0; start += size {
		ss := 0.0
		for _, v := range xf[start : start+size] {
			ss += v * v
		}
		inv := 1 / math.Sqrt(ss/float64(size)+eps)
		for j, v := range xf[start : start+size] {
			y[start+j] = v * inv * sv[scIdx[j]]
		}
	}
	return []Value{nnFromFloats(sc.DType, x.Shape, y)}, nil
}

// kernelRotaryEmbedding is RotaryEmbedding-23. For each batch b, position
// s and head h, the head's first rd features are rotated in pairs (x1, x2)
// (the two halves, or even and odd features when interleaved) by the
// angle whose cosine and sine are the caches' row for (b, s), or for
// position_ids[b, s] when given: x1' = cos*x1 - sin*x2, x2' = sin*x1 +
// cos*x2. The other features pass through.
func kernelRotaryEmbedding(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 3, 4)
	if err != nil {
		return nil, err
	}
	x, cosT, sinT, pos := ts[0], ts[1], ts[2], ts[3]
	if err := nnFloatDType(x.DType); err != nil {
		return nil, err
	}
	var nb, ns, nh, hd int
	switch x.Rank() {
	case 4: // [B, H, S, D]
		nb, nh, ns, hd = x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	case 3: // [B, S, H*D]
		nb, ns = x.Shape[0], x.Shape[1]
		nh = int(op.Int("num_heads"))
		if nh < 1 || x.Shape[2]%nh != 0 {
			return nil, fmt.Errorf("X %v is 3-D: num_heads (%d) must divide its last dim", x.Shape, nh)
		}
		hd = x.Shape[2] / nh
	default:
		return nil, fmt.Errorf("X has shape %v, want [B,H,S,D] or [B,S,H*D]", x.Shape)
	}
	rd := int(op.Int("rotary_embedding_dim"))
	if rd == 0 {
		rd = hd
	}
	if rd > hd || rd%2 != 0 {
		return nil, fmt.Errorf("rotary_embedding_dim %d: want an even number up to the head size %d", rd, hd)
	}
	half := rd / 2
	var posv []int64
	if pos != nil {
		if posv, err = tensorInt64s(pos, "position_ids"); err != nil {
			return nil, err
		}
		if pos.Rank() != 2 || pos.Shape[0] != nb || pos.Shape[1] != ns {
			return nil, fmt.Errorf("position_ids has shape %v, want [%d, %d]", pos.Shape, nb, ns)
		}
		if cosT.Rank() != 2 || fmt.Sprint(cosT.Shape) != fmt.Sprint(sinT.Shape) || cosT.Shape[1] != half {
			return nil, fmt.Errorf("with position_ids, cos_cache and sin_cache must be [max_position, %d], not %v and %v", half, cosT.Shape, sinT.Shape)
		}
	} else if cosT.Rank() != 3 || fmt.Sprint(cosT.Shape) != fmt.Sprint(sinT.Shape) || cosT.Shape[0] != nb || cosT.Shape[1] != ns || cosT.Shape[2] != half {
		return nil, fmt.Errorf("without position_ids, cos_cache and sin_cache must be [%d, %d, %d], not %v and %v", nb, ns, half, cosT.Shape, sinT.Shape)
	}
	xf, _ := numericAsF64(x)
	cf, err := numericAsF64(cosT)
	if err != nil {
		return nil, err
	}
	sf, err := numericAsF64(sinT)
	if err != nil {
		return nil, err
	}
	inter := op.Int("interleaved") != 0
	y := scratch[float64](len(xf))
	copy(y, xf)
	for b := range nb {
		for s := range ns {
			row := b*ns + s
			if posv != nil {
				p := posv[row]
				if p < 0 || p >= int64(cosT.Shape[0]) {
					return nil, fmt.Errorf("position_ids[%d][%d] = %d is outside the caches' %d rows", b, s, p, cosT.Shape[0])
				}
				row = int(p)
			}
			cr, sr := cf[row*half:(row+1)*half], sf[row*half:(row+1)*half]
			for h := range nh {
				base := ((b*nh+h)*ns + s) * hd // [B,H,S,D]
				if x.Rank() == 3 {
					base = (b*ns+s)*nh*hd + h*hd
				}
				for i := range half {
					i1, i2 := base+i, base+i+half
					if inter {
						i1, i2 = base+2*i, base+2*i+1
					}
					x1, x2 := xf[i1], xf[i2]
					y[i1] = cr[i]*x1 - sr[i]*x2
					y[i2] = sr[i]*x1 + cr[i]*x2
				}
			}
		}
	}
	return []Value{nnFromFloats(x.DType, x.Shape, y)}, nil
}

func kernelLayerNorm(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 2, 3)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	axis, err := ir.NormAxis(op.Int("axis"), x.Rank())
	if err != nil {
		return nil, err
	}
	norm := x.Shape[axis:]
	reduce := scratch[bool](x.Rank())
	for i := axis; i < len(reduce); i++ {
		reduce[i] = true
	}
	group, ng, size := nnGroups(x.Shape, reduce)
	xf, _ := numericAsF64(x)
	mean, variance := nnMoments(xf, group, ng, size)
	eps := float64(op.Float("epsilon"))
	inv := scratch[float64](ng)
	for g := range inv {
		inv[g] = 1 / math.Sqrt(variance[g]+eps)
	}
	// Scale and B broadcast against the normalized dims X[axis:].
	param := func(t *Tensor, what string) ([]float64, []int, error) {
		if t == nil {
			return nil, nil, nil
		}
		if b, err := BroadcastShape(t.Shape, norm); err != nil || !slices.Equal(b, norm) {
			return nil, nil, fmt.Errorf("%s shape %v does not broadcast to the normalized dims %v", what, t.Shape, norm)
		}
		v, err := numericAsF64(t)
		return v, BroadcastIndex(t.Shape, norm), err
	}
	sc, scIdx, err := param(ts[1], "Scale")
	if err != nil {
		return nil, err
	}
	bs, bsIdx, err := param(ts[2], "B")
	if err != nil {
		return nil, err
	}
	y := scratch[float64](len(xf))
	for i, v := range xf {
		g := group[i]
		j := i % size
		y[i] = (v - mean[g]) * inv[g] * sc[scIdx[j]]
		if bs != nil {
			y[i] += bs[bsIdx[j]]
		}
	}
	kept := append([]int{}, x.Shape...)
	for i := axis; i < len(kept); i++ {
		kept[i] = 1
	}
	st := ir.F32
	switch op.Int("stash_type") {
	case 11:
		st = ir.F64
	case 10:
		st = ir.F16
	case 16:
		st = ir.BF16
	}
	out := []Value{nnFromFloats(x.DType, x.Shape, y), nnFromFloats(st, kept, mean), nnFromFloats(st, kept, inv)}
	return out[:max(1, len(op.Results))], nil
}

func kernelLRN(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	size := int(op.Int("size"))
	if size < 1 || x.Rank() < 2 {
		return nil, fmt.Errorf("size %d on input %v: want a positive size and rank >= 2", size, x.Shape)
	}
	alpha, beta, bias := float64(op.Float("alpha")), float64(op.Float("beta")), float64(op.Float("bias"))
	xf, _ := numericAsF64(x)
	ch, inner := x.Shape[1], NumElements(x.Shape[2:])
	// The window runs from c - floor((size-1)/2) to c + ceil((size-1)/2).
	lo, hi := (size-1)/2, size-1-(size-1)/2
	y := scratch[float64](len(xf))
	for i, v := range xf {
		k := (i / inner) % ch
		base := i - k*inner
		sq := 0.0
		for j := max(0, k-lo); j <= min(ch-1, k+hi); j++ {
			u := xf[base+j*inner]
			sq += u * u
		}
		y[i] = v / math.Pow(bias+alpha/float64(size)*sq, beta)
	}
	return []Value{nnFromFloats(x.DType, x.Shape, y)}, nil
}

func kernelMVN(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	axes := op.Ints("axes")
	if axes == nil {
		axes = []int64{0, 2, 3}
	}
	reduce := scratch[bool](x.Rank())
	for _, a := range axes {
		ax, err := ir.NormAxis(a, x.Rank())
		if err != nil {
			return nil, err
		}
		reduce[ax] = true
	}
	group, ng, size := nnGroups(x.Shape, reduce)
	xf, _ := numericAsF64(x)
	mean, variance := nnMoments(xf, group, ng, size)
	y := scratch[float64](len(xf))
	for i, v := range xf {
		// MeanVarianceNormalization-9's function body adds 1e-9 to the
		// standard deviation, not to the variance.
		y[i] = (v - mean[group[i]]) / (math.Sqrt(variance[group[i]]) + 1e-9)
	}
	return []Value{nnFromFloats(x.DType, x.Shape, y)}, nil
}

func kernelLpNorm(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	axis, err := ir.NormAxis(op.Int("axis"), x.Rank())
	if err != nil {
		return nil, err
	}
	p := op.Int("p")
	if p != 1 && p != 2 {
		return nil, fmt.Errorf("p=%d; LpNormalization allows 1 or 2", p)
	}
	reduce := scratch[bool](x.Rank())
	reduce[axis] = true
	group, ng, _ := nnGroups(x.Shape, reduce)
	xf, _ := numericAsF64(x)
	norm := scratch[float64](ng)
	for i, v := range xf {
		if p == 1 {
			norm[group[i]] += math.Abs(v)
		} else {
			norm[group[i]] += v * v
		}
	}
	if p == 2 {
		for g := range norm {
			norm[g] = math.Sqrt(norm[g])
		}
	}
	y := scratch[float64](len(xf))
	for i, v := range xf {
		y[i] = v / norm[group[i]]
	}
	return []Value{nnFromFloats(x.DType, x.Shape, y)}, nil
}

func kernelDropout(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := floatTensorOperands(args, 1, 3)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	ratio := 0.5
	if r := ts[1]; r != nil {
		v, err := numericAsF64(r)
		if err != nil || len(v) != 1 {
			return nil, fmt.Errorf("ratio is %v%v; want a float scalar", r.DType, r.Shape)
		}
		ratio = v[0]
	}
	training := false
	if t := ts[2]; t != nil {
		if t.DType != ir.Bool || t.Len() != 1 {
			return nil, fmt.Errorf("training_mode is %v%v; want a bool scalar", t.DType, t.Shape)
		}
		training = Data[bool](t)[0]
	}
	if ratio < 0 || ratio >= 1 {
		return nil, fmt.Errorf("ratio %g outside [0, 1)", ratio)
	}
	mask := NewTensor(ir.Bool, x.Shape)
	m := Data[bool](mask)
	if !training || ratio == 0 {
		for i := range m {
			m[i] = true
		}
		return []Value{x, mask}[:max(1, len(op.Results))], nil
	}
	rng := c.Rand()
	if op.Has("seed") {
		rng = rand.New(rand.NewSource(op.Int("seed")))
	}
	xf, _ := numericAsF64(x)
	y := scratch[float64](len(xf))
	for i, v := range xf {
		m[i] = rng.Float64() >= ratio
		if m[i] {
			y[i] = v / (1 - ratio)
		}
	}
	return []Value{nnFromFloats(x.DType, x.Shape, y), mask}[:max(1, len(op.Results))], nil
}
