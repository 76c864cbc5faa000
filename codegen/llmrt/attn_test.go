package llmrt

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestAttentionFastPaths checks keyScoresGo and weightedValuesGo against
// keyScoresRef and weightedValuesRef bit for bit: head widths of 8 to 256
// (multiples of 8 and 32 and neither), 1 to 100 cached positions at
// strides of one to three heads, with and without batch, on random
// binary16 values of every magnitude (subnormals and zeros included, and
// a column of negative zeros), and with an infinity or NaN cached
// somewhere (then with finite false, as the session's flag says); the
// value sums' scratch starts as garbage.
func TestAttentionFastPaths(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	same := func(a, b float32) bool {
		return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
	}
	widths := []int{8, 16, 24, 32, 40, 64, 96, 128, 256, 12}
	for trial := range 600 {
		special := trial%7 == 6
		batch := (trial/len(widths))%2 == 1
		hd := widths[trial%len(widths)]
		rows, stride := 1+r.Intn(100), hd*(1+r.Intn(3))
		cache := randCache(r, rows, hd, stride, special)
		if trial%5 == 0 {
			// A column of negative zeros: every product -0, whose sums
			// start from +0 (0 + -0) and stay +0.
			for j := range rows {
				cache[j*stride] = 0x8000
			}
		}
		q := make([]float32, hd)
		for i := range q {
			q[i] = roundF16(float32(r.NormFloat64()))
		}
		scale := float32(r.Float64() + 0.1)
		got, want := make([]float32, rows), make([]float32, rows)
		keyScoresGo(got, cache, stride, q, scale, batch, !special)
		keyScoresRef(want, cache, stride, q, scale, batch)
		for j := range got {
			if !same(got[j], want[j]) {
				t.Fatalf("trial %d: score %d of %d rows of %d (stride %d, batch %v): fast %v, reference %v", trial, j, rows, hd, stride, batch, got[j], want[j])
			}
		}
		w := randWeights(r, rows)
		checkValues(t, fmt.Sprintf("trial %d, fast path", trial), func(o, acc []float32) {
			weightedValuesGo(o, cache, stride, w, batch, !special, acc)
		}, cache, stride, w, hd, batch)
	}
}

// randWeights returns n random softmax-like weights in [0, 1], binary16
// values.
func randWeights(r *rand.Rand, n int) []float32 {
	w := make([]float32, n)
	for j := range w {
		w[j] = roundF16(float32(r.Float64()))
	}
	return w
}

// checkValues compares a form of the value sums, f(o, acc) writing
// len(o) = hd outputs with scratch acc (garbage to start with), with
// weightedValuesRef over the cache v at stride and the weights w, bit
// for bit (NaN matching NaN).
func checkValues(t *testing.T, what string, f func(o, acc []float32), v []uint16, stride int, w []float32, hd int, batch bool) {
	t.Helper()
	og, ow := make([]float32, hd), make([]float32, hd)
	f(og, garbage(32*hd))
	weightedValuesRef(ow, v, stride, w, batch)
	for i := range og {
		if math.Float32bits(og[i]) != math.Float32bits(ow[i]) && !(og[i] != og[i] && ow[i] != ow[i]) {
			t.Fatalf("%s: values over %d positions, head %d, stride %d (batch %v): output %d is %v, reference %v", what, len(w), hd, stride, batch, i, og[i], ow[i])
		}
	}
}

// garbage returns n float32 values that no sum may read: NaNs, and
// negative zeros and ones in every eighth.
func garbage(n int) []float32 {
	g := make([]float32, n)
	for i := range g {
		switch i % 8 {
		case 3:
			g[i] = float32(math.Copysign(0, -1))
		case 5:
			g[i] = 1
		default:
			g[i] = float32(math.NaN())
		}
	}
	return g
}

// randHalf returns a random binary16 value: a subnormal or zero of either
// sign one time in eight, a value of magnitude about 1e4 one in eight,
// else about 1.
func randHalf(r *rand.Rand) uint16 {
	switch r.Intn(8) {
	case 0:
		return uint16(r.Intn(0x400)) | uint16(r.Intn(2))<<15
	case 1:
		return f16Encode(float32(r.NormFloat64() * 1e4))
	}
	return f16Encode(float32(r.NormFloat64()))
}

// randCache returns rows cached rows of width random binary16 values
// (randHalf) at stride, with an infinity or NaN somewhere when special.
func randCache(r *rand.Rand, rows, width, stride int, special bool) []uint16 {
	c := make([]uint16, rows*stride)
	for i := range c {
		c[i] = randHalf(r)
	}
	if special {
		specials := []uint16{0x7c00, 0xfc00, 0x7e00}
		c[r.Intn(rows)*stride+r.Intn(width)] = specials[r.Intn(len(specials))]
	}
	return c
}
