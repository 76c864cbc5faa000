package llmrt

import (
	"math"
	"math/big"
	"math/rand"
	"testing"
)

// fmaExact is a·b+c computed exactly (math/big) and rounded once to
// float32.
func fmaExact(a, b, c float32) float32 {
	x := new(big.Float).SetPrec(400).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetPrec(400).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetPrec(400).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}

// TestFMA32 checks fma32 and fmaLanes against the exactly rounded a·b+c
// on random operands, on operands whose float64 sum lands on a float32
// halfway point the exact sum is not on (rounding twice goes wrong
// there), in the normal range and below it, and on kernel-like operands
// (an integer lane sum times a scale added to an accumulator), fmaLanes
// on the normal halfway cases too; it checks that the halfway cases
// occurred and that rounding twice would have missed some of them.
func TestFMA32(t *testing.T) {
	r := rand.New(rand.NewSource(13))
	ulpHalf := func(c float32) float32 {
		return (math.Nextafter32(c, float32(math.Inf(1))) - c) / 2
	}
	cases := 0
	missed := 0
	for i := 0; i < 300000; i++ {
		var a, b, c float32
		switch i % 4 {
		case 0:
			a, b, c = float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())
		case 1:
			// a·b is half an ulp of c less 2^-46 of it: the exact sum lies
			// just below the halfway point above c, its float64 rounding
			// on it; c odd, so ties to even would round up.
			c = math.Float32frombits(math.Float32bits(float32(math.Abs(r.NormFloat64()))) | 1)
			a, b = ulpHalf(c)*(1+0x1p-23), 1-0x1p-23
			if i%8 == 1 {
				a, c = -a, -c
			}
		case 2:
			// The same below float32's normal range: c a subnormal with
			// its last bit set, a·b = 2^-150·(1-2^-40).
			c = math.Float32frombits(uint32(r.Intn(1<<23)) | 1 | 1<<22)
			a, b = 0x1p-75*(1+0x1p-20), 0x1p-75*(1-0x1p-20)
			if i%8 == 2 {
				a, c = -a, -c
			}
		case 3:
			// Kernel-like: a scale, a lane sum, an accumulator.
			a = float32(r.NormFloat64() * 1e-3)
			b = float32(r.Intn(1<<20) - 1<<19)
			c = float32(r.NormFloat64() * 10)
		}
		want := fmaExact(a, b, c)
		if got := fma32(a, b, c); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("fma32(%g, %g, %g) = %g, want %g", a, b, c, got, want)
		}
		if i%4 == 1 {
			// The same halfway case as a kernel's lane: a·2^-23 times the
			// integer 2^23-1 is a·b.
			acc := [8]float32{c, c, c, c, c, c, c, c}
			s := [8]int32{1<<23 - 1, 1<<23 - 1, 1<<23 - 1, 1<<23 - 1, 1<<23 - 1, 1<<23 - 1, 1<<23 - 1, 1<<23 - 1}
			if fmaLanes(&acc, a*0x1p-23, &s); acc[0] != want || acc[7] != want {
				t.Fatalf("fmaLanes(%g, %d, %g) = %g, want %g", a*0x1p-23, s[0], c, acc[0], want)
			}
		}
		if i%4 == 1 || i%4 == 2 {
			cases++
			if float32(float64(a)*float64(b)+float64(c)) != want {
				missed++
			}
		}
		if i%4 == 3 {
			var acc [8]float32
			var s [8]int32
			for k := range acc {
				acc[k], s[k] = c*float32(k+1), int32(b)+int32(k)
			}
			want := acc
			for k := range want {
				want[k] = fmaExact(a, float32(s[k]), want[k])
			}
			if fmaLanes(&acc, a, &s); acc != want {
				t.Fatalf("fmaLanes(%g, %v) = %v, want %v", a, s, acc, want)
			}
		}
	}
	if cases < 1000 || missed < cases/2 {
		t.Errorf("%d halfway cases, %d of them missed by rounding twice", cases, missed)
	}
	for _, v := range [][3]float32{{0, 0, 0}, {1, 2, 3}, {float32(math.Inf(1)), 1, 0}, {math.MaxFloat32, 2, 0}, {0x1p-149, 0.5, 0}} {
		if got, want := fma32(v[0], v[1], v[2]), fmaExact(v[0], v[1], v[2]); got != want && !(math.IsInf(float64(want), 0) && got == want) {
			t.Errorf("fma32(%g, %g, %g) = %g, want %g", v[0], v[1], v[2], got, want)
		}
	}
}

// TestTiny checks tiny against its definition, 0 < |d| < 2^-124, at the
// boundaries and on random bit patterns.
func TestTiny(t *testing.T) {
	b := float32(0x1p-124)
	vals := []float32{0, b, -b, math.Nextafter32(b, 0), -math.Nextafter32(b, 0), 0x1p-149, -0x1p-149, 1, float32(math.Inf(1)), float32(math.NaN())}
	r := rand.New(rand.NewSource(23))
	for i := 0; i < 100000; i++ {
		vals = append(vals, math.Float32frombits(r.Uint32()))
	}
	for _, d := range vals {
		want := d != 0 && math.Abs(float64(d)) < 0x1p-124
		if got := tiny(d); got != want {
			t.Fatalf("tiny(%g) = %v, want %v", d, got, want)
		}
	}
}
