package interp

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/quant"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// TestMatMulBlocks checks kiln.MatMulBlocks against a float64 product of
// the activations with the dequantized weights. The kernel rounds each
// activation block to 8 bits (scale amax/127, so each value moves by at
// most half a step), so the two differ by at most sum |w_i| * step_i / 2
// per output, plus float32 rounding; the test holds it to that bound and
// also checks that the rounding happened (the result is not the float
// product), for every block type with a dot product.
func TestMatMulBlocks(t *testing.T) {
	for _, g := range []quant.GGMLType{quant.Q4_0, quant.Q4_1, quant.Q5_0, quant.Q5_1, quant.Q8_0,
		quant.Q2_K, quant.Q3_K, quant.Q4_K, quant.Q5_K, quant.Q6_K, quant.IQ4_NL, quant.IQ4_XS} {
		t.Run(g.String(), func(t *testing.T) {
			const m, n, k = 3, 4, 512
			rng := rand.New(rand.NewPCG(1, uint64(g)))
			wf := make([]float32, n*k)
			for i := range wf {
				wf[i] = float32(rng.NormFloat64())
			}
			a := make([]float32, m*k)
			for i := range a {
				a[i] = float32(rng.NormFloat64()) * 3
			}
			rb, err := quant.RowBytes(g, k)
			if err != nil {
				t.Fatal(err)
			}
			w := make([]byte, n*int(rb))
			deq := make([]float32, n*k)
			for j := 0; j < n; j++ {
				if err := quant.QuantizeRow(g, wf[j*k:(j+1)*k], w[j*int(rb):(j+1)*int(rb)]); err != nil {
					t.Fatal(err)
				}
				if err := quant.DequantizeRow(g, w[j*int(rb):(j+1)*int(rb)], deq[j*k:(j+1)*k]); err != nil {
					t.Fatal(err)
				}
			}
			dt, _ := quant.IRType(g)
			at, _ := quant.VecDotType(g)
			ai, _ := quant.Info(at)
			bl := ai.BlockLen
			out, err := kernelMatMulBlocks(nil, &ir.Op{Name: "kiln.MatMulBlocks"}, []Value{
				FromSlice([]int{m, k}, a), &Tensor{DType: dt, Shape: []int{n, k}, Data: w}})
			if err != nil {
				t.Fatal(err)
			}
			y := tensor.Data[float32](out[0].(*Tensor))
			if s := out[0].(*Tensor).Shape; len(s) != 2 || s[0] != m || s[1] != n {
				t.Fatalf("shape %v, want [%d %d]", s, m, n)
			}
			rounded := false
			for r := 0; r < m; r++ {
				for j := 0; j < n; j++ {
					exact, bound := 0.0, 0.0
					for b := 0; b < k; b += bl {
						amax := 0.0
						for i := b; i < b+bl; i++ {
							amax = math.Max(amax, math.Abs(float64(a[r*k+i])))
						}
						for i := b; i < b+bl; i++ {
							wi := float64(deq[j*k+i])
							exact += float64(a[r*k+i]) * wi
							bound += math.Abs(wi) * amax / 127 / 2
						}
					}
					got := float64(y[r*n+j])
					if d := math.Abs(got - exact); d > bound*1.01+1e-4*math.Abs(exact) {
						t.Errorf("Y[%d,%d] = %v, float product %v: differs by %v, more than the 8-bit rounding bound %v", r, j, got, exact, d, bound)
					}
					if math.Abs(got-exact) > 1e-5*math.Abs(exact) {
						rounded = true
					}
				}
			}
			if !rounded {
				t.Errorf("every output equals the float product: the activations were not rounded to %s", at)
			}
		})
	}
}

func TestMatMulBlocksErrors(t *testing.T) {
	w := &Tensor{DType: ir.Q8_0, Shape: []int{2, 32}, Data: make([]byte, 2*34)}
	cases := []struct {
		name string
		args []Value
		want string
	}{
		{"inner dims", []Value{FromSlice([]int{1, 64}, make([]float32, 64)), w}, "inner dims differ"},
		{"B rank", []Value{FromSlice([]int{1, 32}, make([]float32, 32)), &Tensor{DType: ir.Q8_0, Shape: []int{64}, Data: make([]byte, 68)}}, "want [N, K]"},
		{"A dtype", []Value{FromSlice([]int{1, 32}, make([]float64, 32)), w}, "want f32"},
		{"B float", []Value{FromSlice([]int{1, 32}, make([]float32, 32)), FromSlice([]int{2, 32}, make([]float32, 64))}, "not a ggml block type"},
		{"short blocks", []Value{FromSlice([]int{1, 32}, make([]float32, 32)), &Tensor{DType: ir.Q8_0, Shape: []int{2, 32}, Data: make([]byte, 40)}}, "B:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := kernelMatMulBlocks(nil, &ir.Op{Name: "kiln.MatMulBlocks"}, c.args)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestAttentionSoftmaxPrecision: three equal scores give weights 1/3; with
// softmax_precision FLOAT16 each is rounded to f16's 0.333251953125 before
// it multiplies V, so Y = 3 * that = 0.999755859375 instead of 1.
func TestAttentionSoftmaxPrecision(t *testing.T) {
	q := FromSlice([]int{1, 1, 1, 1}, []float32{1})
	k := FromSlice([]int{1, 1, 3, 1}, []float32{0, 0, 0})
	v := FromSlice([]int{1, 1, 3, 1}, []float32{1, 1, 1})
	for _, c := range []struct {
		prec *int64
		want float32
		err  string
	}{
		{nil, 1, ""},
		{ptr(int64(1)), 1, ""},
		{ptr(int64(10)), 0.999755859375, ""},
		{ptr(int64(16)), 3 * 0.333984375, ""},
		{ptr(int64(7)), 0, "softmax_precision 7"},
	} {
		op := &ir.Op{Name: "Attention", Results: make([]*ir.Value, 1)}
		if c.prec != nil {
			op.Attrs = []ir.Attr{{Name: "softmax_precision", Value: ir.IntAttr(*c.prec)}}
		}
		out, err := kernelAttention(nil, op, []Value{q, k, v, nil, nil, nil, nil})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("precision %v: error %v, want %q", *c.prec, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := Data[float32](out[0].(*Tensor))[0]; got != c.want {
			t.Errorf("precision %v: Y = %v, want %v", c.prec, got, c.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
