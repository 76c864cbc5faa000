//go:build kiln_simd && !(goexperiment.simd && amd64)

package kernels

// vecHaveSIMD is false: without GOEXPERIMENT=simd on amd64 there are no
// vector loops.
const vecHaveSIMD = false

// geluRowSIMD stands in for the vector GELU and is never called.
func geluRowSIMD(y []float32) {}

// expRowSIMD stands in for the vector exponential and is never called.
func expRowSIMD(y []float32, m float32) {}

// clampRowSIMD stands in for the vector clamp and is never called.
func clampRowSIMD(y []float32, lo, hi float32) {}

// reluRowSIMD stands in for the vector Relu and is never called.
func reluRowSIMD(y []float32) {}

// dotRowSIMD stands in for the vector dot product and is never called.
func dotRowSIMD(w, x []float32) float32 { return 0 }
