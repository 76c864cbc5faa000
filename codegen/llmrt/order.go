package llmrt

import "math"

// ggml's CPU backend, built for AVX2 with FMA (the build llama.cpp's
// reference logits come from), adds most float32 sums in eight lanes of a
// 256-bit register with fused multiply-adds and reduces the lanes at the
// end: lanes 4..7 onto 0..3, then lanes 2,3 onto 0,1, then lane 1 onto 0,
// so the result is ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)). The functions
// here reproduce those orders and roundings, so that the runtime's values
// round to f16 (the KV cache) and to 8-bit blocks as llama.cpp's do.

// fma32 returns a·b+c rounded once to float32, as the FMA instruction
// rounds it. The product of two float32 values is exact in float64; the
// sum, rounded to float64 and then to float32, is rounded twice, which
// differs from one rounding only where twice says it may: then the sum
// is rounded to odd instead (odd). The kernels' lanes take the common
// case inline (sum32, fmaLanes): their scales are rarely tiny, which
// leaves only the halfway test per lane.
func fma32(a, b, c float32) float32 {
	p, cc := float64(a)*float64(b), float64(c)
	s := p + cc
	if twice(s) {
		s = odd(p, cc, s)
	}
	return float32(s)
}

// twice reports whether a float64 sum s may round to float32 otherwise
// than the exact sum: when it lies exactly halfway between two float32
// values (halfway), or below float32's normal range, where the halfway
// points have other low bits (but not at zero, which is exact).
func twice(s float64) bool {
	return halfway(s) || math.Float64bits(s)&^(1<<63)-1 < 0x3810000000000000-1
}

// halfway reports whether a float64 s lies exactly halfway between two
// normal float32 values: its low 29 mantissa bits are 1<<28 (about one
// inexact sum in 2^29).
func halfway(s float64) bool { return uint32(math.Float64bits(s))&(1<<29-1) == 1<<28 }

// tiny reports whether a float32 scale d is below 2^-124 in magnitude
// but not 0. For other d, a sum d·b+c (b an integer, c a float32) below
// float32's normal range is exact in float64: a product d·b not below
// 2^-124 cancels to there only with an addend within a factor 2 of it,
// and that subtraction is exact (d = 0 or b = 0 adds nothing). So for
// them only halfway sums need care.
func tiny(d float32) bool {
	// 2^-124 is 0x01800000; a NaN is not tiny.
	return math.Float32bits(d)&0x7fffffff-1 < 0x01800000-1
}

// odd returns p+c rounded to odd, given s, p+c rounded to float64: two-sum
// gives the exact remainder e = p+c-s, and an inexact s whose last bit is
// even moves one step towards e. A sum rounded to odd with 29 bits to
// spare rounds to float32 as the exact sum does.
func odd(p, c, s float64) float64 {
	bb := s - p
	e := (p - (s - bb)) + (c - bb)
	u := math.Float64bits(s)
	if e != 0 && u&1 == 0 {
		if (e > 0) == (s > 0) {
			u++
		} else {
			u--
		}
	}
	return math.Float64frombits(u)
}

// fmaLanes sets lane k of acc to fma32(d, float32(s[k]), acc[k]) for
// the eight lanes of a block, s[k] exact in float32 (|s[k]| <= 2^24, as
// every kernel's lane sums are).
func fmaLanes(acc *[8]float32, d float32, s *[8]int32) {
	if tiny(d) {
		for k, c := range acc {
			acc[k] = fma32(d, float32(s[k]), c)
		}
		return
	}
	dd := float64(d)
	acc[0], acc[1] = sum32(dd*float64(s[0]), float64(acc[0])), sum32(dd*float64(s[1]), float64(acc[1]))
	acc[2], acc[3] = sum32(dd*float64(s[2]), float64(acc[2])), sum32(dd*float64(s[3]), float64(acc[3]))
	acc[4], acc[5] = sum32(dd*float64(s[4]), float64(acc[4])), sum32(dd*float64(s[5]), float64(acc[5]))
	acc[6], acc[7] = sum32(dd*float64(s[6]), float64(acc[6])), sum32(dd*float64(s[7]), float64(acc[7]))
}

// lanesExact returns the reduced lanes of nb blocks whose scales and lane
// sums block gives, every multiply-add by fmaLanes: the way a kernel
// finishes a row in which it met a tiny scale.
func lanesExact(nb int, block func(b int) (float32, [8]int32)) float32 {
	var acc [8]float32
	for b := 0; b < nb; b++ {
		d, s := block(b)
		fmaLanes(&acc, d, &s)
	}
	return hsum8(&acc)
}

// hsum8 reduces eight float32 lanes as ggml's AVX2 horizontal sums do.
func hsum8(l *[8]float32) float32 {
	return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
}

// hsum4 reduces four float32 lanes as ggml's SSE horizontal sums do.
func hsum4(l *[4]float32) float32 { return (l[0] + l[2]) + (l[1] + l[3]) }

// expf is ggml's vectorized exponential (AVX2 with FMA): 2^n times a
// polynomial in the remainder, n = round(x·log2 e), with its own
// constants, which differs from the correctly rounded e^x in the last
// bits. Below about -103.97 it returns 0, above about 88.38 +Inf.
func expf(x float32) float32 {
	const (
		shift = 0x1.8p23
		log2e = 0x1.715476p+0
		ln2hi = 0x1.62e4p-1
		ln2lo = 0x1.7f7d1cp-20
		c1    = 0x1.ffffecp-1
		c2    = 0x1.fffdb6p-2
		c3    = 0x1.555e66p-3
		c4    = 0x1.573e2ep-5
		c5    = 0x1.0e4020p-7
	)
	z := fma32(x, log2e, shift)
	n := z - shift
	b := fma32(-n, ln2lo, fma32(-n, ln2hi, x))
	e := math.Float32bits(z) << 23
	k := math.Float32frombits(e + math.Float32bits(1))
	u := b * b
	j := fma32(fma32(fma32(c5, b, c4), u, fma32(c3, b, c2)), u, c1*b)
	if !(float32(math.Abs(float64(n))) > 126) {
		return fma32(j, k, k)
	}
	// Results near or past the float32 range: 2^n split in two factors.
	var g uint32
	if n <= 0 {
		g = 0x82000000
	}
	s1 := math.Float32frombits(g + 0x7f000000)
	s2 := math.Float32frombits(e - g)
	if float32(math.Abs(float64(n))) > 192 {
		return s1 * s1
	}
	return fma32(s2, j, s2) * s1
}

// silu is x/(1+e^-x) with expf, as ggml's vectorized SiLU.
func silu(x float32) float32 { return x / (1 + expf(-x)) }

var (
	siluRuns   = siluRunsGo
	expShifted = expShiftedGo
)

// siluRunsGo applies silu to every value of x.
func siluRunsGo(x []float32) {
	for i, v := range x {
		x[i] = silu(v)
	}
}

// expShiftedGo replaces every value v of x by expf(v - top).
func expShiftedGo(x []float32, top float32) {
	for i, v := range x {
		x[i] = expf(v - top)
	}
}

// siluRows applies silu to x in runs of eight as ggml does; a tail of
// fewer than eight values uses the correctly rounded exponential, as
// ggml's scalar loop does with the C library's expf. The vector build
// replaces siluRuns and expShifted (vec_amd64.go) with forms that give
// the same bits.
func siluRows(x []float32) {
	n8 := len(x) &^ 7
	siluRuns(x[:n8])
	for i := n8; i < len(x); i++ {
		x[i] = x[i] / (1 + float32(math.Exp(float64(-x[i]))))
	}
}

// sum32 returns p+c rounded once to float32, for p+c which rounds to
// float32 as the exact sum does wherever its float64 sum is not a float32
// halfway point: p = float64(d)·float64(s) with d a float32 not tiny and s
// an integer exact in float32, c a float32 (fma32(d, float32(s), c)). A
// sum on a halfway point is moved towards the exact sum (nudge).
func sum32(p, c float64) float32 {
	r := p + c
	if halfway(r) {
		r = nudge(p, c, r)
	}
	return float32(r)
}

// nudge returns s = p+c rounded to float64, on a float32 halfway point,
// moved one or two float64 steps towards p+c when s is inexact (e, the
// exact remainder from two-sum, is not 0), multiplying by 1±2^-52: that
// stays on the side of the halfway point where p+c lies.
func nudge(p, c, s float64) float64 {
	bb := s - p
	e := (p - (s - bb)) + (c - bb)
	if e == 0 {
		return s
	}
	if (e > 0) == (s > 0) {
		return s * (1 + 0x1p-52)
	}
	return s * (1 - 0x1p-52)
}
