//go:build kiln_simd

package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// TestGemmMicro2SameBits checks gemmMicro2's claim: the two tiles it
// computes side by side (on 16-float vectors where the CPU has AVX-512)
// are bit for bit the two tiles gemmMicro computes one at a time, when
// storing and when adding to C, for depths with and without a remainder.
func TestGemmMicro2SameBits(t *testing.T) {
	rng := rand.New(rand.NewSource(21))
	const ldc = 2*gemmNR + 3
	for _, kb := range []int{1, 2, 7, 64, 257} {
		for _, acc := range []bool{false, true} {
			a := make([]float32, kb*gemmMR)
			b0 := make([]float32, kb*gemmNR)
			b1 := make([]float32, kb*gemmNR)
			for _, s := range [][]float32{a, b0, b1} {
				for i := range s {
					s[i] = float32(rng.NormFloat64())
				}
			}
			c0 := make([]float32, gemmMR*ldc)
			for i := range c0 {
				c0[i] = float32(rng.NormFloat64())
			}
			want := append([]float32(nil), c0...)
			got := append([]float32(nil), c0...)
			gemmMicro(kb, a, b0, want, ldc, acc)
			gemmMicro(kb, a, b1, want[gemmNR:], ldc, acc)
			gemmMicro2(kb, a, b0, b1, got, ldc, acc)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("kb %d acc %v: C[%d] = %v, one tile at a time gave %v (AVX-512: %v)", kb, acc, i, got[i], want[i], gemmHaveAVX512)
				}
			}
		}
	}
}
