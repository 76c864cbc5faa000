package onnx

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// The com.microsoft domain: the ops ONNX Runtime's exporters, optimizer and
// quantization tools write (its contrib operators, all at domain version 1).
// Per the namespace policy (docs/ir.md) each becomes default-domain ops
// where that is exact, and a com.microsoft.* kiln op otherwise
// (ir/ops_contrib.go).
const domainMicrosoft = "com.microsoft"

func init() {
	for op, conv := range map[string]convertFunc{
		"Gelu":                             convMSGelu,
		"FastGelu":                         convMSFastGelu,
		"BiasGelu":                         convMSBiasGelu,
		"QuickGelu":                        convMSQuickGelu,
		"BiasAdd":                          convMSBiasAdd,
		"SkipLayerNormalization":           convMSSkipLayerNorm,
		"SkipSimplifiedLayerNormalization": convMSSkipSimplifiedLayerNorm,
		"FusedMatMul":                      convMSFusedMatMul,
		"MatMulNBits":                      convMSMatMulNBits,
		"MatMulIntegerToFloat":             convMSMatMulIntegerToFloat,
		"DynamicQuantizeMatMul":            convMSDynamicQuantizeMatMul,
		"RotaryEmbedding":                  convMSRotaryEmbedding,
		"EmbedLayerNormalization":          convMSEmbedLayerNorm,
		"MultiHeadAttention":               convMSMultiHeadAttention,
		"Attention":                        convMSAttention,
		"GroupQueryAttention":              convMSGroupQueryAttention,
	} {
		registerDomain(domainMicrosoft, op, 1, 0, conv)
	}
	// ONNX Runtime declares SimplifiedLayerNormalization in the default
	// domain (version 1, beside its LayerNormalization), not in
	// com.microsoft: models carry it there.
	register("SimplifiedLayerNormalization", 1, 0, convMSSimplifiedLayerNorm)
}

// msAttrs refuses every attribute of n not in known, naming them all: a
// lowering reads its attributes one by one, so an attribute it does not
// read would otherwise be ignored silently.
func msAttrs(n *node, known ...string) error {
	var bad []string
	for _, a := range n.proto.Attribute {
		if !slices.Contains(known, a.GetName()) {
			bad = append(bad, a.GetName())
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("unknown attribute(s) %s (known: %s)", strings.Join(bad, ", "), strings.Join(known, ", "))
}

// msInputs checks that n has inputs named in need (by position) and none
// past len(names); names label them in errors.
func msInputs(n *node, names []string, need ...int) error {
	if len(n.Inputs) > len(names) {
		return fmt.Errorf("has %d inputs, the op takes at most %d (%s)", len(n.Inputs), len(names), strings.Join(names, ", "))
	}
	for _, i := range need {
		if n.In(i) == nil {
			return fmt.Errorf("input %d (%s) is required", i, names[i])
		}
	}
	return nil
}

// msOutputs refuses outputs of n at the positions given (requested by the
// model, that is, named) with the reason why.
func msOutputs(n *node, names []string, why string, refused ...int) error {
	for _, i := range refused {
		if i < n.Outputs && n.proto.Output[i] != "" {
			return fmt.Errorf("output %d (%s) is not supported: %s", i, names[i], why)
		}
	}
	if n.Outputs > len(names) {
		return fmt.Errorf("has %d outputs, the op has at most %d (%s)", n.Outputs, len(names), strings.Join(names, ", "))
	}
	return nil
}

// msRank checks an input's rank (when known); what names it in errors.
func msRank(v *ir.Value, what string, ranks ...int) error {
	if v == nil || !v.Type.IsTensor() || !v.Type.Shape.Ranked {
		return nil
	}
	r := v.Type.Shape.Rank()
	if !slices.Contains(ranks, r) {
		return fmt.Errorf("input %s is %v; want rank %v", what, v.Type, ranks)
	}
	return nil
}

// add emits a + b (b nil: a).
func (c *converter) add(a, b *ir.Value) (*ir.Value, error) {
	if b == nil {
		return a, nil
	}
	return c.emit1("Add", []*ir.Value{a, b})
}

// convMSGelu: com.microsoft.Gelu is ONNX's Gelu-20 with the exact (erf)
// form.
func convMSGelu(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n); err != nil {
		return nil, err
	}
	if err := msInputs(n, []string{"X"}, 0); err != nil {
		return nil, err
	}
	return c.emit("Gelu", []*ir.Value{n.In(0)}, nil, 1)
}

// convMSFastGelu: Gelu-20's tanh form of X (+ bias).
func convMSFastGelu(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n); err != nil {
		return nil, err
	}
	if err := msInputs(n, []string{"X", "bias"}, 0); err != nil {
		return nil, err
	}
	x, err := c.add(n.In(0), n.In(1))
	if err != nil {
		return nil, err
	}
	return c.emit("Gelu", []*ir.Value{x}, []ir.Attr{{Name: "approximate", Value: ir.StringAttr("tanh")}}, 1)
}

// convMSBiasGelu: the exact Gelu of A + B.
func convMSBiasGelu(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n); err != nil {
		return nil, err
	}
	if err := msInputs(n, []string{"A", "B"}, 0, 1); err != nil {
		return nil, err
	}
	x, err := c.add(n.In(0), n.In(1))
	if err != nil {
		return nil, err
	}
	return c.emit("Gelu", []*ir.Value{x}, nil, 1)
}

// convMSQuickGelu: X * sigmoid(alpha X) is ONNX's Swish-24 with the same
// alpha (default 1.702 in the contrib spec).
func convMSQuickGelu(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n, "alpha"); err != nil {
		return nil, err
	}
	if err := msInputs(n, []string{"X"}, 0); err != nil {
		return nil, err
	}
	return c.emit("Swish", []*ir.Value{n.In(0)}, []ir.Attr{{Name: "alpha", Value: ir.FloatAttr(n.Float("alpha", 1.702))}}, 1)
}

// convMSBiasAdd: X + bias + skip, X and skip [N,S,C], bias [C].
func convMSBiasAdd(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n); err != nil {
		return nil, err
	}
	if err := msInputs(n, []string{"X", "bias", "skip"}, 0, 1, 2); err != nil {
		return nil, err
	}
	if err := msRank(n.In(0), "X", 3); err != nil {
		return nil, err
	}
	if err := msRank(n.In(1), "bias", 1); err != nil {
		return nil, err
	}
	s, err := c.add(n.In(0), n.In(1))
	if err != nil {
		return nil, err
	}
	return c.emit("Add", []*ir.Value{s, n.In(2)}, nil, 1)
}

// normAttrs are the attributes the lowerings give LayerNormalization and
// RMSNormalization.
func normAttrs(axis int64, eps float32, stash int64) []ir.Attr {
	return []ir.Attr{{Name: "axis", Value: ir.IntAttr(axis)}, {Name: "epsilon", Value: ir.FloatAttr(eps)},
		{Name: "stash_type", Value: ir.IntAttr(stash)}}
}

// invRMS computes 1 / sqrt(mean(x*x over axis..) + epsilon) with the
// reduced dims kept (the inv_std_var output of the simplified norms), in
// x's element type.
func (c *converter) invRMS(x *ir.Value, axis int64, eps float32) (*ir.Value, error) {
	if !x.Type.Shape.Ranked {
		return nil, fmt.Errorf("inv_std_var needs the input's rank")
	}
	r := int64(x.Type.Shape.Rank())
	a, err := ir.NormAxis(axis, int(r))
	if err != nil {
		return nil, err
	}
	var axes []int64
	for i := int64(a); i < r; i++ {
		axes = append(axes, i)
	}
	sq, err := c.emit1("Mul", []*ir.Value{x, x})
	if err != nil {
		return nil, err
	}
	loc := strings.TrimPrefix(string(c.cur.loc()), "#")
	m, err := c.emit1("ReduceMean", []*ir.Value{sq, c.constI64(loc+".axes", []int64{int64(len(axes))}, axes)},
		ir.Attr{Name: "keepdims", Value: ir.IntAttr(1)})
	if err != nil {
		return nil, err
	}
	e, err := c.constFloatAs(loc+".epsilon", x.Type.DType, float64(eps))
	if err != nil {
		return nil, err
	}
	if m, err = c.emit1("Add", []*ir.Value{m, e}); err != nil {
		return nil, err
	}
	if m, err = c.emit1("Sqrt", []*ir.Value{m}); err != nil {
		return nil, err
	}
	return c.emit1("Reciprocal", []*ir.Value{m})
}

// convMSSimplifiedLayerNorm: RMSNormalization-23 with the same axis,
// epsilon and stash_type; the optional inv_std_var output is computed
// beside it.
func convMSSimplifiedLayerNorm(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n, "axis", "epsilon", "stash_type"); err != nil {
		return nil, err
	}
	if err := msInputs(n, []string{"X", "scale"}, 0, 1); err != nil {
		return nil, err
	}
	if err := msOutputs(n, []string{"Y", "inv_std_var"}, ""); err != nil {
		return nil, err
	}
	axis, eps := n.Int("axis", -1), n.Float("epsilon", 1e-5)
	y, err := c.emit("RMSNormalization", []*ir.Value{n.In(0), n.In(1)}, normAttrs(axis, eps, n.Int("stash_type", 1)), 1)
	if err != nil || n.Outputs < 2 || n.proto.Output[1] == "" {
		return y, err
	}
	inv, err := c.invRMS(n.In(0), axis, eps)
	if err != nil {
		return nil, err
	}
	return []*ir.Value{y[0], inv}, nil
}

var skipNormOutputs = []string{"output", "mean", "inv_std_var", "input_skip_bias_sum"}

// skipSum is input + skip (+ bias), the skip connection the Skip*Norm ops
// normalize: input [B,S,H]; skip [B,S,H], [1,S,H] or [S,H] (broadcast);
// bias [H].
func (c *converter) skipSum(n *node, bias *ir.Value) (*ir.Value, error) {
	if err := msRank(n.In(0), "input", 3); err != nil {
		return nil, err
	}
	if err := msRank(n.In(1), "skip", 2, 3); err != nil {
		return nil, err
	}
	s, err := c.emit1("Add", []*ir.Value{n.In(0), n.In(1)})
	if err != nil {
		return nil, err
	}
	return c.add(s, bias)
}

// convMSSkipLayerNorm: LayerNormalization over the last axis of
// input + skip + bias, with gamma and beta; mean and inv_std_var are
// LayerNormalization's own optional outputs, input_skip_bias_sum the sum.
func convMSSkipLayerNorm(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n, "epsilon"); err != nil {
		return nil, err
	}
	if err := msInputs(n, []string{"input", "skip", "gamma", "beta", "bias"}, 0, 1, 2); err != nil {
		return nil, err
	}
	if err := msOutputs(n, skipNormOutputs, ""); err != nil {
		return nil, err
	}
	s, err := c.skipSum(n, n.In(4))
	if err != nil {
		return nil, err
	}
	args := []*ir.Value{s, n.In(2)}
	if n.In(3) != nil {
		args = append(args, n.In(3))
	}
	nres := min(max(n.Outputs, 1), 3)
	outs, err := c.emit("LayerNormalization", args, normAttrs(-1, n.Float("epsilon", 1e-12), 1), nres)
	if err != nil {
		return nil, err
	}
	// outs is the op's own result list: append to a copy.
	return append(slices.Clone(outs), s), nil
}

// convMSSkipSimplifiedLayerNorm: RMSNormalization over the last axis of
// input + skip + bias.
func convMSSkipSimplifiedLayerNorm(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n, "epsilon"); err != nil {
		return nil, err
	}
	if err := msInputs(n, []string{"input", "skip", "gamma", "bias"}, 0, 1, 2); err != nil {
		return nil, err
	}
	if err := msOutputs(n, skipNormOutputs, "the simplified norm has no mean", 1); err != nil {
		return nil, err
	}
	s, err := c.skipSum(n, n.In(3))
	if err != nil {
		return nil, err
	}
	eps := n.Float("epsilon", 1e-12)
	y, err := c.emit1("RMSNormalization", []*ir.Value{s, n.In(2)}, normAttrs(-1, eps, 1)...)
	if err != nil {
		return nil, err
	}
	var inv *ir.Value
	if n.Outputs > 2 && n.proto.Output[2] != "" {
		if inv, err = c.invRMS(s, -1, eps); err != nil {
			return nil, err
		}
	}
	return []*ir.Value{y, nil, inv, s}, nil
}

// transposeLast2 swaps the last two dims of v (rank 2 or more, known).
func (c *converter) transposeLast2(v *ir.Value, what string) (*ir.Value, error) {
	r := v.Type.Shape.Rank()
	if r < 2 {
		return nil, fmt.Errorf("input %s is %v; transposing needs a known rank of 2 or more", what, v.Type)
	}
	perm := make([]int64, r)
	for i := range perm {
		perm[i] = int64(i)
	}
	perm[r-2], perm[r-1] = perm[r-1], perm[r-2]
	return c.emit1("Transpose", []*ir.Value{v}, ir.Attr{Name: "perm", Value: ir.IntsAttr(perm)})
}

// convMSFusedMatMul: alpha * MatMul(A or its transpose, B or its
// transpose), transposing the last two dims. The transBatch forms, which
// move the batch dims into the matrix, are refused.
func convMSFusedMatMul(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n, "alpha", "transA", "transB", "transBatchA", "transBatchB"); err != nil {
		return nil, err
	}
	if err := msInputs(n, []string{"A", "B"}, 0, 1); err != nil {
		return nil, err
	}
	for _, a := range []string{"transBatchA", "transBatchB"} {
		if n.Int(a, 0) != 0 {
			return nil, fmt.Errorf("%s=%d is not supported (only 0)", a, n.Int(a, 0))
		}
	}
	a, b := n.In(0), n.In(1)
	var err error
	if n.Int("transA", 0) != 0 {
		if a, err = c.transposeLast2(a, "A"); err != nil {
			return nil, err
		}
	}
	if n.Int("transB", 0) != 0 {
		if b, err = c.transposeLast2(b, "B"); err != nil {
			return nil, err
		}
	}
	y, err := c.emit1("MatMul", []*ir.Value{a, b})
	if err != nil {
		return nil, err
	}
	alpha := n.Float("alpha", 1)
	if alpha == 1 {
		return []*ir.Value{y}, nil
	}
	k, err := c.constFloatAs(string(n.loc())+".alpha", y.Type.DType, float64(alpha))
	if err != nil {
		return nil, err
	}
	return c.emit("Mul", []*ir.Value{y, k}, nil, 1)
}

// convMSMatMulNBits keeps the op with its packed blocks
// (com.microsoft.MatMulNBits); g_idx is refused.
func convMSMatMulNBits(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n, "K", "N", "bits", "block_size", "accuracy_level"); err != nil {
		return nil, err
	}
	if err := msInputs(n, []string{"A", "B", "scales", "zero_points", "g_idx", "bias"}, 0, 1, 2); err != nil {
		return nil, err
	}
	if n.In(4) != nil {
		return nil, fmt.Errorf("input 4 (g_idx) is not supported: kiln reads blocks in K order only (act-order g_idx is deprecated in the contrib spec)")
	}
	if b := n.In(1); b.Type.IsTensor() && b.Type.DType != ir.U8 {
		return nil, fmt.Errorf("input 1 (B) is %v: only uint8 blocks are supported", b.Type)
	}
	if bits := n.Int("bits", 4); bits != 2 && bits != 4 && bits != 8 {
		return nil, fmt.Errorf("bits=%d is not supported (2, 4 or 8)", bits)
	}
	args := []*ir.Value{n.In(0), n.In(1), n.In(2), n.In(3), n.In(5)}
	for len(args) > 3 && args[len(args)-1] == nil {
		args = args[:len(args)-1]
	}
	return c.directAs(n, "com.microsoft.MatMulNBits", args)
}

// scaleProduct emits Cast(prod, to) * a_scale * b_scale (+ bias): the
// float epilogue of the integer matmul ops. The two scales are multiplied
// first, as ONNX Runtime forms one scale per output column.
func (c *converter) scaleProduct(prod, aScale, bScale, bias *ir.Value) (*ir.Value, error) {
	d := aScale.Type.DType
	f, err := c.emit1("Cast", []*ir.Value{prod}, ir.Attr{Name: "to", Value: ir.DTypeAttr(d)})
	if err != nil {
		return nil, err
	}
	s, err := c.emit1("Mul", []*ir.Value{aScale, bScale})
	if err != nil {
		return nil, err
	}
	y, err := c.emit1("Mul", []*ir.Value{f, s})
	if err != nil {
		return nil, err
	}
	return c.add(y, bias)
}

// convMSMatMulIntegerToFloat: MatMulInteger of A and B with their zero
// points, cast to the scales' type and scaled by a_scale * b_scale (+ bias).
func convMSMatMulIntegerToFloat(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n); err != nil {
		return nil, err
	}
	names := []string{"A", "B", "a_scale", "b_scale", "a_zero_point", "b_zero_point", "bias"}
	if err := msInputs(n, names, 0, 1, 2, 3); err != nil {
		return nil, err
	}
	if err := msRank(n.In(2), "a_scale", 0, 1); err != nil {
		return nil, err
	}
	if err := msRank(n.In(3), "b_scale", 0, 1); err != nil {
		return nil, err
	}
	args := []*ir.Value{n.In(0), n.In(1), n.In(4), n.In(5)}
	for len(args) > 2 && args[len(args)-1] == nil {
		args = args[:len(args)-1]
	}
	p, err := c.emit1("MatMulInteger", args)
	if err != nil {
		return nil, err
	}
	y, err := c.scaleProduct(p, n.In(2), n.In(3), n.In(6))
	if err != nil {
		return nil, err
	}
	return []*ir.Value{y}, nil
}

// convMSDynamicQuantizeMatMul: A quantized by DynamicQuantizeLinear, then
// as MatMulIntegerToFloat with A's computed scale and zero point.
func convMSDynamicQuantizeMatMul(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n); err != nil {
		return nil, err
	}
	if err := msInputs(n, []string{"A", "B", "b_scale", "b_zero_point", "bias"}, 0, 1, 2); err != nil {
		return nil, err
	}
	if err := msRank(n.In(2), "b_scale", 0, 1); err != nil {
		return nil, err
	}
	q, err := c.emit("DynamicQuantizeLinear", []*ir.Value{n.In(0)}, nil, 3)
	if err != nil {
		return nil, err
	}
	args := []*ir.Value{q[0], n.In(1), q[2], n.In(3)}
	if args[3] == nil {
		args = args[:3]
	}
	p, err := c.emit1("MatMulInteger", args)
	if err != nil {
		return nil, err
	}
	y, err := c.scaleProduct(p, q[1], n.In(2), n.In(4))
	if err != nil {
		return nil, err
	}
	return []*ir.Value{y}, nil
}

// convMSRotaryEmbedding: RotaryEmbedding-23 with the inputs reordered.
// The contrib op's position_ids is [B,S], or [1] holding the position of
// the first token, which becomes the [B,S] positions offset + 0..S-1.
// A scale other than 1 and packed batching are refused.
func convMSRotaryEmbedding(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n, "interleaved", "is_packed_batching", "num_heads", "rotary_embedding_dim", "scale"); err != nil {
		return nil, err
	}
	if err := msInputs(n, []string{"input", "position_ids", "cos_cache", "sin_cache"}, 0, 1, 2, 3); err != nil {
		return nil, err
	}
	if s := n.Float("scale", 1); s != 1 {
		return nil, fmt.Errorf("scale=%g is not supported (only 1)", s)
	}
	if p := n.Int("is_packed_batching", 0); p != 0 {
		return nil, fmt.Errorf("is_packed_batching=%d is not supported (only 0)", p)
	}
	x, pos := n.In(0), n.In(1)
	if err := msRank(x, "input", 3, 4); err != nil {
		return nil, err
	}
	if err := msRank(pos, "position_ids", 1, 2); err != nil {
		return nil, err
	}
	if !pos.Type.Shape.Ranked || !x.Type.Shape.Ranked {
		return nil, fmt.Errorf("input and position_ids need known ranks")
	}
	if pos.Type.Shape.Rank() == 1 {
		var err error
		if pos, err = c.positionsFrom(x, pos); err != nil {
			return nil, err
		}
	}
	var attrs []ir.Attr
	for _, a := range []string{"interleaved", "num_heads", "rotary_embedding_dim"} {
		if n.Has(a) {
			attrs = append(attrs, ir.Attr{Name: a, Value: ir.IntAttr(n.Int(a, 0))})
		}
	}
	// The contrib op finds the head count of a 3-D input from the caches
	// (head size 2 * cos_cache's last dim) when num_heads is left out;
	// RotaryEmbedding-23 needs it given.
	if x.Type.Shape.Rank() == 3 && !n.Has("num_heads") && !n.Has("rotary_embedding_dim") {
		cs := n.In(2).Type.Shape
		hidden := x.Type.Shape.Dims[2]
		if !cs.Ranked || cs.Rank() != 2 || !cs.Dims[1].IsStatic() || !hidden.IsStatic() || cs.Dims[1].Size < 1 || hidden.Size%(2*cs.Dims[1].Size) != 0 {
			return nil, fmt.Errorf("a 3-D input without num_heads needs a static hidden size that is a multiple of 2 * cos_cache's last dim (input %v, cos_cache %v)", x.Type, n.In(2).Type)
		}
		attrs = append(attrs, ir.Attr{Name: "num_heads", Value: ir.IntAttr(hidden.Size / (2 * cs.Dims[1].Size))})
	}
	return c.emit("RotaryEmbedding", []*ir.Value{x, n.In(2), n.In(3), pos}, attrs, 1)
}

// positionsFrom builds the [B,S] positions offset, offset+1, ... of x
// ([B,S,H] or [B,N,S,H]) from a one-element offset tensor.
func (c *converter) positionsFrom(x, offset *ir.Value) (*ir.Value, error) {
	if d := offset.Type.Shape.Dims[0]; d.IsStatic() && d.Size != 1 {
		return nil, fmt.Errorf("position_ids is %v; a 1-D position_ids holds one start position", offset.Type)
	}
	loc := strings.TrimPrefix(string(c.cur.loc()), "#")
	sdim := int64(1)
	if x.Type.Shape.Rank() == 4 {
		sdim = 2
	}
	shape := func(start, end int64) (*ir.Value, error) {
		return c.emit1("Shape", []*ir.Value{x}, ir.Attr{Name: "start", Value: ir.IntAttr(start)}, ir.Attr{Name: "end", Value: ir.IntAttr(end)})
	}
	sv, err := shape(sdim, sdim+1)
	if err != nil {
		return nil, err
	}
	scalar := c.constI64(loc+".scalar", []int64{0}, nil)
	s, err := c.emit1("Reshape", []*ir.Value{sv, scalar})
	if err != nil {
		return nil, err
	}
	start, err := c.emit1("Reshape", []*ir.Value{offset, scalar})
	if err != nil {
		return nil, err
	}
	limit, err := c.emit1("Add", []*ir.Value{start, s})
	if err != nil {
		return nil, err
	}
	one := c.constI64(loc+".one", nil, []int64{1})
	r, err := c.emit1("Range", []*ir.Value{start, limit, one})
	if err != nil {
		return nil, err
	}
	r, err = c.emit1("Unsqueeze", []*ir.Value{r, c.constI64(loc+".axis0", []int64{1}, []int64{0})})
	if err != nil {
		return nil, err
	}
	bv, err := shape(0, 1)
	if err != nil {
		return nil, err
	}
	to, err := c.emit1("Concat", []*ir.Value{bv, c.constI64(loc+".ones", []int64{1}, []int64{1})}, ir.Attr{Name: "axis", Value: ir.IntAttr(0)})
	if err != nil {
		return nil, err
	}
	return c.emit1("Expand", []*ir.Value{r, to})
}

// convMSEmbedLayerNorm: word, position and segment embeddings gathered and
// summed, then LayerNormalization over the hidden dim; mask_index is the
// number of ones in each row of the mask (mask_index_type 1), and
// embedding_sum the sum before normalization.
func convMSEmbedLayerNorm(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n, "epsilon", "mask_index_type"); err != nil {
		return nil, err
	}
	names := []string{"input_ids", "segment_ids", "word_embedding", "position_embedding", "segment_embedding", "gamma", "beta", "mask", "position_ids"}
	if err := msInputs(n, names, 0, 2, 3, 5, 6); err != nil {
		return nil, err
	}
	if err := msOutputs(n, []string{"output", "mask_index", "embedding_sum"}, ""); err != nil {
		return nil, err
	}
	ids := n.In(0)
	if err := msRank(ids, "input_ids", 2); err != nil {
		return nil, err
	}
	if (n.In(1) == nil) != (n.In(4) == nil) {
		return nil, fmt.Errorf("segment_ids and segment_embedding must be given together")
	}
	wantMask := n.Outputs > 1 && n.proto.Output[1] != ""
	if mit := n.Int("mask_index_type", 1); wantMask && mit != 1 {
		return nil, fmt.Errorf("output 1 (mask_index) is supported only as the per-row count of the mask (mask_index_type 1, here %d)", mit)
	}
	gather := func(table, idx *ir.Value) (*ir.Value, error) {
		return c.emit1("Gather", []*ir.Value{table, idx}, ir.Attr{Name: "axis", Value: ir.IntAttr(0)})
	}
	sum, err := gather(n.In(2), ids)
	if err != nil {
		return nil, err
	}
	pos := n.In(8)
	if pos == nil {
		// Positions 0..S-1, shared by every row.
		loc := strings.TrimPrefix(string(c.cur.loc()), "#")
		sv, err := c.emit1("Shape", []*ir.Value{ids}, ir.Attr{Name: "start", Value: ir.IntAttr(1)}, ir.Attr{Name: "end", Value: ir.IntAttr(2)})
		if err != nil {
			return nil, err
		}
		s, err := c.emit1("Reshape", []*ir.Value{sv, c.constI64(loc+".scalar", []int64{0}, nil)})
		if err != nil {
			return nil, err
		}
		if pos, err = c.emit1("Range", []*ir.Value{c.constI64(loc+".zero", nil, []int64{0}), s, c.constI64(loc+".one", nil, []int64{1})}); err != nil {
			return nil, err
		}
	}
	pe, err := gather(n.In(3), pos)
	if err != nil {
		return nil, err
	}
	if sum, err = c.emit1("Add", []*ir.Value{sum, pe}); err != nil {
		return nil, err
	}
	if n.In(1) != nil {
		se, err := gather(n.In(4), n.In(1))
		if err != nil {
			return nil, err
		}
		if sum, err = c.emit1("Add", []*ir.Value{sum, se}); err != nil {
			return nil, err
		}
	}
	y, err := c.emit1("LayerNormalization", []*ir.Value{sum, n.In(5), n.In(6)}, normAttrs(-1, n.Float("epsilon", 1e-12), 1)...)
	if err != nil {
		return nil, err
	}
	var mask *ir.Value
	if wantMask && n.In(7) == nil {
		// No mask: every row's count is 0, as ONNX Runtime writes it.
		b, err := c.emit1("Shape", []*ir.Value{ids}, ir.Attr{Name: "start", Value: ir.IntAttr(0)}, ir.Attr{Name: "end", Value: ir.IntAttr(1)})
		if err != nil {
			return nil, err
		}
		z, err := c.emit1("ConstantOfShape", []*ir.Value{b})
		if err != nil {
			return nil, err
		}
		if mask, err = c.emit1("Cast", []*ir.Value{z}, ir.Attr{Name: "to", Value: ir.DTypeAttr(ir.I32)}); err != nil {
			return nil, err
		}
	} else if wantMask {
		loc := strings.TrimPrefix(string(c.cur.loc()), "#")
		m, err := c.emit1("ReduceSum", []*ir.Value{n.In(7), c.constI64(loc+".axes", []int64{1}, []int64{1})}, ir.Attr{Name: "keepdims", Value: ir.IntAttr(0)})
		if err != nil {
			return nil, err
		}
		if mask, err = c.emit1("Cast", []*ir.Value{m}, ir.Attr{Name: "to", Value: ir.DTypeAttr(ir.I32)}); err != nil {
			return nil, err
		}
	}
	return []*ir.Value{y, mask, sum}, nil
}

// convMSMultiHeadAttention: Attention-23 in its 3-D form
// (q_num_heads = kv_num_heads = num_heads) when the contrib op's inputs
// have that form: query, key and value [B,S,D] / [B,L,D] with an optional
// packed bias [D+D+Dv] added to each, key_padding_mask [B,L] (1 attends)
// and attention_bias [B or 1, N or 1, S, T] combined into one mask, past
// and present key/value [B,N,P,H], unidirectional as is_causal. Packed QKV,
// cross-attention caches given as key and value [B,N,L,H], the other mask
// layouts and output_qk are refused.
func convMSMultiHeadAttention(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n, "num_heads", "mask_filter_value", "scale", "unidirectional"); err != nil {
		return nil, err
	}
	names := []string{"query", "key", "value", "bias", "key_padding_mask", "attention_bias", "past_key", "past_value", "past_sequence_length", "cache_indirection"}
	if err := msInputs(n, names, 0, 1, 2); err != nil {
		return nil, err
	}
	for _, i := range []int{8, 9} {
		if n.In(i) != nil {
			return nil, fmt.Errorf("input %d (%s) is not supported (decoder-masked form)", i, names[i])
		}
	}
	if err := msOutputs(n, []string{"output", "present_key", "present_value", "qk"}, "kiln does not output the scores", 3); err != nil {
		return nil, err
	}
	if (n.In(6) == nil) != (n.In(7) == nil) {
		return nil, fmt.Errorf("past_key and past_value must be given together")
	}
	for i, w := range []string{"query", "key", "value"} {
		if err := msRank(n.In(i), w, 3); err != nil {
			return nil, err
		}
	}
	heads := n.Int("num_heads", 0)
	if heads < 1 {
		return nil, fmt.Errorf("num_heads=%d: need at least 1", heads)
	}
	q, k, v := n.In(0), n.In(1), n.In(2)
	if !q.Type.Shape.Ranked || !k.Type.Shape.Ranked || !v.Type.Shape.Ranked {
		return nil, fmt.Errorf("query, key and value need known ranks (3)")
	}
	if b := n.In(3); b != nil {
		var err error
		if q, k, v, err = c.addPackedBias(b, q, k, v); err != nil {
			return nil, err
		}
	}
	mask, err := c.attentionMask(n.In(4), n.In(5))
	if err != nil {
		return nil, err
	}
	attrs := []ir.Attr{{Name: "q_num_heads", Value: ir.IntAttr(heads)}, {Name: "kv_num_heads", Value: ir.IntAttr(heads)}}
	if s := n.Float("scale", 0); s != 0 {
		attrs = append(attrs, ir.Attr{Name: "scale", Value: ir.FloatAttr(s)})
	}
	if n.Int("unidirectional", 0) != 0 {
		// ONNX Runtime aligns the causal mask to the end of the keys,
		// Attention-23 to the end of the past: they agree when the new
		// keys are as many as the queries.
		qs, ks := n.In(0).Type.Shape.Dims[1], n.In(1).Type.Shape.Dims[1]
		if !qs.Equal(ks) {
			return nil, fmt.Errorf("unidirectional attention needs as many new keys as queries (query %v, key %v)", n.In(0).Type, n.In(1).Type)
		}
		attrs = append(attrs, ir.Attr{Name: "is_causal", Value: ir.IntAttr(1)})
	}
	args := []*ir.Value{q, k, v, mask, n.In(6), n.In(7)}
	for len(args) > 3 && args[len(args)-1] == nil {
		args = args[:len(args)-1]
	}
	return c.emit("Attention", args, attrs, max(n.Outputs, 1))
}

// addPackedBias adds the slices [0,Dq), [Dq,Dq+Dk), [Dq+Dk,end) of a
// packed bias to q, k and v (whose last dims must be static).
func (c *converter) addPackedBias(b, q, k, v *ir.Value) (*ir.Value, *ir.Value, *ir.Value, error) {
	var dims []int64
	for _, x := range []*ir.Value{q, k, v} {
		s := x.Type.Shape
		if !s.Ranked || !s.Dims[len(s.Dims)-1].IsStatic() {
			return nil, nil, nil, fmt.Errorf("a packed bias needs static hidden sizes (%v)", x.Type)
		}
		dims = append(dims, s.Dims[len(s.Dims)-1].Size)
	}
	if err := msRank(b, "bias", 1); err != nil {
		return nil, nil, nil, err
	}
	if bs := b.Type.Shape; bs.Ranked && bs.Dims[0].IsStatic() && bs.Dims[0].Size != dims[0]+dims[1]+dims[2] {
		return nil, nil, nil, fmt.Errorf("bias is %v; want [%d] (query, key and value hidden sizes)", b.Type, dims[0]+dims[1]+dims[2])
	}
	parts, err := c.emit("Split", []*ir.Value{b, c.constI64(strings.TrimPrefix(string(c.cur.loc()), "#")+".split", []int64{3}, dims)},
		[]ir.Attr{{Name: "axis", Value: ir.IntAttr(0)}}, 3)
	if err != nil {
		return nil, nil, nil, err
	}
	out := []*ir.Value{q, k, v}
	for i := range out {
		if out[i], err = c.emit1("Add", []*ir.Value{out[i], parts[i]}); err != nil {
			return nil, nil, nil, err
		}
	}
	return out[0], out[1], out[2], nil
}

// attentionMask turns a key padding mask [B,T] (non-zero attends) and an
// additive attention bias [B or 1, N or 1, S, T] into Attention-23's one
// mask: the bool padding mask as [B,1,1,T], the bias as is, or both as
// Where(padding, bias, -inf). ONNX Runtime adds mask_filter_value (a large
// negative number) where kiln masks with -inf: the weights agree except in
// a row with every key masked, which kiln gives zero weights.
func (c *converter) attentionMask(pad, bias *ir.Value) (*ir.Value, error) {
	if pad == nil {
		return bias, nil
	}
	if err := msRank(pad, "key_padding_mask", 2); err != nil {
		return nil, err
	}
	if pad.Type.Shape.Rank() != 2 {
		return nil, fmt.Errorf("key_padding_mask is %v; only the [batch, kv length] form is supported", pad.Type)
	}
	loc := strings.TrimPrefix(string(c.cur.loc()), "#")
	m, err := c.emit1("Cast", []*ir.Value{pad}, ir.Attr{Name: "to", Value: ir.DTypeAttr(ir.Bool)})
	if err != nil {
		return nil, err
	}
	if m, err = c.emit1("Unsqueeze", []*ir.Value{m, c.constI64(loc+".mask_axes", []int64{2}, []int64{1, 2})}); err != nil {
		return nil, err
	}
	if bias == nil {
		return m, nil
	}
	inf, err := c.constFloatAs(loc+".neg_inf", bias.Type.DType, math.Inf(-1))
	if err != nil {
		return nil, err
	}
	return c.emit1("Where", []*ir.Value{m, bias, inf})
}

// convMSAttention: the contrib Attention (BERT-style, one input projected
// by a packed [hidden, 3*hidden] weight with bias) as MatMul, Add, Split
// and Attention-23 with num_heads heads. Supported: qkv_hidden_sizes
// (three sizes, Q and K equal), mask_index [B,T] (1 attends), attention_bias,
// unidirectional, scale, the combined past/present state [2,B,N,P,H]
// (split into Attention-23's past key and value, its presents stacked
// back). past_sequence_length, the other mask_index layouts and rotary
// forms are refused.
func convMSAttention(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n, "num_heads", "mask_filter_value", "scale", "unidirectional", "qkv_hidden_sizes"); err != nil {
		return nil, err
	}
	names := []string{"input", "weights", "bias", "mask_index", "past", "attention_bias", "past_sequence_length"}
	if err := msInputs(n, names, 0, 1); err != nil {
		return nil, err
	}
	if n.In(6) != nil {
		return nil, fmt.Errorf("input 6 (past_sequence_length) is not supported")
	}
	if err := msOutputs(n, []string{"output", "present"}, ""); err != nil {
		return nil, err
	}
	if err := msRank(n.In(4), "past", 5); err != nil {
		return nil, err
	}
	if err := msRank(n.In(0), "input", 3); err != nil {
		return nil, err
	}
	if err := msRank(n.In(1), "weights", 2); err != nil {
		return nil, err
	}
	heads := n.Int("num_heads", 0)
	if heads < 1 {
		return nil, fmt.Errorf("num_heads=%d: need at least 1", heads)
	}
	w := n.In(1)
	ws := w.Type.Shape
	if !ws.Ranked || !ws.Dims[1].IsStatic() {
		return nil, fmt.Errorf("weights is %v; its last dim must be static", w.Type)
	}
	sizes := n.Ints("qkv_hidden_sizes")
	if sizes == nil {
		if ws.Dims[1].Size%3 != 0 {
			return nil, fmt.Errorf("weights is %v; its last dim must be 3 * hidden", w.Type)
		}
		h := ws.Dims[1].Size / 3
		sizes = []int64{h, h, h}
	}
	if len(sizes) != 3 || sizes[0] != sizes[1] || sizes[0]+sizes[1]+sizes[2] != ws.Dims[1].Size || sizes[0]%heads != 0 || sizes[2]%heads != 0 || sizes[2] < 1 || sizes[0] < 1 {
		return nil, fmt.Errorf("qkv_hidden_sizes %v do not fit weights %v and %d heads (Q and K sizes equal, each divisible by num_heads)", sizes, w.Type, heads)
	}
	p, err := c.emit1("MatMul", []*ir.Value{n.In(0), w})
	if err != nil {
		return nil, err
	}
	if p, err = c.add(p, n.In(2)); err != nil {
		return nil, err
	}
	loc := strings.TrimPrefix(string(c.cur.loc()), "#")
	qkv, err := c.emit("Split", []*ir.Value{p, c.constI64(loc+".split", []int64{3}, sizes)}, []ir.Attr{{Name: "axis", Value: ir.IntAttr(2)}}, 3)
	if err != nil {
		return nil, err
	}
	mi := n.In(3)
	if mi != nil && mi.Type.Shape.Rank() != 2 {
		return nil, fmt.Errorf("input 3 (mask_index) is %v; only the [batch, total length] mask is supported", mi.Type)
	}
	mask, err := c.attentionMask(mi, n.In(5))
	if err != nil {
		return nil, err
	}
	attrs := []ir.Attr{{Name: "q_num_heads", Value: ir.IntAttr(heads)}, {Name: "kv_num_heads", Value: ir.IntAttr(heads)}}
	if s := n.Float("scale", 0); s != 0 {
		attrs = append(attrs, ir.Attr{Name: "scale", Value: ir.FloatAttr(s)})
	}
	if n.Int("unidirectional", 0) != 0 {
		attrs = append(attrs, ir.Attr{Name: "is_causal", Value: ir.IntAttr(1)})
	}
	args := []*ir.Value{qkv[0], qkv[1], qkv[2], mask}
	past := n.In(4)
	if past == nil {
		if n.Outputs > 1 && n.proto.Output[1] != "" {
			return nil, fmt.Errorf("output 1 (present) needs input 4 (past)")
		}
		for len(args) > 3 && args[len(args)-1] == nil {
			args = args[:len(args)-1]
		}
		return c.emit("Attention", args, attrs, 1)
	}
	// The combined state past [2,B,N,P,H] is past_key and past_value;
	// present is present_key and present_value stacked the same way.
	for i := int64(0); i < 2; i++ {
		pk, err := c.emit1("Gather", []*ir.Value{past, c.constI64(fmt.Sprintf("%s.past%d", loc, i), nil, []int64{i})}, ir.Attr{Name: "axis", Value: ir.IntAttr(0)})
		if err != nil {
			return nil, err
		}
		args = append(args, pk)
	}
	res, err := c.emit("Attention", args, attrs, 3)
	if err != nil {
		return nil, err
	}
	outs := slices.Clone(res) // res is the op's own result list
	axis0 := c.constI64(loc+".axis0", []int64{1}, []int64{0})
	for i := 1; i < 3; i++ {
		if outs[i], err = c.emit1("Unsqueeze", []*ir.Value{outs[i], axis0}); err != nil {
			return nil, err
		}
	}
	present, err := c.emit1("Concat", []*ir.Value{outs[1], outs[2]}, ir.Attr{Name: "axis", Value: ir.IntAttr(0)})
	if err != nil {
		return nil, err
	}
	return []*ir.Value{outs[0], present}, nil
}

// convMSGroupQueryAttention keeps the op (com.microsoft.GroupQueryAttention,
// ir/ops_contrib.go): its per-row sequence lengths (seqlens_k) are data,
// so no fixed Attention-23 node means the same. position_ids, head_sink,
// smooth_softmax and the qk output are refused.
func convMSGroupQueryAttention(c *converter, n *node) ([]*ir.Value, error) {
	if err := msAttrs(n, "num_heads", "kv_num_heads", "scale", "softcap", "local_window_size", "do_rotary", "rotary_interleaved", "smooth_softmax", "qk_output"); err != nil {
		return nil, err
	}
	names := []string{"query", "key", "value", "past_key", "past_value", "seqlens_k", "total_sequence_length", "cos_cache", "sin_cache", "position_ids", "attention_bias", "head_sink"}
	if err := msInputs(n, names, 0, 5, 6); err != nil {
		return nil, err
	}
	for _, i := range []int{9, 11} {
		if n.In(i) != nil {
			return nil, fmt.Errorf("input %d (%s) is not supported", i, names[i])
		}
	}
	for _, a := range []string{"smooth_softmax", "qk_output"} {
		if v := n.Int(a, 0); v != 0 {
			return nil, fmt.Errorf("%s=%d is not supported (only 0)", a, v)
		}
	}
	if err := msOutputs(n, []string{"output", "present_key", "present_value", "output_qk"}, "kiln does not output the scores", 3); err != nil {
		return nil, err
	}
	args := append(append([]*ir.Value(nil), n.Inputs[:min(len(n.Inputs), 9)]...), n.In(10))
	for len(args) > 7 && args[len(args)-1] == nil {
		args = args[:len(args)-1]
	}
	return c.directAs(n, "com.microsoft.GroupQueryAttention", args, "smooth_softmax", "qk_output")
}
