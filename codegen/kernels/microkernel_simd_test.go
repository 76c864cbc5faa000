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

// TestGemmMicroNSameBits checks gemmMicroN's claim: the first nr columns
// it stores (column by column on vectors for nr ≤ 4) are bit for bit
// those of the whole tile gemmMicro computes.
func TestGemmMicroNSameBits(t *testing.T) {
	rng := rand.New(rand.NewSource(22))
	const ldc = 2 * gemmNR
	for _, kb := range []int{1, 3, 64, 387} {
		for nr := 1; nr <= 6; nr++ {
			a := make([]float32, kb*gemmMR)
			b := make([]float32, kb*gemmNR)
			for _, s := range [][]float32{a, b} {
				for i := range s {
					s[i] = float32(rng.NormFloat64())
				}
			}
			want := make([]float32, gemmMR*ldc)
			got := make([]float32, gemmMR*ldc)
			gemmMicro(kb, a, b, want, ldc, false)
			gemmMicroN(kb, a, b, got, ldc, nr)
			for i := 0; i < gemmMR; i++ {
				for j := 0; j < nr; j++ {
					if g, w := got[i*ldc+j], want[i*ldc+j]; math.Float32bits(g) != math.Float32bits(w) {
						t.Fatalf("kb %d nr %d: C[%d][%d] = %v, the whole tile gave %v", kb, nr, i, j, g, w)
					}
				}
			}
		}
	}
}
