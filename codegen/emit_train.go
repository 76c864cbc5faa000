package codegen

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

// Random draws and training mode call the generic kernels of
// codegen/kernels/generic_train.go. An op with a seed attribute draws from
// a generator of its own seeded by it, the same values on every run; one
// without draws from math/rand/v2's package-level generator. ONNX leaves
// the generator undefined, so the draws are not the interpreter's: the
// conformance run checks them as it checks the interpreter's (their
// shapes, types and statistics).
func init() {
	emitters["Bernoulli"] = emitBernoulli
	for _, name := range []string{"RandomUniform", "RandomNormal", "RandomUniformLike", "RandomNormalLike"} {
		emitters[name] = emitRandomFill
	}
	extendedEmitters["Dropout"] = emitDropoutTraining
	extendedEmitters["BatchNormalization"] = emitBatchNormTraining
}

// seedArg spells the generator of op as a call of randSource: seeded by
// its seed attribute (a float for the random ops, an int for Dropout) or
// the package-level one.
func seedArg(op *ir.Op) string {
	v, ok := op.Attr("seed")
	switch {
	case !ok:
		return "randSource(0, false)"
	case v.Kind == ir.AttrFloat:
		return fmt.Sprintf("randSource(%#x, true)", math.Float64bits(float64(v.Float)))
	}
	return fmt.Sprintf("randSource(%#x, true)", uint64(v.Int))
}

// isDraw reports whether d is an element type the random kernels compute
// in.
func isDraw(d ir.DType) bool { return d == ir.F32 || d == ir.F64 }

// emitBernoulli writes Bernoulli: one draw per probability, 1 or 0 (true
// or false) in the result's type.
func emitBernoulli(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	dx, dy := c.op.Args[0].Type.DType, c.op.Results[0].Type.DType
	if !isDraw(dx) || goElem[dy] == "" {
		return nil, fmt.Errorf("Bernoulli of %s into %s: not supported", dx, dy)
	}
	set := "y[i] = 0\nif one {\ny[i] = 1\n}"
	if dy == ir.Bool {
		set = "y[i] = one"
	}
	n := numel(xs)
	body := fmt.Sprintf("y = y[:%d]\nif err := bernoulli(x[:%d], %s, func(i int, one bool) {\n%s\n}); err != nil {\nreturn err\n}\n", n, n, seedArg(c.op), set)
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dx, xs), dtypeText(dy, xs))
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, fails: true, comment: "Bernoulli " + shapes, body: body, shapes: shapes, flops: int64(n)}, nil
}

// emitRandomFill writes RandomUniform, RandomNormal and their Like forms
// (whose input gives only the shape).
func emitRandomFill(c *opCtx) (*kernel, error) {
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	dy := c.op.Results[0].Type.DType
	if !isDraw(dy) {
		return nil, fmt.Errorf("%s into %s: not supported", c.op.Name, dy)
	}
	normal := c.op.Name == "RandomNormal" || c.op.Name == "RandomNormalLike"
	var a, b float64
	var what string
	if normal {
		a, b = float64(c.op.Float("mean")), float64(c.op.Float("scale"))
		what = fmt.Sprintf("normal, mean %g, scale %g", a, b)
	} else {
		a, b = float64(c.op.Float("low")), float64(c.op.Float("high"))
		what = fmt.Sprintf("uniform on [%g, %g)", a, b)
	}
	body := fmt.Sprintf("randomFill(y[:%d], %s, %t, %s, %s)\n", numel(ys), seedArg(c.op), normal, floatLit(a), floatLit(b))
	shapes := dtypeText(dy, ys)
	// The Like forms read their input's shape only, known here: the
	// kernel takes no operand.
	return &kernel{params: []string{"y"}, nout: 1, comment: fmt.Sprintf("%s %s, %s", c.op.Name, shapes, what), body: body, shapes: shapes, flops: int64(numel(ys))}, nil
}

// floatLit spells a float64 so that Go reads back the same value.
func floatLit(f float64) string {
	s := fmt.Sprintf("%v", f)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Sprintf("math.Float64frombits(%#x)", math.Float64bits(f))
	}
	return s
}

// emitDropoutTraining writes Dropout whose training_mode is not known
// false at compile time: ratio and training_mode are read at run time.
// Known false, it is the inference copy of emitDropout.
func emitDropoutTraining(c *opCtx) (*kernel, error) {
	if a := c.op.Arg(2); a == nil {
		return emitters["Dropout"](c)
	} else if v, err := c.g.knownInts(a); err == nil && len(v) == 1 && v[0] == 0 {
		return emitters["Dropout"](c)
	}
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	dx := c.op.Args[0].Type.DType
	if !isDraw(dx) {
		return nil, fmt.Errorf("Dropout in training of %s: not supported", dx)
	}
	in := []*ir.Value{c.op.Args[0]}
	params := []string{"x"}
	ratio := "0.5"
	if r := c.op.Arg(1); r != nil {
		rs, err := c.arg(1)
		if err != nil {
			return nil, err
		}
		if numel(rs) != 1 || !isDraw(r.Type.DType) {
			return nil, fmt.Errorf("ratio is %s; want a float scalar", dtypeText(r.Type.DType, rs))
		}
		in, params, ratio = append(in, r), append(params, "ratio"), "float64(ratio[0])"
	}
	ts, err := c.arg(2)
	if err != nil {
		return nil, err
	}
	if t := c.op.Args[2]; numel(ts) != 1 || t.Type.DType != ir.Bool {
		return nil, fmt.Errorf("training_mode is %s; want a bool scalar", dtypeText(t.Type.DType, ts))
	}
	in, params = append(in, c.op.Args[2]), append(params, "training")
	params = append(params, "y")
	mask := "nil"
	if len(c.op.Results) > 1 {
		params, mask = append(params, "mask"), fmt.Sprintf("mask[:%d]", numel(xs))
	}
	n := numel(xs)
	body := fmt.Sprintf("if err := dropout(x[:%d], y[:%d], %s, %s, training[0], %s); err != nil {\nreturn err\n}\n", n, n, mask, ratio, seedArg(c.op))
	shapes := dtypeText(dx, xs)
	return &kernel{in: in, params: params, nout: len(c.op.Results), fails: true, comment: "Dropout (training_mode read at run time) of " + shapes, body: body, shapes: shapes, flops: int64(n)}, nil
}

// emitBatchNormTraining writes BatchNormalization with training_mode set:
// batch statistics, and the running ones when their outputs are used.
// Without training_mode it is emitBatchNorm's.
func emitBatchNormTraining(c *opCtx) (*kernel, error) {
	if c.op.Int("training_mode") == 0 {
		return emitters["BatchNormalization"](c)
	}
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	dx := c.op.Args[0].Type.DType
	if len(xs) < 2 || !isDraw(dx) {
		return nil, fmt.Errorf("X is %s; want f32 or f64 of rank 2 or more", dtypeText(dx, xs))
	}
	for i := 1; i < 5; i++ {
		s, err := c.arg(i)
		if err != nil {
			return nil, err
		}
		if numel(s) != xs[1] || c.op.Args[i].Type.DType != dx {
			return nil, fmt.Errorf("operand %d is %s; want %s with %d values", i, dtypeText(c.op.Args[i].Type.DType, s), dx, xs[1])
		}
	}
	params := []string{"x", "scale", "bias", "mean", "variance", "y"}
	rm, rv := "nil", "nil"
	if len(c.op.Results) > 1 {
		params, rm = append(params, "rm"), "rm"
	}
	if len(c.op.Results) > 2 {
		params, rv = append(params, "rv"), "rv"
	}
	inner := numel(xs[2:])
	body := fmt.Sprintf("batchNormTrain(x[:%d], scale, bias, mean, variance, y[:%d], %s, %s, %d, %d, %d, %s, %s)\n",
		numel(xs), numel(xs), rm, rv, xs[0], xs[1], inner, floatLit(float64(c.op.Float("epsilon"))), floatLit(float64(c.op.Float("momentum"))))
	shapes := dtypeText(dx, xs)
	return &kernel{in: c.op.Args[:5], params: params, nout: len(c.op.Results), comment: "BatchNormalization (training) of " + shapes, body: body, shapes: shapes, flops: 6 * int64(numel(xs))}, nil
}
