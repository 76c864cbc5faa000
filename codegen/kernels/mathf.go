package kernels

import "math"

// This file holds float32 versions of the transcendental functions the
// activations need (Exp, Sigmoid, Tanh, Erf and through them Softmax and
// GELU; Log for elementwise groups), computed in float32 arithmetic with short polynomials instead of
// widening to float64 and calling package math. Their accuracy was
// measured against package math in float64 over every 64th float32 bit
// pattern in the range stated, built for GOAMD64=v1 (TestMathfAccuracy
// asserts the bounds; with v3 the compiler fuses multiply-adds, which
// rounds differently by an ulp or so). For scale: one ulp of a float32
// is 6e-8 to 1.2e-7 of its value.

// Constants of expf's range reduction: ln 2 split in two so that n·ln2Hi
// is exact for |n| < 2⁸.
const (
	expfLog2e  = 1.44269504088896341
	expfLn2Hi  = 0.693359375
	expfLn2Lo  = -2.12194440e-4
	expfRound  = 12582912 // 1.5·2²³: adding it rounds a float32 to an integer
	expfMaxArg = 88.72283935546875
	expfMinArg = -103.97208404541016
)

// expf returns eˣ for float32 x. It reduces x to n·ln2 + r with |r| ≤
// ln2/2 and evaluates a degree-7 Taylor polynomial of eʳ, whose truncation
// error (r⁸/8! < 6·10⁻⁹) is below float32 rounding, then scales by 2ⁿ.
// Measured over [-103.97, 88.72] (results normal or subnormal, not
// overflowing): relative error at most 1.0e-7 where the result is normal;
// +Inf above the range, 0 below it, NaN for NaN.
func expf(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > expfMaxArg:
		return float32(math.Inf(1))
	case x < expfMinArg:
		return 0
	}
	n := x*expfLog2e + expfRound
	n -= expfRound
	r := x - n*expfLn2Hi
	r -= n * expfLn2Lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	k := int32(n)
	switch {
	case k > 127:
		return p * 2 * math.Float32frombits(uint32(k-1+127)<<23)
	case k < -126:
		// 2ⁿ is subnormal: scale in two steps.
		return p * math.Float32frombits(uint32(k+64+127)<<23) * (1.0 / (1 << 64))
	}
	return p * math.Float32frombits(uint32(k+127)<<23)
}

// sigmoidf returns 1/(1+e⁻ˣ) for float32 x, through expf; there is no
// cancellation, so its relative error stays near expf's. Measured over
// [-88, 88]: relative error at most 1.5e-7, absolute at most 9e-8.
func sigmoidf(x float32) float32 {
	return 1 / (1 + expf(-x))
}

// tanhf returns tanh x for float32 x: an odd Taylor polynomial of degree 11
// below |x| = 0.4 (truncation under 3·10⁻⁸ relative), 1 - 2/(e²ˣ+1)
// through expf above it, and ±1 beyond |x| = 9, where tanh rounds to 1 in
// float32. Measured over [-10, 10]: relative error at most 1.9e-7,
// absolute at most 9.1e-8.
func tanhf(x float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	var t float32
	switch {
	case a != a:
		return x
	case a < 0.4:
		z := a * a
		t = a + a*z*(-1.0/3+z*(2.0/15+z*(-17.0/315+z*(62.0/2835+z*(-1382.0/155925)))))
	case a < 9:
		t = 1 - 2/(expf(2*a)+1)
	default:
		t = 1
	}
	if x < 0 {
		return -t
	}
	return t
}

// erff returns the error function of float32 x: the Maclaurin series to
// x²¹ below |x| = 1 (truncation under 1.1·10⁻⁹), and above it
// 1 - (a₁t + … + a₅t⁵)·e^(-x²) with t = 1/(1+px), the five-term rational
// approximation of Abramowitz and Stegun (7.1.26, error under 1.5·10⁻⁷),
// and ±1 beyond |x| = 4, where erf rounds to 1 in float32. Measured over
// [-5, 5]: relative error at most 2.3e-7, absolute at most 1.95e-7.
func erff(x float32) float32 {
	a := x
	if a < 0 {
		a = -a
	}
	var e float32
	switch {
	case a != a:
		return x
	case a < 1:
		z := a * a
		e = 1.1283791670955126 * a * (1 + z*(-1.0/3+z*(1.0/10+z*(-1.0/42+z*(1.0/216+z*(-1.0/1320+
			z*(1.0/9360+z*(-1.0/75600+z*(1.0/685440+z*(-1.0/6894720+z*(1.0/76204800)))))))))))
	case a < 4:
		t := 1 / (1 + 0.3275911*a)
		poly := t * (0.254829592 + t*(-0.284496736+t*(1.421413741+t*(-1.453152027+t*1.061405429))))
		e = 1 - poly*expf(-a*a)
	default:
		e = 1
	}
	if x < 0 {
		return -e
	}
	return e
}

// Constants of logf: ln 2 split in two so that k·logfLn2Hi is exact for
// the exponents of float32 (|k| < 2⁸), and √2/2.
const (
	logfLn2Hi = 0.693359375
	logfLn2Lo = -2.12194440e-4
	// logfSqrtHalfBits are the bits of √2/2 in float32.
	logfSqrtHalfBits = 0x3f3504f3
)

// logf returns the natural logarithm of float32 x. It splits x into
// 2ᵏ·m with m in [√2/2, √2) (subnormals scaled by 2²⁵ first) and
// evaluates ln m = 2 atanh s, s = (m-1)/(m+1), |s| ≤ 0.1716, as the odd
// series 2(s + s³/3 + … + s⁹/9), whose truncation (2s¹¹/11 < 10⁻⁹) is
// below float32 rounding. Measured over the positive float32s (subnormal
// to MaxFloat32): relative error at most 1.8e-7, absolute at most 3.9e-6
// (at the top of the range, where ln x is 88.7); -Inf at 0, NaN below 0
// and for NaN, +Inf at +Inf.
func logf(x float32) float32 {
	switch {
	case x != x || x < 0:
		return float32(math.NaN())
	case x == 0:
		return float32(math.Inf(-1))
	case x > math.MaxFloat32:
		return x
	}
	k := int32(0)
	if x < 0x1p-126 {
		x *= 0x1p25
		k = -25
	}
	// Adding 1 - √2/2's offset to the bits carries into the exponent
	// exactly when the mantissa is at least √2/2's: m lands in [√2/2, √2)
	// without a branch (which random data would mispredict).
	bits := math.Float32bits(x) + (0x3f800000 - logfSqrtHalfBits)
	k += int32(bits>>23) - 127
	m := math.Float32frombits(bits&0x007fffff + logfSqrtHalfBits)
	s := (m - 1) / (m + 1)
	z := s * s
	p := 2 * s * (1 + z*(1.0/3+z*(1.0/5+z*(1.0/7+z*(1.0/9)))))
	f := float32(k)
	return f*logfLn2Hi + (p + f*logfLn2Lo)
}
