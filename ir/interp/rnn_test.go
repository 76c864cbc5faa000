package interp

import (
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

func rnnOp(name string, attrs ...ir.Attr) *ir.Op {
	r := &ir.Region{}
	return r.NewOp(name, nil, attrs, nil)
}

func rnnRandF32(rng *rand.Rand, shape ...int) *Tensor {
	v := make([]float32, NumElements(shape))
	for i := range v {
		v[i] = rng.Float32() - 0.5
	}
	return FromSlice(shape, v)
}

func rnnSliceDir(t *testing.T, x *Tensor, axis, d int) *Tensor {
	t.Helper()
	sizes := make([]int, x.Shape[axis])
	for i := range sizes {
		sizes[i] = 1
	}
	parts, err := seqSplitAxis(x, axis, sizes, false)
	if err != nil {
		t.Fatal(err)
	}
	return parts[d]
}

func rnnAssertClose(t *testing.T, what string, got, want *Tensor) {
	t.Helper()
	if !slices.Equal(got.Shape, want.Shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, want.Shape)
	}
	g, w := Data[float32](got), Data[float32](want)
	for i := range g {
		if math.Abs(float64(g[i]-w[i])) > 1e-6 {
			t.Fatalf("%s: element %d is %g, want %g", what, i, g[i], w[i])
		}
	}
}

// A bidirectional layer is a forward and a reverse layer side by side, with
// sequence_lens shortening each batch entry (Y zero past its length).
func TestRecurrentBidirectionalIsForwardPlusReverse(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	const S, B, I, H = 4, 3, 2, 3
	lens := FromSlice([]int{B}, []int32{4, 2, 0})
	for _, c := range []struct {
		name  string
		gates int
		extra []ir.Attr
	}{
		{"RNN", 1, nil},
		{"GRU", 3, nil},
		{"GRU", 3, []ir.Attr{{Name: "linear_before_reset", Value: ir.IntAttr(1)}}},
		{"LSTM", 4, nil},
	} {
		G := c.gates
		X := rnnRandF32(rng, S, B, I)
		W, R, Bias := rnnRandF32(rng, 2, G*H, I), rnnRandF32(rng, 2, G*H, H), rnnRandF32(rng, 2, 2*G*H)
		h0, c0, P := rnnRandF32(rng, 2, B, H), rnnRandF32(rng, 2, B, H), rnnRandF32(rng, 2, 3*H)
		args := func(d int) []Value {
			a := []Value{X, W, R, Bias, lens, h0}
			if d >= 0 {
				a = []Value{X, rnnSliceDir(t, W, 0, d), rnnSliceDir(t, R, 0, d), rnnSliceDir(t, Bias, 0, d), lens, rnnSliceDir(t, h0, 0, d)}
			}
			if G == 4 {
				if d >= 0 {
					a = append(a, rnnSliceDir(t, c0, 0, d), rnnSliceDir(t, P, 0, d))
				} else {
					a = append(a, c0, P)
				}
			}
			return a
		}
		run := func(dir string, d int) []Value {
			op := rnnOp(c.name, append([]ir.Attr{{Name: "direction", Value: ir.StringAttr(dir)}}, c.extra...)...)
			out, err := kernels[c.name](nil, op, args(d))
			if err != nil {
				t.Fatalf("%s %s: %v", c.name, dir, err)
			}
			return out
		}
		bi, fw, rv := run("bidirectional", -1), run("forward", 0), run("reverse", 1)
		for k := range bi {
			axis := 1 // Y [S, dirs, B, H]
			if k > 0 {
				axis = 0 // Y_h, Y_c [dirs, B, H]
			}
			rnnAssertClose(t, c.name+" forward half", rnnSliceDir(t, bi[k].(*Tensor), axis, 0), fw[k].(*Tensor))
			rnnAssertClose(t, c.name+" reverse half", rnnSliceDir(t, bi[k].(*Tensor), axis, 1), rv[k].(*Tensor))
		}
		// Batch entry 2 has length 0: Y is zero and Y_h is initial_h.
		y := Data[float32](fw[0].(*Tensor))
		for s := 0; s < S; s++ {
			for j := 0; j < H; j++ {
				if v := y[((s*1+0)*B+2)*H+j]; v != 0 {
					t.Fatalf("%s: Y past sequence_lens is %g, want 0", c.name, v)
				}
			}
		}
		if got, want := Data[float32](fw[1].(*Tensor))[2*H], Data[float32](h0)[2*H]; got != want {
			t.Fatalf("%s: Y_h of an empty sequence is %g, want initial_h %g", c.name, got, want)
		}
	}
}

// layout 1 is layout 0 with batch and sequence (and direction) swapped.
func TestRecurrentLayout(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	const S, B, I, H = 3, 2, 2, 2
	X := rnnRandF32(rng, S, B, I)
	W, R := rnnRandF32(rng, 1, 4*H, I), rnnRandF32(rng, 1, 4*H, H)
	op0 := rnnOp("LSTM")
	op1 := rnnOp("LSTM", ir.Attr{Name: "layout", Value: ir.IntAttr(1)})
	out0, err := kernels["LSTM"](nil, op0, []Value{X, W, R})
	if err != nil {
		t.Fatal(err)
	}
	// X [S,B,I] -> [B,S,I]
	xt := NewTensor(ir.F32, []int{B, S, I})
	for s := 0; s < S; s++ {
		for b := 0; b < B; b++ {
			copy(Data[float32](xt)[(b*S+s)*I:(b*S+s+1)*I], Data[float32](X)[(s*B+b)*I:(s*B+b+1)*I])
		}
	}
	out1, err := kernels["LSTM"](nil, op1, []Value{xt, W, R})
	if err != nil {
		t.Fatal(err)
	}
	y0, y1 := Data[float32](out0[0].(*Tensor)), Data[float32](out1[0].(*Tensor))
	for s := 0; s < S; s++ {
		for b := 0; b < B; b++ {
			for j := 0; j < H; j++ {
				if a, c := y0[(s*B+b)*H+j], y1[(b*S+s)*H+j]; a != c {
					t.Fatalf("Y[s=%d,b=%d,%d]: layout 0 %g, layout 1 %g", s, b, j, a, c)
				}
			}
		}
	}
	if sh := out1[1].(*Tensor).Shape; !slices.Equal(sh, []int{B, 1, H}) {
		t.Errorf("layout 1 Y_h shape %v, want [%d 1 %d]", sh, B, H)
	}
}

func rnnSigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// One step with hidden size 1, checked against the ONNX equations by hand.
func TestRecurrentSingleStep(t *testing.T) {
	one := func(v ...float32) *Tensor { return FromSlice([]int{1, len(v), 1}, v) }
	X := FromSlice([]int{1, 1, 1}, []float32{1})
	h0 := FromSlice([]int{1, 1, 1}, []float32{0.5})
	c0 := FromSlice([]int{1, 1, 1}, []float32{0.25})
	tests := []struct {
		name  string
		attrs []ir.Attr
		args  []Value
		want  float64
	}{
		{"RNN affine alpha beta", []ir.Attr{
			{Name: "activations", Value: ir.StringsAttr([]string{"Affine"})},
			{Name: "activation_alpha", Value: ir.FloatsAttr([]float32{2})},
			{Name: "activation_beta", Value: ir.FloatsAttr([]float32{0.5})}},
			[]Value{X, one(0.3), one(0.7), nil, nil, h0}, 2*(0.3+0.7*0.5) + 0.5},
		{"RNN clip", []ir.Attr{{Name: "clip", Value: ir.FloatAttr(0.1)}},
			[]Value{X, one(3), one(0)}, math.Tanh(0.1)},
		{"GRU", nil, []Value{X, one(0.1, 0.2, 0.3), one(0.4, 0.5, 0.6), nil, nil, h0}, func() float64 {
			z, r := rnnSigmoid(0.1+0.4*0.5), rnnSigmoid(0.2+0.5*0.5)
			hh := math.Tanh(0.3 + 0.6*(r*0.5))
			return (1-z)*hh + z*0.5
		}()},
		{"GRU linear_before_reset", []ir.Attr{{Name: "linear_before_reset", Value: ir.IntAttr(1)}},
			[]Value{X, one(0.1, 0.2, 0.3), one(0.4, 0.5, 0.6), FromSlice([]int{1, 6}, []float32{0, 0, 0, 0, 0, 0.2}), nil, h0}, func() float64 {
				z, r := rnnSigmoid(0.1+0.4*0.5), rnnSigmoid(0.2+0.5*0.5)
				hh := math.Tanh(0.3 + r*(0.6*0.5+0.2))
				return (1-z)*hh + z*0.5
			}()},
		{"LSTM peepholes", nil, []Value{X, one(0.1, 0.2, 0.3, 0.4), one(0, 0, 0, 0), nil, nil, h0, c0,
			FromSlice([]int{1, 3}, []float32{0.5, 0.6, 0.7})}, func() float64 {
			i, f := rnnSigmoid(0.1+0.5*0.25), rnnSigmoid(0.3+0.7*0.25)
			c := f*0.25 + i*math.Tanh(0.4)
			o := rnnSigmoid(0.2 + 0.6*c)
			return o * math.Tanh(c)
		}()},
		{"LSTM input_forget", []ir.Attr{{Name: "input_forget", Value: ir.IntAttr(1)}},
			[]Value{X, one(0.1, 0.2, 0.3, 0.4), one(0, 0, 0, 0), nil, nil, h0, c0}, func() float64 {
				i := rnnSigmoid(0.1)
				c := (1-i)*0.25 + i*math.Tanh(0.4)
				return rnnSigmoid(0.2) * math.Tanh(c)
			}()},
	}
	for _, tc := range tests {
		name := strings.Fields(tc.name)[0]
		out, err := kernels[name](nil, rnnOp(name, tc.attrs...), tc.args)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := float64(Data[float32](out[1].(*Tensor))[0]); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("%s: Y_h %g, want %g", tc.name, got, tc.want)
		}
	}
}

func TestRecurrentActivationParams(t *testing.T) {
	op := rnnOp("RNN",
		ir.Attr{Name: "direction", Value: ir.StringAttr("bidirectional")},
		ir.Attr{Name: "activations", Value: ir.StringsAttr([]string{"LeakyRelu", "Affine"})},
		ir.Attr{Name: "activation_alpha", Value: ir.FloatsAttr([]float32{0.1, 3})},
		ir.Attr{Name: "activation_beta", Value: ir.FloatsAttr([]float32{1})})
	acts, err := rnnActivations(op, cellRNN, 2)
	if err != nil {
		t.Fatal(err)
	}
	if acts[0] != (rnnActivation{"leakyrelu", float64(float32(0.1)), 0}) || acts[1] != (rnnActivation{"affine", 3, 1}) {
		t.Errorf("got %+v", acts)
	}
	op = rnnOp("LSTM", ir.Attr{Name: "activations", Value: ir.StringsAttr([]string{"Sigmoid", "Bogus", "Tanh"})})
	if _, err := rnnActivations(op, cellLSTM, 1); err == nil {
		t.Error("unknown activation: no error")
	}
}
