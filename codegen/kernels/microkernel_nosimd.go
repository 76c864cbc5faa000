//go:build kiln_simd && !(goexperiment.simd && amd64)

package kernels

// gemmHaveSIMD is false: without GOEXPERIMENT=simd on amd64 there is no
// vector kernel to run.
const gemmHaveSIMD = false

// gemmHaveAVX512 is false for the same reason.
const gemmHaveAVX512 = false

// gemmMicro2AVX512 stands in for the 16-float vector kernel and is never
// called.
func gemmMicro2AVX512(kb int, a, b0, b1 []float32, c []float32, ldc int, acc bool) {
	gemmMicroPortable(kb, a, b0, c, ldc, acc)
	gemmMicroPortable(kb, a, b1, c[gemmNR:], ldc, acc)
}

// gemmMicroNarrowSIMD stands in for the narrow vector kernel and is
// never called.
func gemmMicroNarrowSIMD(kb int, a, b []float32, c []float32, ldc, nr int) {
	gemmMicroPortable(kb, a, b, c, ldc, false)
}

// gemmMicroSIMD stands in for the vector kernel and is never called.
func gemmMicroSIMD(kb int, a, b []float32, c []float32, ldc int, acc bool) {
	gemmMicroPortable(kb, a, b, c, ldc, acc)
}

// dwRowSIMD stands in for the vector row kernel and is never called.
func dwRowSIMD(y, x []float32, ldx int, w []float32, bias float32, kh, kw, dh, dw int) {
	dwRowPortable(y, x, ldx, w, bias, kh, kw, dh, dw)
}

// gemmPanelRowSIMD stands in for the vector copy and is never called.
func gemmPanelRowSIMD(d, s []float32) { copy(d[:gemmNR], s[:gemmNR]) }

// dwRow2SIMD stands in for the vector row kernel and is never called.
func dwRow2SIMD(y, x []float32, ldx int, w []float32, bias float32, kh, kw, dh, dw int) int {
	return 0
}
