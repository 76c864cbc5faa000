//go:build kiln_simd

package kernels

// This is the vector GELU unit: geluRow applies GELU (the erf form,
// x/2·(1+erf(x/√2))) to a row in place. Built with GOEXPERIMENT=simd for
// amd64 it runs on vectors of 8 float32s (gelu_vec_amd64.go) when the CPU
// has AVX2 and FMA; elsewhere it is the scalar loop through erff
// (mathf.go, which a package holding this unit also holds). The code
// generator writes it into a package with the vector micro-kernel
// (codegen.Options.SIMD) when a kernel ends its epilogue with GELU.

// geluRow sets y[i] to GELU(y[i]) for every i.
func geluRow(y []float32) {
	n := 0
	if geluHaveSIMD {
		n = len(y) / 8 * 8
		geluRowSIMD(y[:n])
	}
	for i, v := range y[n:] {
		y[n+i] = 0.5 * v * (1 + erff(v*0.70710677))
	}
}
