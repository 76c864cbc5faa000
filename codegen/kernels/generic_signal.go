package kernels

import (
	"fmt"
	"math"
)

// DFT, STFT and MelWeightMatrix, as the interpreter computes them: each
// bin summed directly in float64, the index product reduced modulo the
// length first so the twiddle angles stay exact.

// dftLine computes outLen bins of the length-n DFT of the complex
// sequence (re[k], im[k]) for k < len(re), zero beyond (a dft_length
// other than the input's pads or truncates), into ore and oim; the
// inverse divides by n.
func dftLine(re, im []float64, n int, inverse bool, ore, oim []float64) {
	sign := -1.0
	if inverse {
		sign = 1
	}
	m := min(len(re), n)
	for j := range ore {
		var sr, si float64
		for k := 0; k < m; k++ {
			s, c := math.Sincos(sign * 2 * math.Pi * float64((k*j)%n) / float64(n))
			sr += re[k]*c - im[k]*s
			si += re[k]*s + im[k]*c
		}
		if inverse {
			sr /= float64(n)
			si /= float64(n)
		}
		ore[j], oim[j] = sr, si
	}
}

// dft is DFT along one axis of x, viewed as (outer, inLen, inner, comps)
// with comps 1 (real) or 2 (complex): y is (outer, outLen, inner, 2), the
// bins of the length-n transform.
func dft[T ~float32 | ~float64](x, y []T, outer, inLen, inner, comps, n, outLen int, inverse bool) {
	re, im := make([]float64, inLen), make([]float64, inLen)
	ore, oim := make([]float64, outLen), make([]float64, outLen)
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			for k := 0; k < inLen; k++ {
				i := ((o*inLen+k)*inner + in) * comps
				re[k], im[k] = float64(x[i]), 0
				if comps == 2 {
					im[k] = float64(x[i+1])
				}
			}
			dftLine(re, im, n, inverse, ore, oim)
			for j := 0; j < outLen; j++ {
				i := ((o*outLen+j)*inner + in) * 2
				y[i], y[i+1] = T(ore[j]), T(oim[j])
			}
		}
	}
}

// stft is STFT of x, (batch, length, comps): frames of frameLen samples
// every step, each multiplied by window (nil for none) and transformed;
// y is (batch, frames, bins, 2).
func stft[T ~float32 | ~float64](x, window, y []T, batch, length, comps, step, frameLen, frames, bins int) {
	re, im := make([]float64, frameLen), make([]float64, frameLen)
	ore, oim := make([]float64, bins), make([]float64, bins)
	for b := 0; b < batch; b++ {
		for f := 0; f < frames; f++ {
			for k := 0; k < frameLen; k++ {
				w := 1.0
				if window != nil {
					w = float64(window[k])
				}
				i := (b*length + f*step + k) * comps
				re[k], im[k] = float64(x[i])*w, 0
				if comps == 2 {
					im[k] = float64(x[i+1]) * w
				}
			}
			dftLine(re, im, frameLen, false, ore, oim)
			for j := 0; j < bins; j++ {
				i := ((b*frames+f)*bins + j) * 2
				y[i], y[i+1] = T(ore[j]), T(oim[j])
			}
		}
	}
}

// melWeights is MelWeightMatrix: y is (dftLen/2+1, mels), triangular
// filters whose corners are mels+2 points evenly spaced on the mel scale
// (2595 log10(1 + f/700)) from lo to hi Hz, mapped to spectrum bins by
// floor((dftLen+1) f / rate). A filter reaching past the spectrum is an
// error.
func melWeights[T ~float32 | ~float64](y []T, mels, dftLen, rate int, lo, hi float64) error {
	rows, cols := dftLen/2+1, mels
	toMel := func(f float64) float64 { return 2595 * math.Log10(1+f/700) }
	loMel, hiMel := toMel(lo), toMel(hi)
	step := (hiMel - loMel) / float64(cols+2)
	pts := make([]int, cols+2)
	for i := range pts {
		hz := 700 * (math.Pow(10, (float64(i)*step+loMel)/2595) - 1)
		pts[i] = int(math.Floor(float64(dftLen+1) * hz / float64(rate)))
	}
	clear(y)
	set := func(r, col int, v float64) error {
		if r < 0 || r >= rows {
			return fmt.Errorf("MelWeightMatrix: filter %d reaches spectrum bin %d of %d", col, r, rows)
		}
		y[r*cols+col] = T(v)
		return nil
	}
	for i := 0; i < cols; i++ {
		l, m, h := pts[i], pts[i+1], pts[i+2]
		if m == l {
			if err := set(m, i, 1); err != nil {
				return err
			}
		} else {
			for j := l; j <= m; j++ {
				if err := set(j, i, float64(j-l)/float64(m-l)); err != nil {
					return err
				}
			}
		}
		for j := m; j < h; j++ {
			if err := set(j, i, float64(h-j)/float64(h-m)); err != nil {
				return err
			}
		}
	}
	return nil
}
