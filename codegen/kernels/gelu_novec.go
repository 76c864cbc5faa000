//go:build kiln_simd && !(goexperiment.simd && amd64)

package kernels

// geluHaveSIMD is false: without GOEXPERIMENT=simd on amd64 there is no
// vector GELU.
const geluHaveSIMD = false

// geluRowSIMD stands in for the vector GELU and is never called.
func geluRowSIMD(y []float32) {}
