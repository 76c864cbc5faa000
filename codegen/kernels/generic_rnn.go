package kernels

import (
	"fmt"
	"math"
)

// rnnAct applies one recurrent activation (ONNX's names, lower case) with
// its alpha and beta.
func rnnAct(name string, alpha, beta, x float64) float64 {
	switch name {
	case "relu":
		return math.Max(x, 0)
	case "tanh":
		return math.Tanh(x)
	case "sigmoid":
		return 1 / (1 + math.Exp(-x))
	case "affine":
		return alpha*x + beta
	case "leakyrelu":
		if x < 0 {
			return alpha * x
		}
		return x
	case "thresholdedrelu":
		if x > alpha {
			return x
		}
		return 0
	case "scaledtanh":
		return alpha * math.Tanh(beta*x)
	case "hardsigmoid":
		return math.Max(0, math.Min(1, alpha*x+beta))
	case "elu":
		if x < 0 {
			return alpha * (math.Exp(x) - 1)
		}
		return x
	case "softsign":
		return x / (1 + math.Abs(x))
	case "softplus":
		return math.Log1p(math.Exp(x))
	}
	return math.NaN()
}

// rnnLayer is one recurrent layer's static description for recurrent.
type rnnLayer struct {
	gates       int // 1 RNN, 3 GRU (z, r, h), 4 LSTM (i, o, f, c)
	seq, batch  int
	input, hid  int
	dirs        int
	reverse     bool // the one direction runs backwards
	batchMajor  bool // layout 1
	acts        []string
	alpha, beta []float64 // per activation
	clip        float64   // 0: none
	linearReset bool      // GRU linear_before_reset
	inputForget bool      // LSTM input_forget
}

// recurrent runs an RNN, GRU or LSTM layer in float64: x, w, r as ONNX
// lays them out; bias, h0, c0, peep and lens may be nil (lens gives each
// batch entry's sequence length; steps past it leave y zero and the state
// as it was); y, yh and yc receive the outputs and may be nil.
func recurrent[T ~float32 | ~float64, I ~int32 | ~int64](l rnnLayer, x, w, r, bias []T, lens []I, h0, c0, peep, y, yh, yc []T) error {
	S, B, In, H, G, D := l.seq, l.batch, l.input, l.hid, l.gates, l.dirs
	xAt := func(t, b int) int {
		if l.batchMajor {
			return (b*S + t) * In
		}
		return (t*B + b) * In
	}
	stAt := func(d, b int) int {
		if l.batchMajor {
			return (b*D + d) * H
		}
		return (d*B + b) * H
	}
	yAt := func(t, d, b int) int {
		if l.batchMajor {
			return ((b*S+t)*D + d) * H
		}
		return ((t*D+d)*B + b) * H
	}
	clip := func(v float64) float64 {
		if l.clip > 0 {
			return math.Max(-l.clip, math.Min(l.clip, v))
		}
		return v
	}
	for i := range y {
		y[i] = 0
	}
	gx, gh := make([]float64, G*H), make([]float64, G*H)
	h, c, hh := make([]float64, H), make([]float64, H), make([]float64, H)
	z, rr := make([]float64, H), make([]float64, H)
	for d := 0; d < D; d++ {
		back := l.reverse || d == 1
		na := len(l.acts) / D
		act := func(k int, v float64) float64 {
			j := d*na + k
			return rnnAct(l.acts[j], l.alpha[j], l.beta[j], v)
		}
		wd, rd := w[d*G*H*In:(d+1)*G*H*In], r[d*G*H*H:(d+1)*G*H*H]
		wb, rb := make([]float64, G*H), make([]float64, G*H)
		if bias != nil {
			for g := range wb {
				wb[g], rb[g] = float64(bias[d*2*G*H+g]), float64(bias[d*2*G*H+G*H+g])
			}
		}
		for b := 0; b < B; b++ {
			for j := 0; j < H; j++ {
				h[j], c[j] = 0, 0
				if h0 != nil {
					h[j] = float64(h0[stAt(d, b)+j])
				}
				if c0 != nil {
					c[j] = float64(c0[stAt(d, b)+j])
				}
			}
			L := S
			if lens != nil {
				L = int(lens[b])
				if L < 0 || L > S {
					return fmt.Errorf("sequence_lens[%d] = %d outside [0, %d]", b, L, S)
				}
			}
			for step := 0; step < L; step++ {
				t := step
				if back {
					t = L - 1 - step
				}
				xt := x[xAt(t, b) : xAt(t, b)+In]
				for g := 0; g < G*H; g++ {
					sx, sh := wb[g], rb[g]
					for i, v := range wd[g*In : (g+1)*In] {
						sx += float64(v) * float64(xt[i])
					}
					for k, v := range rd[g*H : (g+1)*H] {
						sh += float64(v) * h[k]
					}
					gx[g], gh[g] = sx, sh
				}
				switch G {
				case 1:
					for j := range h {
						h[j] = act(0, clip(gx[j]+gh[j]))
					}
				case 3:
					for j := 0; j < H; j++ {
						z[j] = act(0, clip(gx[j]+gh[j]))
						rr[j] = act(0, clip(gx[H+j]+gh[H+j]))
					}
					for j := 0; j < H; j++ {
						var rec float64
						if l.linearReset {
							rec = rr[j] * gh[2*H+j]
						} else {
							// The reset gate multiplies the state before
							// the projection.
							row := rd[(2*H+j)*H : (2*H+j+1)*H]
							for k := 0; k < H; k++ {
								rec += float64(row[k]) * rr[k] * h[k]
							}
							rec += rb[2*H+j]
						}
						hh[j] = act(1, clip(gx[2*H+j]+rec))
					}
					for j := range h {
						h[j] = (1-z[j])*hh[j] + z[j]*h[j]
					}
				case 4:
					p := func(g, j int) float64 {
						if peep == nil {
							return 0
						}
						return float64(peep[d*3*H+g*H+j])
					}
					for j := 0; j < H; j++ {
						cp := c[j]
						i := act(0, clip(gx[j]+gh[j]+p(0, j)*cp))
						f := 1 - i
						if !l.inputForget {
							f = act(0, clip(gx[2*H+j]+gh[2*H+j]+p(2, j)*cp))
						}
						cc := act(1, clip(gx[3*H+j]+gh[3*H+j]))
						cn := f*cp + i*cc
						o := act(0, clip(gx[H+j]+gh[H+j]+p(1, j)*cn))
						c[j], h[j] = cn, o*act(2, cn)
					}
				}
				if y != nil {
					for j, v := range h {
						y[yAt(t, d, b)+j] = T(v)
					}
				}
			}
			for j := 0; j < H; j++ {
				if yh != nil {
					yh[stAt(d, b)+j] = T(h[j])
				}
				if yc != nil {
					yc[stAt(d, b)+j] = T(c[j])
				}
			}
		}
	}
	return nil
}
