//go:build kiln_simd

package kernels

// This is the vector math unit: geluRow applies GELU (the erf form,
// x/2·(1+erf(x/√2))) to a row in place, expRow the exponential of a row
// less a constant (Softmax's step), clampRow and reluRow bound a row
// (Clip, Relu), dotRow is a dot product (LSTM gates). Built with
// GOEXPERIMENT=simd for
// amd64 they run on vectors of 8 float32s (vecmath_amd64.go) when the CPU
// has AVX2 and FMA; elsewhere they are the scalar loops through erff and
// expf (mathf.go, which a package holding this unit also holds). The code
// generator writes the unit into a package with the vector micro-kernel
// (codegen.Options.SIMD) when a kernel calls one of them.

// geluRow sets y[i] to GELU(y[i]) for every i.
func geluRow(y []float32) {
	n := 0
	if vecHaveSIMD {
		n = len(y) / 8 * 8
		geluRowSIMD(y[:n])
	}
	for i, v := range y[n:] {
		y[n+i] = 0.5 * v * (1 + erff(v*0.70710677))
	}
}

// expRow sets y[i] to e^(y[i]-m) for every i, for y[i]-m ≤ 0 (or NaN):
// expf's value, except that results below 2⁻¹²⁶ (y[i]-m < ln 2⁻¹²⁶ ≈ -87.3365) are 0
// in the vector lanes.
func expRow(y []float32, m float32) {
	n := 0
	if vecHaveSIMD {
		n = len(y) / 8 * 8
		expRowSIMD(y[:n], m)
	}
	for i, v := range y[n:] {
		y[n+i] = expf(v - m)
	}
}

// clampRow sets y[i] to min(max(y[i], lo), hi) for every i (Clip); NaN
// stays NaN.
func clampRow(y []float32, lo, hi float32) {
	n := 0
	if vecHaveSIMD {
		n = len(y) / 8 * 8
		clampRowSIMD(y[:n], lo, hi)
	}
	for i, v := range y[n:] {
		y[n+i] = min(max(v, lo), hi)
	}
}

// reluRow sets y[i] to max(y[i], 0) for every i (Relu); NaN stays NaN.
func reluRow(y []float32) {
	n := 0
	if vecHaveSIMD {
		n = len(y) / 8 * 8
		reluRowSIMD(y[:n])
	}
	for i, v := range y[n:] {
		y[n+i] = max(v, 0)
	}
}

// dotRow returns Σ w[k]·x[k] over the len(w) elements of w (x at least
// as long): the first multiple of 16 on vectors where the CPU has them
// (dotRowSIMD), the rest in four partial sums added in a fixed order, so
// that no chain of dependent additions runs the length of the row.
func dotRow(w, x []float32) float32 {
	x = x[:len(w)]
	n := 0
	var s float32
	if vecHaveSIMD {
		n = len(w) / 16 * 16
		s = dotRowSIMD(w[:n], x[:n])
	}
	w, x = w[n:], x[n:]
	var p0, p1, p2, p3 float32
	for len(w) >= 4 && len(x) >= 4 {
		p0 += w[0] * x[0]
		p1 += w[1] * x[1]
		p2 += w[2] * x[2]
		p3 += w[3] * x[3]
		w, x = w[4:], x[4:]
	}
	for k, v := range w {
		p0 += v * x[k]
	}
	return s + ((p0 + p1) + (p2 + p3))
}
