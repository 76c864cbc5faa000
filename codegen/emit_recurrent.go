package codegen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	emitters["RNN"] = emitRecurrent
	emitters["GRU"] = emitRecurrent
	extendedEmitters["LSTM"] = emitRecurrent
}

// recurrentCells gives each recurrent op its gate count and default
// activations (one direction's).
var recurrentCells = map[string]struct {
	gates    int
	defaults []string
}{
	"RNN":  {1, []string{"Tanh"}},
	"GRU":  {3, []string{"Sigmoid", "Tanh"}},
	"LSTM": {4, []string{"Sigmoid", "Tanh", "Tanh"}},
}

// recurrentActDefaults gives each activation's alpha and beta defaults and
// whether it takes an entry of activation_alpha and activation_beta (the
// defaults of the ONNX ops of the same name).
var recurrentActDefaults = map[string]struct {
	usesAlpha, usesBeta bool
	alpha, beta         float64
}{
	"relu": {}, "tanh": {}, "sigmoid": {}, "softsign": {}, "softplus": {},
	"affine":          {true, true, 1, 0},
	"leakyrelu":       {true, false, 0.01, 0},
	"thresholdedrelu": {true, false, 1, 0},
	"scaledtanh":      {true, true, 1, 1},
	"hardsigmoid":     {true, true, 0.2, 0.5},
	"elu":             {true, false, 1, 0},
}

// emitRecurrent writes an RNN, GRU or LSTM layer as a call of the generic
// recurrent (codegen/kernels/generic_rnn.go): any activations, layout,
// sequence lengths, peepholes, clip and direction. An LSTM the specialized
// kernel (emit_rnn.go) takes keeps it.
func emitRecurrent(c *opCtx) (*kernel, error) {
	op := c.op
	if op.Name == "LSTM" {
		if k, err := emitters["LSTM"](c); err == nil {
			return k, nil
		}
	}
	cell := recurrentCells[op.Name]
	dt := op.Args[0].Type.DType
	if dt != ir.F32 && dt != ir.F64 {
		return nil, fmt.Errorf("X is %s: want f32 or f64", dt)
	}
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	ws, err := c.arg(1)
	if err != nil {
		return nil, err
	}
	if len(xs) != 3 || len(ws) != 3 {
		return nil, fmt.Errorf("X is %s and W %s: want rank 3", typeText(xs), typeText(ws))
	}
	S, B, I := xs[0], xs[1], xs[2]
	batchMajor := op.Int("layout") != 0
	if batchMajor {
		S, B = B, S
	}
	D, H := ws[0], ws[1]/cell.gates
	dir := op.Str("direction")
	if (dir == "bidirectional") != (D == 2) || ws[2] != I || ws[1] != cell.gates*H {
		return nil, fmt.Errorf("W %s does not fit X %s, direction %s", typeText(ws), typeText(xs), dir)
	}
	for _, i := range []int{2, 3, 5, 6, 7} {
		if a := op.Arg(i); a != nil && a.Type.DType != dt {
			return nil, fmt.Errorf("operand %d is %s, X is %s", i, a.Type.DType, dt)
		}
	}
	names := op.Strings("activations")
	if names == nil {
		for d := 0; d < D; d++ {
			names = append(names, cell.defaults...)
		}
	} else if len(names) == len(cell.defaults) && D == 2 {
		names = append(names, names...)
	}
	if len(names) != len(cell.defaults)*D {
		return nil, fmt.Errorf("%d activations, want %d per direction", len(names), len(cell.defaults))
	}
	alphas, betas := op.Floats("activation_alpha"), op.Floats("activation_beta")
	var acts, al, be []string
	for _, n := range names {
		ln := strings.ToLower(n)
		def, ok := recurrentActDefaults[ln]
		if !ok {
			return nil, fmt.Errorf("activation %q is not known", n)
		}
		a, b := def.alpha, def.beta
		if def.usesAlpha && len(alphas) > 0 {
			a, alphas = float64(alphas[0]), alphas[1:]
		}
		if def.usesBeta && len(betas) > 0 {
			b, betas = float64(betas[0]), betas[1:]
		}
		acts = append(acts, strconv.Quote(ln))
		al, be = append(al, strconv.FormatFloat(a, 'g', -1, 64)), append(be, strconv.FormatFloat(b, 'g', -1, 64))
	}
	var clip float64
	if op.Has("clip") {
		clip = float64(op.Float("clip"))
	}
	layer := fmt.Sprintf("rnnLayer{gates: %d, seq: %d, batch: %d, input: %d, hid: %d, dirs: %d, reverse: %v, batchMajor: %v, acts: []string{%s}, alpha: []float64{%s}, beta: []float64{%s}, clip: %s, linearReset: %v, inputForget: %v}",
		cell.gates, S, B, I, H, D, dir == "reverse", batchMajor, strings.Join(acts, ", "), strings.Join(al, ", "), strings.Join(be, ", "),
		strconv.FormatFloat(clip, 'g', -1, 64), op.Declares("linear_before_reset") && op.Int("linear_before_reset") != 0, op.Declares("input_forget") && op.Int("input_forget") != 0)
	in := []*ir.Value{op.Args[0], op.Args[1], op.Args[2]}
	params := []string{"x", "w", "r"}
	args := []string{"x", "w", "r"}
	lensType := "int64"
	for _, o := range []struct {
		i    int
		name string
	}{{3, "bias"}, {4, "lens"}, {5, "h0"}, {6, "c0"}, {7, "peep"}} {
		if o.i >= 4 && o.i >= len(op.Args) || op.Arg(o.i) == nil {
			if o.i < 6 || op.Name == "LSTM" {
				args = append(args, "nil")
			}
			continue
		}
		if o.i == 4 {
			if !indexType(op.Args[4].Type.DType) {
				return nil, fmt.Errorf("sequence_lens is %s: want i32 or i64", op.Args[4].Type.DType)
			}
			lensType = goElem[op.Args[4].Type.DType]
		}
		in, params, args = append(in, op.Args[o.i]), append(params, o.name), append(args, o.name)
	}
	if op.Name != "LSTM" {
		args = append(args, "nil", "nil") // no c0, no peepholes
	}
	outs := []string{"y", "yh", "yc"}
	nout := min(len(op.Results), cell.gates/4+2)
	var outArgs []string
	for i := 0; i < 3; i++ {
		switch {
		case i < nout:
			params, outArgs = append(params, outs[i]), append(outArgs, outs[i])
		default:
			outArgs = append(outArgs, "nil")
		}
	}
	// Results the op has but nothing reads still get their slices: the
	// generic kernel writes them all.
	body := fmt.Sprintf("if err := recurrent[%s, %s](%s, %s, %s); err != nil {\nreturn err\n}\n", goElem[dt], lensType, layer, strings.Join(args, ", "), strings.Join(outArgs, ", "))
	shapes := fmt.Sprintf("%s, %s", dtypeText(dt, xs), dtypeText(dt, ws))
	return &kernel{in: in, params: params, nout: nout, fails: true, comment: fmt.Sprintf("%s (%s, hidden %d): %s, generic", op.Name, dir, H, shapes), body: body, shapes: shapes, flops: 2 * int64(S*B*D) * int64(cell.gates*H) * int64(I+H)}, nil
}
