package interp

import (
	"fmt"
	"math"
	"slices"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("Adagrad", kernelOptimizer)
	Register("Adam", kernelOptimizer)
	Register("Momentum", kernelOptimizer)
}

// optimizerGroups is how many per-tensor inputs each optimizer takes.
var optimizerGroups = map[string]int{"Adagrad": 3, "Adam": 4, "Momentum": 3}

// kernelOptimizer applies one step of an ai.onnx.preview.training
// optimizer, following the update rules of its ONNX definition (version 1)
// in float64 and rounding to each tensor's dtype.
func kernelOptimizer(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 0)
	if err != nil {
		return nil, err
	}
	if ts[0].Len() != 1 || ts[1].Len() != 1 {
		return nil, fmt.Errorf("R and T must be scalars, got shapes %v and %v", ts[0].Shape, ts[1].Shape)
	}
	rv, err := numericAsF64(ts[0])
	if err != nil {
		return nil, fmt.Errorf("R: %w", err)
	}
	tv, err := numericAsF64(ts[1])
	if err != nil {
		return nil, fmt.Errorf("T: %w", err)
	}
	R, T := rv[0], tv[0]
	g := optimizerGroups[op.Name]
	vs := ts[2:]
	if len(vs)%g != 0 {
		return nil, fmt.Errorf("%d optimized inputs: want %d equal groups", len(vs), g)
	}
	n := len(vs) / g
	// in[k][i] is group k's i-th tensor as float64.
	in := scratch[[][]float64](g)
	for k := 0; k < g; k++ {
		in[k] = scratch[[]float64](n)
		for i := 0; i < n; i++ {
			t := vs[k*n+i]
			if !slices.Equal(t.Shape, vs[i].Shape) {
				return nil, fmt.Errorf("input %d has shape %v, want %v like X%d", 2+k*n+i, t.Shape, vs[i].Shape, i)
			}
			if in[k][i], err = numericAsF64(t); err != nil {
				return nil, fmt.Errorf("input %d: %w", 2+k*n+i, err)
			}
		}
	}
	norm := float64(op.Float("norm_coefficient"))
	eps := 0.0 // Momentum has no epsilon
	if op.Declares("epsilon") {
		eps = float64(op.Float("epsilon"))
	}
	var outGroups []int       // which input group's shape/dtype each output group takes
	var results [][][]float64 // results[k][i]
	switch op.Name {
	case "Adagrad":
		decay := float64(op.Float("decay_factor"))
		r := R / (1 + T*decay)
		xs, hs := scratch[[]float64](n), scratch[[]float64](n)
		for i := 0; i < n; i++ {
			X, G, H := in[0][i], in[1][i], in[2][i]
			xs[i], hs[i] = scratch[float64](len(X)), scratch[float64](len(X))
			for j := range X {
				gr := norm*X[j] + G[j]
				hs[i][j] = H[j] + gr*gr
				xs[i][j] = X[j] - r*gr/(math.Sqrt(hs[i][j])+eps)
			}
		}
		outGroups, results = []int{0, 2}, [][][]float64{xs, hs}
	case "Adam":
		alpha, beta := float64(op.Float("alpha")), float64(op.Float("beta"))
		post := float64(op.Float("norm_coefficient_post"))
		ra := R
		if T > 0 {
			ra = R * math.Sqrt(1-math.Pow(beta, T)) / (1 - math.Pow(alpha, T))
		}
		xs, vs2, hs := scratch[[]float64](n), scratch[[]float64](n), scratch[[]float64](n)
		for i := 0; i < n; i++ {
			X, G, V, H := in[0][i], in[1][i], in[2][i], in[3][i]
			xs[i], vs2[i], hs[i] = scratch[float64](len(X)), scratch[float64](len(X)), scratch[float64](len(X))
			for j := range X {
				gr := norm*X[j] + G[j]
				vs2[i][j] = alpha*V[j] + (1-alpha)*gr
				hs[i][j] = beta*H[j] + (1-beta)*gr*gr
				xn := X[j] - ra*vs2[i][j]/(math.Sqrt(hs[i][j])+eps)
				xs[i][j] = (1 - post) * xn
			}
		}
		outGroups, results = []int{0, 2, 3}, [][][]float64{xs, vs2, hs}
	case "Momentum":
		alpha, beta := float64(op.Float("alpha")), float64(op.Float("beta"))
		mode := op.Str("mode")
		if mode != "standard" && mode != "nesterov" {
			return nil, fmt.Errorf("mode %q: want standard or nesterov", mode)
		}
		// The first update (T == 0) does not scale the gradient by beta.
		if T <= 0 {
			beta = 1
		}
		xs, vs2 := scratch[[]float64](n), scratch[[]float64](n)
		for i := 0; i < n; i++ {
			X, G, V := in[0][i], in[1][i], in[2][i]
			xs[i], vs2[i] = scratch[float64](len(X)), scratch[float64](len(X))
			for j := range X {
				gr := norm*X[j] + G[j]
				vs2[i][j] = alpha*V[j] + beta*gr
				if mode == "standard" {
					xs[i][j] = X[j] - R*vs2[i][j]
				} else {
					xs[i][j] = X[j] - R*(gr+alpha*vs2[i][j])
				}
			}
		}
		outGroups, results = []int{0, 2}, [][][]float64{xs, vs2}
	}
	var out []Value
	for k, grp := range outGroups {
		for i := 0; i < n; i++ {
			src := vs[grp*n+i]
			t, err := numericFromF64(src.DType, src.Shape, results[k][i])
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
	}
	return out, nil
}
