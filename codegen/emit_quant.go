package codegen

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// Linear quantization: per-tensor or per-axis scales and zero points (the
// blocked form of QuantizeLinear-21 is not compiled yet).
func init() {
	emitters["QuantizeLinear"] = emitQuantize
	emitters["DequantizeLinear"] = emitQuantize
	emitters["DynamicQuantizeLinear"] = emitDynamicQuantize
}

// quantRange is the saturation range of each quantized element type.
var quantRange = map[ir.DType][2]int{ir.U8: {0, 255}, ir.I8: {-128, 127}, ir.U16: {0, 65535}, ir.I16: {-32768, 32767}}

// emitQuantize writes QuantizeLinear (round half to even of x/scale in
// float32, plus the zero point, saturated) or DequantizeLinear ((x - zero
// point) * scale in float32). The scale's index of element i is 0 for a
// one-element scale, its coordinate along axis for a 1-D one.
func emitQuantize(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	ss, err := c.arg(1)
	if err != nil {
		return nil, err
	}
	quant := c.op.Name == "QuantizeLinear"
	hasZP := c.op.Arg(2) != nil
	q := c.op.Results[0].Type.DType // the quantized type
	f := c.op.Args[1].Type.DType    // the scale's
	if !quant {
		q = c.op.Args[0].Type.DType
	}
	rng, ok := quantRange[q]
	if !ok || f != ir.F32 && f != ir.F64 {
		return nil, fmt.Errorf("%s between %s and %s: not supported", c.op.Name, q, f)
	}
	if c.op.Int("block_size") > 0 && numel(ss) != 1 {
		return nil, fmt.Errorf("blocked quantization: not supported yet")
	}
	inner, ch := 1, 1
	if numel(ss) != 1 {
		ax, err := ir.NormAxis(c.op.Int("axis"), len(xs))
		if err != nil {
			return nil, err
		}
		if len(ss) != 1 || ss[0] != xs[ax] {
			return nil, fmt.Errorf("scale %v does not match axis %d of %v", ss, ax, xs)
		}
		inner, ch = numel(xs[ax+1:]), xs[ax]
	}
	if hasZP {
		zs, err := c.arg(2)
		if err != nil {
			return nil, err
		}
		if numel(zs) != numel(ss) {
			return nil, fmt.Errorf("zero point %v does not match scale %v", zs, ss)
		}
	}
	in := c.op.Args[:2]
	params := []string{"x", "scale"}
	zp := "float32(0)"
	if hasZP {
		in = c.op.Args[:3]
		params = append(params, "zp")
		zp = "float32(zp[j])"
	}
	var stmt string
	if quant {
		stmt = fmt.Sprintf("v := float32(math.RoundToEven(float64(float32(x[i])/float32(scale[j])))) + %s\ny[i] = %s(min(max(v, %d), %d))", zp, goElem[q], rng[0], rng[1])
	} else {
		stmt = fmt.Sprintf("y[i] = %s((float32(x[i]) - %s) * float32(scale[j]))", goElem[c.op.Results[0].Type.DType], zp)
	}
	body := fmt.Sprintf("x = x[:%d]\ny = y[:%d]\nfor i := range y {\nj := i / %d %% %d\n%s\n}\n", numel(xs), numel(xs), inner, ch, stmt)
	if ch == 1 {
		body = fmt.Sprintf("x = x[:%d]\ny = y[:%d]\nconst j = 0\nfor i := range y {\n%s\n}\n", numel(xs), numel(xs), stmt)
	}
	shapes := fmt.Sprintf("%s -> %s", dtypeText(c.op.Args[0].Type.DType, xs), dtypeText(c.op.Results[0].Type.DType, xs))
	return &kernel{in: in, params: append(params, "y"), nout: 1, comment: fmt.Sprintf("%s %s, %d scale(s)", c.op.Name, shapes, ch), body: body, shapes: shapes, flops: 2 * int64(numel(xs))}, nil
}

// emitDynamicQuantizeLinear writes DynamicQuantizeLinear: uint8 over the
// range of x widened to include 0, scale (max-min)/255 and the zero point
// rounding -min/scale, as its ONNX definition computes in float32.
func emitDynamicQuantize(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	if c.op.Args[0].Type.DType != ir.F32 {
		return nil, fmt.Errorf("x is %s: want f32", c.op.Args[0].Type.DType)
	}
	body := fmt.Sprintf(`x = x[:%[1]d]
y = y[:%[1]d]
var lo, hi float32
for _, v := range x {
lo, hi = min(lo, v), max(hi, v)
}
s := (hi - lo) / 255
var z float32
if s != 0 {
z = float32(math.RoundToEven(float64(min(max(-lo/s, 0), 255))))
}
for i, v := range x {
if s == 0 {
y[i] = uint8(z)
continue
}
q := math.RoundToEven(float64(v/s)) + float64(z)
y[i] = uint8(math.Min(math.Max(q, 0), 255))
}
scale[0], zp[0] = s, uint8(z)
`, numel(xs))
	shapes := fmt.Sprintf("%s -> %s", typeText(xs), dtypeText(ir.U8, xs))
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y", "scale", "zp"}, nout: 3, comment: "DynamicQuantizeLinear " + shapes, body: body, shapes: shapes, flops: 3 * int64(numel(xs))}, nil
}
