package interp

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("RNN", func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) { return runRecurrent(op, args, cellRNN) })
	Register("GRU", func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) { return runRecurrent(op, args, cellGRU) })
	Register("LSTM", func(c *Ctx, op *ir.Op, args []Value) ([]Value, error) { return runRecurrent(op, args, cellLSTM) })
}

// recurrentCell describes one kind of recurrent layer: its gate count, how
// many activations each direction takes, and one time step.
type recurrentCell struct {
	gates    int
	acts     int
	defaults []string
	step     func(s *rnnStep)
}

// rnnActivation is one entry of the activations attribute with the alpha and
// beta it consumed.
type rnnActivation struct {
	name        string // lower case
	alpha, beta float64
}

// rnnActivationDefaults gives each activation's alpha/beta defaults and
// whether it consumes an entry of activation_alpha/activation_beta; the
// defaults are those of the ONNX ops of the same name.
var rnnActivationDefaults = map[string]struct {
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

func (a rnnActivation) apply(x float64) float64 {
	switch a.name {
	case "relu":
		return math.Max(x, 0)
	case "tanh":
		return math.Tanh(x)
	case "sigmoid":
		return 1 / (1 + math.Exp(-x))
	case "affine":
		return a.alpha*x + a.beta
	case "leakyrelu":
		if x < 0 {
			return a.alpha * x
		}
		return x
	case "thresholdedrelu":
		if x > a.alpha {
			return x
		}
		return 0
	case "scaledtanh":
		return a.alpha * math.Tanh(a.beta*x)
	case "hardsigmoid":
		return math.Max(0, math.Min(1, a.alpha*x+a.beta))
	case "elu":
		if x < 0 {
			return a.alpha * (math.Exp(x) - 1)
		}
		return x
	case "softsign":
		return x / (1 + math.Abs(x))
	case "softplus":
		return math.Log1p(math.Exp(x))
	}
	return math.NaN()
}

// rnnActivations resolves the activations attribute: the defaults when
// absent, one list per direction when given for a single direction only.
// activation_alpha/beta are consumed in order by the activations that take
// them (ONNX Runtime's reading of the spec); the others use defaults.
func rnnActivations(op *ir.Op, cell recurrentCell, dirs int) ([]rnnActivation, error) {
	names := op.Strings("activations")
	if names == nil {
		for d := 0; d < dirs; d++ {
			names = append(names, cell.defaults...)
		}
	} else if len(names) == cell.acts && dirs == 2 {
		names = append(names, names...)
	}
	if len(names) != cell.acts*dirs {
		return nil, fmt.Errorf("%d activations, want %d per direction", len(names), cell.acts)
	}
	alphas, betas := op.Floats("activation_alpha"), op.Floats("activation_beta")
	out := scratch[rnnActivation](len(names))
	for i, n := range names {
		ln := strings.ToLower(n)
		def, ok := rnnActivationDefaults[ln]
		if !ok {
			return nil, fmt.Errorf("unknown activation %q", n)
		}
		a := rnnActivation{name: ln, alpha: def.alpha, beta: def.beta}
		if def.usesAlpha && len(alphas) > 0 {
			a.alpha, alphas = float64(alphas[0]), alphas[1:]
		}
		if def.usesBeta && len(betas) > 0 {
			a.beta, betas = float64(betas[0]), betas[1:]
		}
		out[i] = a
	}
	return out, nil
}

// rnnStep holds the state of one time step of one batch entry in one
// direction. gx and gh are the input and recurrent projections (with their
// biases) of every gate, laid out gate after gate.
type rnnStep struct {
	hidden      int
	gx, gh      []float64
	h, c        []float64 // state, updated in place
	r           []float64 // R of this direction [gates*hidden, hidden] (GRU needs it)
	rb          []float64 // recurrent bias of this direction (GRU)
	p           []float64 // peepholes [3*hidden] or nil (LSTM)
	act         []rnnActivation
	clip        float64 // 0: none
	linearReset bool    // GRU linear_before_reset
	inputForget bool    // LSTM input_forget
}

func (s *rnnStep) clipped(x float64) float64 {
	if s.clip > 0 {
		return math.Max(-s.clip, math.Min(s.clip, x))
	}
	return x
}

var cellRNN = recurrentCell{gates: 1, acts: 1, defaults: []string{"Tanh"}, step: func(s *rnnStep) {
	for j := 0; j < s.hidden; j++ {
		s.h[j] = s.act[0].apply(s.clipped(s.gx[j] + s.gh[j]))
	}
}}

// GRU gates in W are z, r, h. With linear_before_reset the reset gate
// multiplies (Ht-1·Rhᵀ + Rbh); without it, it multiplies Ht-1 before the
// projection, which gh cannot hold, so it is recomputed here.
var cellGRU = recurrentCell{gates: 3, acts: 2, defaults: []string{"Sigmoid", "Tanh"}, step: func(s *rnnStep) {
	H := s.hidden
	z := scratch[float64](H)
	r := scratch[float64](H)
	for j := 0; j < H; j++ {
		z[j] = s.act[0].apply(s.clipped(s.gx[j] + s.gh[j]))
		r[j] = s.act[0].apply(s.clipped(s.gx[H+j] + s.gh[H+j]))
	}
	hh := scratch[float64](H)
	for j := 0; j < H; j++ {
		var rec float64
		if s.linearReset {
			rec = r[j] * s.gh[2*H+j]
		} else {
			row := s.r[(2*H+j)*H : (2*H+j+1)*H]
			for k := 0; k < H; k++ {
				rec += row[k] * r[k] * s.h[k]
			}
			rec += s.rb[2*H+j]
		}
		hh[j] = s.act[1].apply(s.clipped(s.gx[2*H+j] + rec))
	}
	for j := 0; j < H; j++ {
		s.h[j] = (1-z[j])*hh[j] + z[j]*s.h[j]
	}
}}

// LSTM gates in W are i, o, f, c; peepholes P are i, o, f.
var cellLSTM = recurrentCell{gates: 4, acts: 3, defaults: []string{"Sigmoid", "Tanh", "Tanh"}, step: func(s *rnnStep) {
	H := s.hidden
	peep := func(g, j int) float64 {
		if s.p == nil {
			return 0
		}
		return s.p[g*H+j]
	}
	for j := 0; j < H; j++ {
		cPrev := s.c[j]
		i := s.act[0].apply(s.clipped(s.gx[j] + s.gh[j] + peep(0, j)*cPrev))
		var f float64
		if s.inputForget {
			f = 1 - i
		} else {
			f = s.act[0].apply(s.clipped(s.gx[2*H+j] + s.gh[2*H+j] + peep(2, j)*cPrev))
		}
		cc := s.act[1].apply(s.clipped(s.gx[3*H+j] + s.gh[3*H+j]))
		c := f*cPrev + i*cc
		o := s.act[0].apply(s.clipped(s.gx[H+j] + s.gh[H+j] + peep(1, j)*c))
		s.c[j] = c
		s.h[j] = o * s.act[2].apply(c)
	}
}}

// rnnFloats returns a float tensor's elements as float64s (nil for a nil t).
func rnnFloats(t *Tensor) ([]float64, error) {
	if t == nil {
		return nil, nil
	}
	if !t.DType.IsFloat() {
		return nil, fmt.Errorf("%v is not a float type", t.DType)
	}
	return numericAsF64(t)
}

func runRecurrent(op *ir.Op, args []Value, cell recurrentCell) ([]Value, error) {
	ts, err := tensorOperands(args, 3, 8)
	if err != nil {
		return nil, err
	}
	X, W, R := ts[0], ts[1], ts[2]
	if len(X.Shape) != 3 || len(W.Shape) != 3 || len(R.Shape) != 3 {
		return nil, fmt.Errorf("X, W and R must have rank 3, got %v, %v, %v", X.Shape, W.Shape, R.Shape)
	}
	for i, t := range ts {
		if t != nil && i != 4 && t.DType != X.DType {
			return nil, fmt.Errorf("operand %d is %v, X is %v", i, t.DType, X.DType)
		}
	}
	dirs := 1
	dir := op.Str("direction")
	switch dir {
	case "forward", "reverse":
	case "bidirectional":
		dirs = 2
	default:
		return nil, fmt.Errorf("unknown direction %q", dir)
	}
	layout := op.Int("layout")
	S, B, I := X.Shape[0], X.Shape[1], X.Shape[2]
	if layout == 1 {
		S, B = B, S
	}
	G := cell.gates
	H := W.Shape[1] / G
	if op.Has("hidden_size") {
		H = int(op.Int("hidden_size"))
	}
	if W.Shape[0] != dirs || W.Shape[1] != G*H || W.Shape[2] != I {
		return nil, fmt.Errorf("W has shape %v, want [%d,%d,%d]", W.Shape, dirs, G*H, I)
	}
	if R.Shape[0] != dirs || R.Shape[1] != G*H || R.Shape[2] != H {
		return nil, fmt.Errorf("R has shape %v, want [%d,%d,%d]", R.Shape, dirs, G*H, H)
	}
	stateShape := []int{dirs, B, H}
	if layout == 1 {
		stateShape = []int{B, dirs, H}
	}
	check := func(t *Tensor, name string, want []int) error {
		if t != nil && !slices.Equal(t.Shape, want) {
			return fmt.Errorf("%s has shape %v, want %v", name, t.Shape, want)
		}
		return nil
	}
	if err := rnnFirstErr(check(ts[3], "B", []int{dirs, 2 * G * H}), check(ts[5], "initial_h", stateShape),
		check(ts[6], "initial_c", stateShape), check(ts[7], "P", []int{dirs, 3 * H})); err != nil {
		return nil, err
	}
	acts, err := rnnActivations(op, cell, dirs)
	if err != nil {
		return nil, err
	}
	x, _ := rnnFloats(X)
	w, _ := rnnFloats(W)
	r, _ := rnnFloats(R)
	bias, _ := rnnFloats(ts[3])
	h0, _ := rnnFloats(ts[5])
	c0, _ := rnnFloats(ts[6])
	peep, _ := rnnFloats(ts[7])
	lens := scratch[int](B)
	for b := range lens {
		lens[b] = S
	}
	if sl := ts[4]; sl != nil {
		if len(sl.Shape) != 1 || sl.Shape[0] != B {
			return nil, fmt.Errorf("sequence_lens has shape %v, want [%d]", sl.Shape, B)
		}
		for b := range lens {
			var v int64
			switch d := sl.Data.(type) {
			case []int32:
				v = int64(d[b])
			case []int64:
				v = d[b]
			default:
				return nil, fmt.Errorf("sequence_lens is %v, want int32", sl.DType)
			}
			if v < 0 || v > int64(S) {
				return nil, fmt.Errorf("sequence_lens[%d] = %d outside [0, %d]", b, v, S)
			}
			lens[b] = int(v)
		}
	}
	// Index helpers for the two layouts.
	xAt := func(t, b int) []float64 {
		if layout == 1 {
			return x[(b*S+t)*I : (b*S+t+1)*I]
		}
		return x[(t*B+b)*I : (t*B+b+1)*I]
	}
	stateAt := func(d, b int) int {
		if layout == 1 {
			return (b*dirs + d) * H
		}
		return (d*B + b) * H
	}
	yAt := func(t, d, b int) int {
		if layout == 1 {
			return ((b*S+t)*dirs + d) * H
		}
		return ((t*dirs+d)*B + b) * H
	}
	y := scratchOf[float64](S, dirs, B, H)
	yh := scratchOf[float64](dirs, B, H)
	yc := scratchOf[float64](dirs, B, H)
	var clip float64
	if op.Has("clip") {
		clip = float64(op.Float("clip"))
	}
	for d := 0; d < dirs; d++ {
		reverse := dir == "reverse" || d == 1
		wd := w[d*G*H*I : (d+1)*G*H*I]
		rd := r[d*G*H*H : (d+1)*G*H*H]
		wb, rb := scratchOf[float64](G, H), scratchOf[float64](G, H)
		if bias != nil {
			copy(wb, bias[d*2*G*H:])
			copy(rb, bias[d*2*G*H+G*H:])
		}
		s := &rnnStep{hidden: H, gx: scratchOf[float64](G, H), gh: scratchOf[float64](G, H), r: rd, rb: rb,
			act: acts[d*cell.acts : (d+1)*cell.acts], clip: clip,
			linearReset: op.Declares("linear_before_reset") && op.Int("linear_before_reset") != 0,
			inputForget: op.Declares("input_forget") && op.Int("input_forget") != 0}
		if peep != nil {
			s.p = peep[d*3*H : (d+1)*3*H]
		}
		for b := 0; b < B; b++ {
			s.h, s.c = scratch[float64](H), scratch[float64](H)
			if h0 != nil {
				copy(s.h, h0[stateAt(d, b):])
			}
			if c0 != nil {
				copy(s.c, c0[stateAt(d, b):])
			}
			L := lens[b]
			for step := 0; step < L; step++ {
				t := step
				if reverse {
					t = L - 1 - step
				}
				xt := xAt(t, b)
				for g := 0; g < G*H; g++ {
					sx, sh := wb[g], rb[g]
					for i, v := range wd[g*I : (g+1)*I] {
						sx += v * xt[i]
					}
					for k, v := range rd[g*H : (g+1)*H] {
						sh += v * s.h[k]
					}
					s.gx[g], s.gh[g] = sx, sh
				}
				cell.step(s)
				copy(y[yAt(t, d, b):], s.h)
			}
			copy(yh[stateAt(d, b):], s.h)
			copy(yc[stateAt(d, b):], s.c)
		}
	}
	yShape := []int{S, dirs, B, H}
	if layout == 1 {
		yShape = []int{B, S, dirs, H}
	}
	out := []Value{nnFromFloats(X.DType, yShape, y), nnFromFloats(X.DType, stateShape, yh)}
	if cell.gates == 4 {
		out = append(out, nnFromFloats(X.DType, stateShape, yc))
	}
	return out, nil
}

func rnnFirstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
