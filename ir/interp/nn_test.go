package interp

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

func nnRandF64(rng *rand.Rand, shape ...int) *Tensor {
	v := make([]float64, NumElements(shape))
	for i := range v {
		v[i] = rng.Float64()*2 - 1
	}
	return FromSlice(shape, v)
}

// naiveConv2D is the textbook definition, one output element at a time.
func naiveConv2D(x, w *Tensor, group, sh, sw, dh, dw, ph, pw, oh, ow int) []float64 {
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	m, cg, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	xs, ws := Data[float64](x), Data[float64](w)
	y := make([]float64, n*m*oh*ow)
	for ni := 0; ni < n; ni++ {
		for oc := 0; oc < m; oc++ {
			g := oc / (m / group)
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					s := 0.0
					for ic := 0; ic < cg; ic++ {
						for a := 0; a < kh; a++ {
							for b := 0; b < kw; b++ {
								yy, xx := i*sh+a*dh-ph, j*sw+b*dw-pw
								if yy < 0 || yy >= h || xx < 0 || xx >= wd {
									continue
								}
								s += xs[((ni*c+g*cg+ic)*h+yy)*wd+xx] * ws[((oc*cg+ic)*kh+a)*kw+b]
							}
						}
					}
					y[((ni*m+oc)*oh+i)*ow+j] = s
				}
			}
		}
	}
	return y
}

func TestConvMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	tests := []struct {
		c, m, group, k, s, d, p, h int
	}{
		{3, 4, 1, 3, 1, 1, 1, 7},
		{4, 4, 4, 3, 2, 1, 1, 8}, // depthwise, strided
		{4, 6, 2, 2, 1, 2, 0, 6}, // grouped, dilated
		{1, 2, 1, 5, 3, 1, 2, 9},
	}
	for _, tc := range tests {
		x := nnRandF64(rng, 2, tc.c, tc.h, tc.h+1)
		w := nnRandF64(rng, tc.m, tc.c/tc.group, tc.k, tc.k)
		p := int64(tc.p)
		attrs := []ir.Attr{
			{Name: "dilations", Value: ir.IntsAttr([]int64{int64(tc.d), int64(tc.d)})},
			{Name: "group", Value: ir.IntAttr(int64(tc.group))},
			{Name: "pads", Value: ir.IntsAttr([]int64{p, p, p, p})},
			{Name: "strides", Value: ir.IntsAttr([]int64{int64(tc.s), int64(tc.s)})},
		}
		got := runOneOpModule(t, "Conv", attrs, 1, x, w)[0].(*Tensor)
		ext := (tc.k-1)*tc.d + 1
		oh, ow := (tc.h+2*tc.p-ext)/tc.s+1, (tc.h+1+2*tc.p-ext)/tc.s+1
		if fmt.Sprint(got.Shape) != fmt.Sprint([]int{2, tc.m, oh, ow}) {
			t.Fatalf("%+v: shape %v, want [2 %d %d %d]", tc, got.Shape, tc.m, oh, ow)
		}
		want := naiveConv2D(x, w, tc.group, tc.s, tc.s, tc.d, tc.d, tc.p, tc.p, oh, ow)
		for i, v := range Data[float64](got) {
			if math.Abs(v-want[i]) > 1e-12 {
				t.Fatalf("%+v: element %d = %g, want %g", tc, i, v, want[i])
			}
		}
	}
}

func TestMaxPoolIndicesStorageOrder(t *testing.T) {
	// 1x1x2x3 input whose maximum is at row 1, column 2.
	x := FromSlice([]int{1, 1, 2, 3}, []float32{1, 2, 3, 4, 5, 9})
	for _, tc := range []struct {
		order int64
		want  int64
	}{{0, 5}, {1, 5}} { // row-major 1*3+2; column-major 2*2+1
		attrs := []ir.Attr{
			{Name: "kernel_shape", Value: ir.IntsAttr([]int64{2, 3})},
			{Name: "storage_order", Value: ir.IntAttr(tc.order)},
		}
		out := runOneOpModule(t, "MaxPool", attrs, 2, x)
		if got := Data[int64](out[1].(*Tensor))[0]; got != tc.want {
			t.Errorf("storage_order %d: index %d, want %d", tc.order, got, tc.want)
		}
	}
	x = FromSlice([]int{1, 1, 2, 3}, []float32{1, 2, 9, 4, 5, 3})
	attrs := []ir.Attr{
		{Name: "kernel_shape", Value: ir.IntsAttr([]int64{2, 3})},
		{Name: "storage_order", Value: ir.IntAttr(1)},
	}
	// Maximum at row 0, column 2: row-major 2, column-major 2*2+0 = 4.
	if got := Data[int64](runOneOpModule(t, "MaxPool", attrs, 2, x)[1].(*Tensor))[0]; got != 4 {
		t.Errorf("column-major index %d, want 4", got)
	}
}

// Training-mode Dropout is random, so it is checked on its statistics: the
// kept fraction is near 1-ratio and kept values are scaled by 1/(1-ratio).
func TestDropoutTrainingStatistics(t *testing.T) {
	n := 20000
	x := make([]float32, n)
	for i := range x {
		x[i] = 1
	}
	out := runOneOpModule(t, "Dropout", nil, 2, FromSlice([]int{n}, x), Scalar(float32(0.25)), Scalar(true))
	y, mask := Data[float32](out[0].(*Tensor)), Data[bool](out[1].(*Tensor))
	kept := 0
	for i := range y {
		switch {
		case mask[i] && math.Abs(float64(y[i])-1/0.75) > 1e-6:
			t.Fatalf("kept element %d = %g, want %g", i, y[i], 1/0.75)
		case !mask[i] && y[i] != 0:
			t.Fatalf("dropped element %d = %g, want 0", i, y[i])
		case mask[i]:
			kept++
		}
	}
	if frac := float64(kept) / float64(n); math.Abs(frac-0.75) > 0.02 {
		t.Errorf("kept fraction %.3f, want about 0.75", frac)
	}
}

func TestEinsumDiagonalAndBroadcast(t *testing.T) {
	// Trace of a 3x3 matrix.
	x := FromSlice([]int{3, 3}, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9})
	eq := []ir.Attr{{Name: "equation", Value: ir.StringAttr("ii")}}
	if got := Data[float64](runOneOpModule(t, "Einsum", eq, 1, x)[0].(*Tensor)); got[0] != 15 {
		t.Errorf("trace = %v, want 15", got)
	}
	// Batched matmul with a broadcast ellipsis dim.
	a := FromSlice([]int{2, 1, 2}, []float64{1, 2, 3, 4})
	b := FromSlice([]int{1, 2, 1}, []float64{10, 1})
	eq = []ir.Attr{{Name: "equation", Value: ir.StringAttr("...ij,...jk->...ik")}}
	got := runOneOpModule(t, "Einsum", eq, 1, a, b)[0].(*Tensor)
	if fmt.Sprint(got.Shape) != "[2 1 1]" || fmt.Sprint(Data[float64](got)) != "[12 34]" {
		t.Errorf("got %v", got)
	}
}
