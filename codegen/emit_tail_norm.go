package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// Normalizations and optimizer steps of the long tail.
func init() {
	emitters["InstanceNormalization"] = emitInstanceNorm
	emitters["MeanVarianceNormalization"] = emitMVN
	emitters["LRN"] = emitLRN
	for _, name := range []string{"Adagrad", "Adam", "Momentum"} {
		emitters[name] = emitOptimizer
	}
}

// floatOperand refuses an op whose operand 0 is not f32 or f64.
func floatOperand(c *opCtx) (ir.DType, error) {
	dt := c.op.Args[0].Type.DType
	if dt != ir.F32 && dt != ir.F64 {
		return dt, fmt.Errorf("%s of %s: codegen computes it on f32 and f64 only so far", c.op.Name, dt)
	}
	return dt, nil
}

// boolsLit is a Go []bool literal.
func boolsLit(v []bool) string {
	parts := make([]string, len(v))
	for i, b := range v {
		parts[i] = fmt.Sprint(b)
	}
	return "[]bool{" + strings.Join(parts, ", ") + "}"
}

// emitInstanceNorm writes InstanceNormalization through the generic
// normalize (codegen/kernels/generic_norm.go): per sample and channel,
// over the spatial dims, then the channel's scale and bias.
func emitInstanceNorm(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	dt, err := floatOperand(c)
	if err != nil {
		return nil, err
	}
	for i := 1; i <= 2; i++ {
		s, err := c.arg(i)
		if err != nil {
			return nil, err
		}
		if len(xs) < 3 || numel(s) != xs[1] {
			return nil, fmt.Errorf("input %s, operand %d %v: want rank 3 or more and one value per channel", typeText(xs), i, s)
		}
	}
	reduce := make([]bool, len(xs))
	for i := 2; i < len(xs); i++ {
		reduce[i] = true
	}
	eps := c.op.Float("epsilon")
	body := fmt.Sprintf("normalize(x[:%d], y[:%d], %s, %s, %v, 0, scale, bias)\n", numel(xs), numel(xs), intsLit(xs), boolsLit(reduce), float64(eps))
	shapes := dtypeText(dt, xs)
	return &kernel{in: c.op.Args[:3], params: []string{"x", "scale", "bias", "y"}, nout: 1, comment: fmt.Sprintf("InstanceNormalization of %s, epsilon %v", shapes, eps), body: body, shapes: shapes, flops: 4 * int64(numel(xs))}, nil
}

// emitMVN writes MeanVarianceNormalization through the generic normalize:
// over the axes attribute's dims, with 1e-9 added to the standard
// deviation as its ONNX function body does.
func emitMVN(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	dt, err := floatOperand(c)
	if err != nil {
		return nil, err
	}
	axes := c.op.Ints("axes")
	if axes == nil {
		axes = []int64{0, 2, 3}
	}
	reduce := make([]bool, len(xs))
	for _, a := range axes {
		ax, err := ir.NormAxis(a, len(xs))
		if err != nil {
			return nil, err
		}
		reduce[ax] = true
	}
	body := fmt.Sprintf("normalize(x[:%d], y[:%d], %s, %s, 0, 1e-9, nil, nil)\n", numel(xs), numel(xs), intsLit(xs), boolsLit(reduce))
	shapes := dtypeText(dt, xs)
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("MeanVarianceNormalization of %s over axes %v", shapes, axes), body: body, shapes: shapes, flops: 4 * int64(numel(xs))}, nil
}

// emitLRN writes LRN: each element divided by (bias + alpha/size * the
// sum of squares over the channels c-floor((size-1)/2) ..
// c+ceil((size-1)/2))^beta, in float64.
func emitLRN(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	dt, err := floatOperand(c)
	if err != nil {
		return nil, err
	}
	size := int(c.op.Int("size"))
	if size < 1 || len(xs) < 2 {
		return nil, fmt.Errorf("size %d on input %s: want a positive size and rank 2 or more", size, typeText(xs))
	}
	lo, hi := (size-1)/2, size-1-(size-1)/2
	ch, inner := xs[1], numel(xs[2:])
	alpha, beta, bias := float64(c.op.Float("alpha")), float64(c.op.Float("beta")), float64(c.op.Float("bias"))
	body := fmt.Sprintf(`x = x[:%[1]d]
y = y[:%[1]d]
for i, v := range x {
k := (i / %[2]d) %% %[3]d
base := i - k*%[2]d
sq := 0.0
for j := max(0, k-%[4]d); j <= min(%[3]d-1, k+%[5]d); j++ {
u := float64(x[base+j*%[2]d])
sq += u * u
}
y[i] = %[9]s(float64(v) / math.Pow(%[6]v+%[7]v/%[8]d*sq, %[10]v))
}
`, numel(xs), inner, ch, lo, hi, bias, alpha, size, goElem[dt], beta)
	shapes := dtypeText(dt, xs)
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("LRN of %s, size %d", shapes, size), body: body, shapes: shapes, flops: int64(size+4) * int64(numel(xs))}, nil
}

// optimizerGroups is how many per-tensor operand groups each optimizer
// step takes (X, G, then H; or V; or V and H).
var optimizerGroups = map[string]int{"Adagrad": 3, "Adam": 4, "Momentum": 3}

// emitOptimizer writes one step of Adagrad, Adam or Momentum
// (ai.onnx.preview.training, version 1) over each optimized tensor, in
// float64, as the ONNX update rules give it.
func emitOptimizer(c *opCtx) (*kernel, error) {
	g := optimizerGroups[c.op.Name]
	vs := c.op.Args[2:]
	if len(vs) == 0 || len(vs)%g != 0 {
		return nil, fmt.Errorf("%d optimized operands: want %d equal groups", len(vs), g)
	}
	n := len(vs) / g
	for i := 0; i < 2; i++ {
		s, err := c.arg(i)
		if err != nil {
			return nil, err
		}
		if numel(s) != 1 || !numericType(c.op.Args[i].Type.DType) {
			return nil, fmt.Errorf("operand %d %s: want one number", i, c.op.Args[i].Type)
		}
	}
	sizes := make([]int, n)
	for k := 0; k < g; k++ {
		for i := 0; i < n; i++ {
			s, err := c.shape(vs[k*n+i])
			if err != nil {
				return nil, err
			}
			if dt := vs[k*n+i].Type.DType; dt != ir.F32 && dt != ir.F64 {
				return nil, fmt.Errorf("operand %d is %s: want f32 or f64", 2+k*n+i, dt)
			}
			if k == 0 {
				sizes[i] = numel(s)
			} else if numel(s) != sizes[i] {
				return nil, fmt.Errorf("operand %d has %d elements, X%d %d", 2+k*n+i, numel(s), i, sizes[i])
			}
		}
	}
	outGroups := map[string][]string{"Adagrad": {"x", "h"}, "Adam": {"x", "v", "h"}, "Momentum": {"x", "v"}}[c.op.Name]
	if len(c.op.Results) != n*len(outGroups) {
		return nil, fmt.Errorf("%d results, want %d", len(c.op.Results), n*len(outGroups))
	}
	inNames := map[string][]string{"Adagrad": {"X", "G", "H"}, "Adam": {"X", "G", "V", "H"}, "Momentum": {"X", "G", "V"}}[c.op.Name]
	params := []string{"rr", "tt"}
	for k := 0; k < g; k++ {
		for i := 0; i < n; i++ {
			params = append(params, fmt.Sprintf("%s%d", inNames[k], i))
		}
	}
	for _, o := range outGroups {
		for i := 0; i < n; i++ {
			params = append(params, fmt.Sprintf("%sNew%d", o, i))
		}
	}
	norm := float64(c.op.Float("norm_coefficient"))
	var b strings.Builder
	b.WriteString("R, T := float64(rr[0]), float64(tt[0])\n_ = T\n")
	switch c.op.Name {
	case "Adagrad":
		fmt.Fprintf(&b, "r := R / (1 + T*%v)\n", float64(c.op.Float("decay_factor")))
	case "Adam":
		alpha, beta := float64(c.op.Float("alpha")), float64(c.op.Float("beta"))
		fmt.Fprintf(&b, "r := R\nif T > 0 {\nr = R * math.Sqrt(1-math.Pow(%v, T)) / (1 - math.Pow(%v, T))\n}\n", beta, alpha)
	case "Momentum":
		// The first step (T == 0) does not scale the gradient by beta.
		fmt.Fprintf(&b, "beta := float64(%v)\nif T <= 0 {\nbeta = 1\n}\n", float64(c.op.Float("beta")))
	}
	eps := 0.0
	if c.op.Declares("epsilon") {
		eps = float64(c.op.Float("epsilon"))
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "for j := 0; j < %d; j++ {\nX := float64(X%d[j])\ngr := %v*X + float64(G%d[j])\n", sizes[i], i, norm, i)
		xt, vt := goElem[vs[i].Type.DType], ""
		switch c.op.Name {
		case "Adagrad":
			ht := goElem[vs[2*n+i].Type.DType]
			fmt.Fprintf(&b, "h := float64(H%[1]d[j]) + gr*gr\nhNew%[1]d[j] = %[2]s(h)\nxNew%[1]d[j] = %[3]s(X - r*gr/(math.Sqrt(h)+%[4]v))\n", i, ht, xt, eps)
		case "Adam":
			vt = goElem[vs[2*n+i].Type.DType]
			ht := goElem[vs[3*n+i].Type.DType]
			alpha, beta := float64(c.op.Float("alpha")), float64(c.op.Float("beta"))
			fmt.Fprintf(&b, "v := %[5]v*float64(V%[1]d[j]) + %[6]v*gr\nh := %[7]v*float64(H%[1]d[j]) + %[8]v*gr*gr\nvNew%[1]d[j] = %[2]s(v)\nhNew%[1]d[j] = %[3]s(h)\nxNew%[1]d[j] = %[4]s(%[9]v * (X - r*v/(math.Sqrt(h)+%[10]v)))\n",
				i, vt, ht, xt, alpha, 1-alpha, beta, 1-beta, 1-float64(c.op.Float("norm_coefficient_post")), eps)
		case "Momentum":
			vt = goElem[vs[2*n+i].Type.DType]
			upd := "X - R*v"
			if c.op.Str("mode") == "nesterov" {
				upd = fmt.Sprintf("X - R*(gr+%v*v)", float64(c.op.Float("alpha")))
			}
			fmt.Fprintf(&b, "v := %[3]v*float64(V%[1]d[j]) + beta*gr\nvNew%[1]d[j] = %[2]s(v)\nxNew%[1]d[j] = %[4]s(%[5]s)\n", i, vt, float64(c.op.Float("alpha")), xt, upd)
		}
		b.WriteString("}\n")
	}
	shapes := fmt.Sprintf("%d tensor(s) of %v elements", n, sizes)
	return &kernel{in: c.op.Args, params: params, nout: len(c.op.Results), comment: fmt.Sprintf("%s step over %s", c.op.Name, shapes), body: b.String(), shapes: shapes}, nil
}
