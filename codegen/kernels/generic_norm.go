package kernels

import "math"

// normalize writes into y the elements of x (of shape) centred and scaled
// by the mean and variance of their group, the elements that share every
// coordinate outside the reduced dims: (x - mean) / (sqrt(var + epsVar) +
// epsStd), computed in float64; then times scale and plus bias of the
// element's channel (dim 1) when they are not nil.
func normalize[T ~float32 | ~float64](x, y []T, shape []int, reduce []bool, epsVar, epsStd float64, scale, bias []T) {
	// The row-major strides of shape (each generic kernel file stands
	// alone in a package, so this one does not share index.go's).
	st := make([]int, len(shape))
	for d, s := len(shape)-1, 1; d >= 0; d-- {
		st[d] = s
		s *= shape[d]
	}
	group := make([]int, len(x))
	groups := 1
	for d := range shape {
		if !reduce[d] {
			groups *= shape[d]
		}
	}
	for i := range x {
		g := 0
		for d := range shape {
			if !reduce[d] {
				g = g*shape[d] + (i/st[d])%shape[d]
			}
		}
		group[i] = g
	}
	sum, sq, cnt := make([]float64, groups), make([]float64, groups), make([]float64, groups)
	for i, v := range x {
		sum[group[i]] += float64(v)
		cnt[group[i]]++
	}
	for g := range sum {
		sum[g] /= cnt[g]
	}
	for i, v := range x {
		d := float64(v) - sum[group[i]]
		sq[group[i]] += d * d
	}
	for i, v := range x {
		g := group[i]
		r := (float64(v) - sum[g]) / (math.Sqrt(sq[g]/cnt[g]+epsVar) + epsStd)
		if scale != nil {
			c := (i / st[1]) % shape[1]
			r = r*float64(scale[c]) + float64(bias[c])
		}
		y[i] = T(r)
	}
}
