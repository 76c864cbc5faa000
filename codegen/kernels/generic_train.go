package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Random draws and the training-mode kernels: Bernoulli, RandomUniform,
// RandomNormal and their Like forms, Dropout with training_mode true, and
// BatchNormalization with training_mode set.

// randSource returns the uniform generator on [0, 1) of one op. With a
// seed attribute it is a generator of its own seeded by it, so the op
// draws the same values on every run (as the interpreter's does; the
// values differ from the interpreter's, whose generator is another);
// without one it is math/rand/v2's package-level generator, seeded at
// random and safe for concurrent sessions.
func randSource(seed uint64, seeded bool) *rand.Rand {
	if seeded {
		return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	}
	return nil
}

// randFloat draws from r, or from the package-level generator when r is
// nil.
func randFloat(r *rand.Rand) float64 {
	if r == nil {
		return rand.Float64()
	}
	return r.Float64()
}

// randNorm draws a standard normal value from r, or from the
// package-level generator when r is nil.
func randNorm(r *rand.Rand) float64 {
	if r == nil {
		return rand.NormFloat64()
	}
	return r.NormFloat64()
}

// bernoulli draws one 0-or-1 outcome per probability in p, set(i, true)
// for a one; a probability outside [0, 1] (or NaN) is an error.
func bernoulli[P ~float32 | ~float64](p []P, r *rand.Rand, set func(i int, one bool)) error {
	for i, pi := range p {
		v := float64(pi)
		if math.IsNaN(v) || v < 0 || v > 1 {
			return fmt.Errorf("Bernoulli: probability %v at flat index %d is outside [0, 1]", v, i)
		}
		set(i, randFloat(r) < v)
	}
	return nil
}

// randomFill fills y with uniform draws on [a, b) or, with normal, normal
// draws of mean a and scale b, computed in float64.
func randomFill[T ~float32 | ~float64](y []T, r *rand.Rand, normal bool, a, b float64) {
	for i := range y {
		if normal {
			y[i] = T(a + b*randNorm(r))
		} else {
			y[i] = T(a + (b-a)*randFloat(r))
		}
	}
}

// dropout is Dropout: y = x and a mask of trues outside training or at
// ratio 0; in training each element is kept with probability 1-ratio and
// scaled by 1/(1-ratio), dropped ones are 0. mask may be nil. A ratio
// outside [0, 1) is an error.
func dropout[T ~float32 | ~float64](x, y []T, mask []bool, ratio float64, training bool, r *rand.Rand) error {
	if !(ratio >= 0 && ratio < 1) {
		return fmt.Errorf("Dropout: ratio %g outside [0, 1)", ratio)
	}
	for i, v := range x {
		keep := !training || ratio == 0 || randFloat(r) >= ratio
		switch {
		case !training || ratio == 0:
			y[i] = v
		case keep:
			y[i] = T(float64(v) / (1 - ratio))
		default:
			y[i] = 0
		}
		if mask != nil {
			mask[i] = keep
		}
	}
	return nil
}

// batchNormTrain is BatchNormalization in training mode over x of shape
// (n, c, inner...): it normalizes with each channel's batch mean and
// population variance, and (when rm and rv are not nil) moves the running
// statistics towards them, mean*momentum + batch*(1-momentum). It computes
// in float64.
func batchNormTrain[T ~float32 | ~float64](x, scale, bias, mean, variance, y, rm, rv []T, n, c, inner int, eps, momentum float64) {
	size := float64(n * inner)
	for ch := 0; ch < c; ch++ {
		var m, v float64
		for b := 0; b < n; b++ {
			for _, e := range x[(b*c+ch)*inner : (b*c+ch+1)*inner] {
				m += float64(e)
			}
		}
		m /= size
		for b := 0; b < n; b++ {
			for _, e := range x[(b*c+ch)*inner : (b*c+ch+1)*inner] {
				d := float64(e) - m
				v += d * d
			}
		}
		v /= size
		s, sh := float64(scale[ch]), float64(bias[ch])
		for b := 0; b < n; b++ {
			off := (b*c + ch) * inner
			for i, e := range x[off : off+inner] {
				y[off+i] = T(s*(float64(e)-m)/math.Sqrt(v+eps) + sh)
			}
		}
		if rm != nil {
			rm[ch] = T(float64(mean[ch])*momentum + m*(1-momentum))
		}
		if rv != nil {
			rv[ch] = T(float64(variance[ch])*momentum + v*(1-momentum))
		}
	}
}
