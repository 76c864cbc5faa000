package onnx

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	register("BatchNormalization", 1, 13, convBatchNormLegacy)
	register("BatchNormalization", 14, 0, direct())
	register("InstanceNormalization", 1, 5, direct("consumed_inputs"))
	register("InstanceNormalization", 6, 0, direct())
	register("LayerNormalization", 17, 0, direct())
	register("LRN", 1, 0, direct())
	register("MeanVarianceNormalization", 1, 8, convMVN1)
	register("MeanVarianceNormalization", 9, 0, direct())
	register("LpNormalization", 1, 0, direct())
	register("Dropout", 1, 11, convDropoutLegacy)
	register("Dropout", 12, 0, direct())
	register("GroupNormalization", 18, 20, convGroupNorm18)
	register("GroupNormalization", 21, 0, direct())
	register("RMSNormalization", 23, 0, direct())
	register("RotaryEmbedding", 23, 0, direct())
	// Attention-24 added nonpad_kv_seqlen, Attention-25 sliding windows;
	// kiln refuses both forms.
	register("Attention", 23, 23, direct())
	register("Attention", 24, 24, convAttention)
	register("Attention", 25, 0, convAttention)
}

// convGroupNorm18 converts GroupNormalization-18, whose scale and bias hold
// one value per group: each is repeated over its group's channels
// (reshape to [G,1], expand to [G,C/G], reshape to [C]), which needs the
// channel count C to be static.
func convGroupNorm18(c *converter, n *node) ([]*ir.Value, error) {
	x, scale, bias := n.In(0), n.In(1), n.In(2)
	if x == nil || scale == nil || bias == nil {
		return nil, fmt.Errorf("needs X, scale and bias")
	}
	s := x.Type.Shape
	if !s.Ranked || len(s.Dims) < 2 || !s.Dims[1].IsStatic() {
		return nil, fmt.Errorf("GroupNormalization-18 needs a static channel dim (X is %v) to spread per-group scale and bias over channels", x.Type)
	}
	ch, g := s.Dims[1].Size, n.Int("num_groups", 0)
	if g < 1 || ch%g != 0 {
		return nil, fmt.Errorf("num_groups %d does not divide %d channels", g, ch)
	}
	loc := string(n.loc())
	perChannel := func(v *ir.Value, what string) (*ir.Value, error) {
		r, err := c.emit1("Reshape", []*ir.Value{v, c.constI64(loc+"."+what+".groups", []int64{2}, []int64{g, 1})})
		if err != nil {
			return nil, err
		}
		e, err := c.emit1("Expand", []*ir.Value{r, c.constI64(loc+"."+what+".expand", []int64{2}, []int64{g, ch / g})})
		if err != nil {
			return nil, err
		}
		return c.emit1("Reshape", []*ir.Value{e, c.constI64(loc+"."+what+".channels", []int64{1}, []int64{ch})})
	}
	sc, err := perChannel(scale, "scale")
	if err != nil {
		return nil, err
	}
	b, err := perChannel(bias, "bias")
	if err != nil {
		return nil, err
	}
	return c.directAs(n, "GroupNormalization", []*ir.Value{x, sc, b})
}

// convBatchNormLegacy converts BatchNormalization-1..9. They had no
// training_mode: training was implied by asking for the statistics outputs
// (and by is_test=0 at -1/-6). -1 also had consumed_inputs, and -1..-7 a
// spatial attribute whose default 1 is the only behaviour kiln has.
// saved_mean/saved_var (outputs 4 and 5) are not supported.
func convBatchNormLegacy(c *converter, n *node) ([]*ir.Value, error) {
	if n.Int("spatial", 1) != 1 {
		return nil, fmt.Errorf("spatial=0 (per-activation statistics) is not supported")
	}
	if n.Outputs > 3 {
		return nil, fmt.Errorf("outputs saved_mean/saved_var are not supported")
	}
	attrs, _, err := c.attrs(n, ir.Lookup("BatchNormalization"), []string{"consumed_inputs", "is_test", "spatial"})
	if err != nil {
		return nil, err
	}
	if n.Outputs > 1 && n.Int("is_test", 0) == 0 {
		attrs = append(attrs, ir.Attr{Name: "training_mode", Value: ir.IntAttr(1)})
	}
	return c.emit("BatchNormalization", n.Inputs, attrs, n.Outputs)
}

// convMVN1 converts the experimental MeanVarianceNormalization-1, which
// normalized each (n, c) plane, or each n across channels when
// across_channels=1. normalize_variance=0 (mean subtraction only) has no
// kiln form.
func convMVN1(c *converter, n *node) ([]*ir.Value, error) {
	if n.Int("normalize_variance", 1) != 1 {
		return nil, fmt.Errorf("normalize_variance=0 is not supported")
	}
	if len(n.Inputs) != 1 {
		return nil, fmt.Errorf("%d inputs, want 1", len(n.Inputs))
	}
	if n.In(0) == nil {
		return nil, fmt.Errorf("input X is absent")
	}
	x := n.In(0)
	r := x.Type.Shape.Rank()
	if r < 2 {
		return nil, fmt.Errorf("input rank must be known and at least 2")
	}
	first := int64(2)
	if n.Int("across_channels", 0) == 1 {
		first = 1
	}
	var axes []int64
	for a := first; a < int64(r); a++ {
		axes = append(axes, a)
	}
	return c.emit("MeanVarianceNormalization", []*ir.Value{x}, []ir.Attr{{Name: "axes", Value: ir.IntsAttr(axes)}}, 1)
}

// convDropoutLegacy converts Dropout-1..11, whose ratio was an attribute.
// kiln imports for inference: is_test (-1, -6) is ignored and the op is
// the identity. The mask was of the data's type before Dropout-10 and bool
// since; an all-true mask of the data's type is a constant of ones.
func convDropoutLegacy(c *converter, n *node) ([]*ir.Value, error) {
	x := n.In(0)
	if x == nil {
		return nil, fmt.Errorf("missing data input")
	}
	res, err := c.emit("Dropout", []*ir.Value{x}, nil, n.Outputs)
	if err != nil {
		return nil, err
	}
	if n.Outputs < 2 || n.Opset >= 10 {
		return res, nil
	}
	shape, ok := x.Type.Shape.Sizes()
	if !ok {
		return nil, fmt.Errorf("mask output of Dropout-%d needs a static data shape", n.Opset)
	}
	var one []byte
	switch x.Type.DType {
	case ir.F16:
		one = []byte{0x00, 0x3c}
	case ir.BF16:
		one = []byte{0x80, 0x3f}
	case ir.F32:
		one = []byte{0, 0, 0x80, 0x3f}
	case ir.F64:
		one = []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}
	default:
		return nil, fmt.Errorf("Dropout on %v", x.Type.DType)
	}
	td := &tensorData{dtype: x.Type.DType, shape: shape}
	for i := int64(0); i < ir.ShapeOf(shape...).NumElements(); i++ {
		td.bytes = append(td.bytes, one...)
	}
	return []*ir.Value{res[0], c.addConst(string(n.loc())+".mask", td)}, nil
}

// convAttention converts Attention-24 and -25 when they use no form kiln
// lacks: nonpad_kv_seqlen (input 6) and sliding windows (-25's
// left_window_size and right_window_size other than -1) are refused.
func convAttention(c *converter, n *node) ([]*ir.Value, error) {
	if n.In(6) != nil {
		return nil, fmt.Errorf("input nonpad_kv_seqlen is not supported")
	}
	for _, a := range []string{"left_window_size", "right_window_size"} {
		if n.Int(a, -1) != -1 {
			return nil, fmt.Errorf("%s %d: sliding-window attention is not supported", a, n.Int(a, -1))
		}
	}
	return c.directAs(n, "Attention", n.Inputs, "left_window_size", "right_window_size")
}
