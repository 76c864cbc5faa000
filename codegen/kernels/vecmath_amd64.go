//go:build kiln_simd && goexperiment.simd && amd64

package kernels

import "simd/archsimd"

// vecHaveSIMD reports whether the CPU runs the vector loops: AVX2 and FMA.
var vecHaveSIMD = archsimd.X86.AVX2() && archsimd.X86.FMA()

// geluRowSIMD is geluRow on a row whose length is a multiple of 8. Each
// vector computes erf as erff does, both of its formulas (the Maclaurin
// series below |x| = 1, the Abramowitz-Stegun rational form times e^(-x²)
// up to |x| = 4) then a blend by |x|, 1 beyond 4, the sign copied from x;
// e^(-x²) is expf's reduction and polynomial (its exponent stays within
// [-24, 0], so 2ⁿ is built from bits). Products may fuse into FMAs, so
// results differ from the scalar loop by an ulp or so; NaN stays NaN.
func geluRowSIMD(y []float32) {
	bc := archsimd.BroadcastFloat32x8
	var (
		half    = bc(0.5)
		one     = bc(1)
		four    = bc(4)
		rsqrt2  = bc(0.70710677)
		absMask = archsimd.BroadcastInt32x8(0x7fffffff)
		sgnMask = archsimd.BroadcastInt32x8(-0x80000000)
		log2e   = bc(expfLog2e)
		ln2Hi   = bc(expfLn2Hi)
		ln2Lo   = bc(expfLn2Lo)
		round   = bc(expfRound)
		bias    = archsimd.BroadcastInt32x8(127)
	)
	for len(y) >= 8 {
		p := (*[8]float32)(y[:8])
		v := archsimd.LoadFloat32x8(p)
		x := v.Mul(rsqrt2)
		a := x.AsInt32x8().And(absMask).AsFloat32x8()
		// |x| < 1: 2/√π·a·(1 + z·(-1/3 + z·(1/10 + ...))), z = a².
		z := a.Mul(a)
		s := bc(1.0 / 76204800)
		s = s.MulAdd(z, bc(-1.0/6894720))
		s = s.MulAdd(z, bc(1.0/685440))
		s = s.MulAdd(z, bc(-1.0/75600))
		s = s.MulAdd(z, bc(1.0/9360))
		s = s.MulAdd(z, bc(-1.0/1320))
		s = s.MulAdd(z, bc(1.0/216))
		s = s.MulAdd(z, bc(-1.0/42))
		s = s.MulAdd(z, bc(1.0/10))
		s = s.MulAdd(z, bc(-1.0/3))
		s = s.MulAdd(z, one)
		small := bc(1.1283791670955126).Mul(a).Mul(s)
		// 1 <= |x| < 4: 1 - t·(a1 + t·(...))·e^(-a²), t = 1/(1+p·a).
		am := a.Min(four)
		t := one.Div(one.Add(bc(0.3275911).Mul(am)))
		q := bc(1.061405429)
		q = q.MulAdd(t, bc(-1.453152027))
		q = q.MulAdd(t, bc(1.421413741))
		q = q.MulAdd(t, bc(-0.284496736))
		q = q.MulAdd(t, bc(0.254829592))
		q = q.Mul(t)
		e := am.Mul(am).Mul(bc(-1)) // e^e, e in [-16, 0]
		n := e.MulAdd(log2e, round).Sub(round)
		r := e.Sub(n.Mul(ln2Hi))
		r = r.Sub(n.Mul(ln2Lo))
		ex := bc(1.0 / 5040)
		ex = ex.MulAdd(r, bc(1.0/720))
		ex = ex.MulAdd(r, bc(1.0/120))
		ex = ex.MulAdd(r, bc(1.0/24))
		ex = ex.MulAdd(r, bc(1.0/6))
		ex = ex.MulAdd(r, bc(1.0/2))
		ex = ex.MulAdd(r, one)
		ex = ex.MulAdd(r, one)
		scale := n.ConvertToInt32().Add(bias).ShiftAllLeft(23).AsFloat32x8()
		mid := one.Sub(q.Mul(ex.Mul(scale)))
		erf := small.Merge(mid, a.Less(one))
		erf = one.Merge(erf, a.GreaterEqual(four))
		erf = erf.AsInt32x8().Or(x.AsInt32x8().And(sgnMask)).AsFloat32x8()
		half.Mul(v).Mul(one.Add(erf)).Store(p)
		y = y[8:]
	}
}

// expRowSIMD is expRow on a row whose length is a multiple of 8: expf's
// range reduction and polynomial on vectors, 2ⁿ built from bits (n in
// [-126, 0] for the results kept), 0 where y-m < ln 2⁻¹²⁶, NaN for NaN.
func expRowSIMD(y []float32, m float32) {
	bc := archsimd.BroadcastFloat32x8
	var (
		mv    = bc(m)
		one   = bc(1)
		zero  = bc(0)
		lim   = bc(-87.33654) // ln 2⁻¹²⁶
		log2e = bc(expfLog2e)
		ln2Hi = bc(expfLn2Hi)
		ln2Lo = bc(expfLn2Lo)
		round = bc(expfRound)
		bias  = archsimd.BroadcastInt32x8(127)
	)
	for len(y) >= 8 {
		p := (*[8]float32)(y[:8])
		x := archsimd.LoadFloat32x8(p).Sub(mv)
		keep := x.GreaterEqual(lim)
		xc := x.Max(lim)
		n := xc.MulAdd(log2e, round).Sub(round)
		r := xc.Sub(n.Mul(ln2Hi))
		r = r.Sub(n.Mul(ln2Lo))
		ex := bc(1.0 / 5040)
		ex = ex.MulAdd(r, bc(1.0/720))
		ex = ex.MulAdd(r, bc(1.0/120))
		ex = ex.MulAdd(r, bc(1.0/24))
		ex = ex.MulAdd(r, bc(1.0/6))
		ex = ex.MulAdd(r, bc(1.0/2))
		ex = ex.MulAdd(r, one)
		ex = ex.MulAdd(r, one)
		scale := n.ConvertToInt32().Add(bias).ShiftAllLeft(23).AsFloat32x8()
		// Lanes below the range are 0, NaN lanes stay NaN.
		ex.Mul(scale).Merge(zero, keep).Merge(x, x.Equal(x)).Store(p)
		y = y[8:]
	}
}

// clampRowSIMD is clampRow on a row whose length is a multiple of 8:
// vector max and min, NaN lanes put back.
func clampRowSIMD(y []float32, lo, hi float32) {
	lv, hv := archsimd.BroadcastFloat32x8(lo), archsimd.BroadcastFloat32x8(hi)
	for len(y) >= 8 {
		p := (*[8]float32)(y[:8])
		v := archsimd.LoadFloat32x8(p)
		v.Max(lv).Min(hv).Merge(v, v.Equal(v)).Store(p)
		y = y[8:]
	}
}

// reluRowSIMD is reluRow on a row whose length is a multiple of 8.
func reluRowSIMD(y []float32) {
	zero := archsimd.BroadcastFloat32x8(0)
	for len(y) >= 8 {
		p := (*[8]float32)(y[:8])
		v := archsimd.LoadFloat32x8(p)
		v.Max(zero).Merge(v, v.Equal(v)).Store(p)
		y = y[8:]
	}
}

// dotRowSIMD is Σ w[k]·x[k] for rows whose length is a multiple of 16:
// two accumulators of 8 lanes (fused multiply-adds), added lane by lane,
// then the 8 lanes as ((l0+l4)+(l2+l6))+((l1+l5)+(l3+l7)).
func dotRowSIMD(w, x []float32) float32 {
	var a0, a1 archsimd.Float32x8
	x = x[:len(w)]
	for len(w) >= 16 && len(x) >= 16 {
		a0 = archsimd.LoadFloat32x8((*[8]float32)(w[0:8])).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(x[0:8])), a0)
		a1 = archsimd.LoadFloat32x8((*[8]float32)(w[8:16])).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(x[8:16])), a1)
		w, x = w[16:], x[16:]
	}
	var l [8]float32
	a0.Add(a1).Store(&l)
	return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
}
