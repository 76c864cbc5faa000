package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	emitters["NegativeLogLikelihoodLoss"] = emitLoss(false)
	emitters["SoftmaxCrossEntropyLoss"] = emitLoss(true)
}

// emitLoss writes NegativeLogLikelihoodLoss, or with logSoftmax
// SoftmaxCrossEntropyLoss, as a call of the generic lossNLL
// (codegen/kernels/generic_loss.go): training losses are rare in compiled
// models, so one tested kernel serves every instance. A target out of range
// is an error of Run.
func emitLoss(logSoftmax bool) emitter {
	return func(c *opCtx) (*kernel, error) {
		xs, err := c.arg(0)
		if err != nil {
			return nil, err
		}
		if _, err := c.arg(1); err != nil {
			return nil, err
		}
		if len(xs) < 2 {
			return nil, fmt.Errorf("input %v has rank < 2", xs)
		}
		dt := c.op.Args[0].Type.DType
		if dt != ir.F32 && dt != ir.F64 {
			return nil, fmt.Errorf("%s on %s: codegen computes it on f32 and f64 only so far", c.op.Name, dt)
		}
		if td := c.op.Args[1].Type.DType; td != ir.I64 && td != ir.I32 {
			return nil, fmt.Errorf("target of %s: codegen takes i64 and i32 targets", td)
		}
		in := []*ir.Value{c.op.Args[0], c.op.Args[1]}
		params := []string{"x", "target"}
		weight := "nil"
		if len(c.op.Args) > 2 && c.op.Args[2] != nil {
			in = append(in, c.op.Args[2])
			params = append(params, "weight")
			weight = "weight"
		}
		nout, logp := 1, "nil"
		params = append(params, "y")
		if logSoftmax && len(c.op.Results) > 1 {
			nout, logp = 2, "logp"
			params = append(params, "logp")
		}
		ignore, has := int64(0), c.op.Has("ignore_index")
		if has {
			ignore = c.op.Int("ignore_index")
		}
		red := map[string]string{"none": "lossNone", "sum": "lossSum", "mean": "lossMean"}[c.op.Str("reduction")]
		if red == "" {
			return nil, fmt.Errorf("reduction %q: want none, sum or mean", c.op.Str("reduction"))
		}
		n, ch, inner := xs[0], xs[1], numel(xs[2:])
		body := fmt.Sprintf("if err := lossNLL(x, target, %s, %d, %d, %d, %d, %v, %s, %v, y, %s); err != nil {\nreturn err\n}\n",
			weight, n, ch, inner, ignore, has, red, logSoftmax, logp)
		var parts []string
		for _, v := range in {
			s, err := c.shape(v)
			if err != nil {
				return nil, err
			}
			parts = append(parts, dtypeText(v.Type.DType, s))
		}
		ys, err := c.out(0)
		if err != nil {
			return nil, err
		}
		shapes := fmt.Sprintf("%s -> %s", strings.Join(parts, ", "), dtypeText(dt, ys))
		comment := fmt.Sprintf("%s (reduction %s", c.op.Name, c.op.Str("reduction"))
		if has {
			comment += fmt.Sprintf(", ignore_index %d", ignore)
		}
		comment += "): " + shapes
		return &kernel{in: in, params: params, nout: nout, fails: true, comment: comment, body: body, shapes: shapes, flops: int64(numel(xs))}, nil
	}
}
