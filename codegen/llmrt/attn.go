package llmrt

import "math"

// keyScores and weightedValues are the attention's dot products over the
// F16 cache: keyScoresGo and weightedValuesGo here, the vector forms in a
// build with GOEXPERIMENT=simd on a processor with AVX2 (vec_amd64.go),
// all of which give the results of keyScoresRef and weightedValuesRef
// bit for bit. finite says the cache holds no infinity or NaN, which the
// fast paths need.
var (
	keyScores      = keyScoresGo
	weightedValues = weightedValuesGo
)

// keyScoresRef sets sc[j] to scale times the dot product (f16Dot) of the
// query q with the cached key row j, len(q) binary16 values at k[j·stride:].
func keyScoresRef(sc []float32, k []uint16, stride int, q []float32, scale float32, batch bool) {
	hd := len(q)
	for j := range sc {
		sc[j] = f16Dot(hd, hd, k[j*stride:j*stride+hd], 1, q, batch) * scale
	}
}

// weightedValuesRef writes o[i] = Σ_j w[j]·v[j·stride+i] for i < len(o),
// each sum added as f16Dot adds a row of the cached positions padded
// with masked ones to a multiple of 32.
func weightedValuesRef(o []float32, v []uint16, stride int, w []float32, batch bool) {
	width := (len(w) + 31) &^ 31
	for i := range o {
		o[i] = f16Dot(len(w), width, v[i:], stride, w, batch)
	}
}

// h2fScaledGo is the float32 value 2^-112 times that of the finite
// binary16 value h (h2f without its multiply): a product with y·2^112 is
// the product with y.
func h2fScaledGo(h uint16) float32 {
	return math.Float32frombits(uint32(int32(int16(h))<<13) & 0x8fffe000)
}

// keyScoresGo is keyScoresRef with a fast path for a finite cache and
// rows of a multiple of 32 values (8 with batch) up to 256: the query
// scaled by 2^112 once (h2fScaledGo), and without batch f16Dot's four
// groups of eight accumulators done one group at a time, so that each
// group's eight stay in registers.
func keyScoresGo(sc []float32, k []uint16, stride int, q []float32, scale float32, batch, finite bool) {
	hd := len(q)
	if !keyFast(hd, batch, finite) {
		keyScoresRef(sc, k, stride, q, scale, batch)
		return
	}
	var qs [256]float32
	scaleQuery(&qs, q)
	for j := range sc {
		row := k[j*stride : j*stride+hd]
		if batch {
			var l [8]float32
			for i := 0; i < hd; i += 8 {
				r, y := (*[8]uint16)(row[i:]), (*[8]float32)(qs[i:])
				l[0] += h2fScaledGo(r[0]) * y[0]
				l[1] += h2fScaledGo(r[1]) * y[1]
				l[2] += h2fScaledGo(r[2]) * y[2]
				l[3] += h2fScaledGo(r[3]) * y[3]
				l[4] += h2fScaledGo(r[4]) * y[4]
				l[5] += h2fScaledGo(r[5]) * y[5]
				l[6] += h2fScaledGo(r[6]) * y[6]
				l[7] += h2fScaledGo(r[7]) * y[7]
			}
			sc[j] = hsum8(&l) * scale
			continue
		}
		var acc [4][8]float32
		for g := range acc {
			var a0, a1, a2, a3, a4, a5, a6, a7 float32
			for i := 8 * g; i < hd; i += 32 {
				r, y := (*[8]uint16)(row[i:]), (*[8]float32)(qs[i:])
				a0 += h2fScaledGo(r[0]) * y[0]
				a1 += h2fScaledGo(r[1]) * y[1]
				a2 += h2fScaledGo(r[2]) * y[2]
				a3 += h2fScaledGo(r[3]) * y[3]
				a4 += h2fScaledGo(r[4]) * y[4]
				a5 += h2fScaledGo(r[5]) * y[5]
				a6 += h2fScaledGo(r[6]) * y[6]
				a7 += h2fScaledGo(r[7]) * y[7]
			}
			acc[g] = [8]float32{a0, a1, a2, a3, a4, a5, a6, a7}
		}
		sc[j] = f16DotReduce(&acc) * scale
	}
}

// keyFast reports whether the key scores' fast paths take rows of hd
// values: a finite cache, and hd a multiple of 32 (8 with batch) up to
// 256.
func keyFast(hd int, batch, finite bool) bool {
	return finite && hd%8 == 0 && (batch || hd%32 == 0) && hd <= 256
}

// scaleQuery sets qs to the query q (binary16 values, at most 256) times
// 2^112, for products with h2fScaledGo's values; |q[i]| <= 65504, so
// none overflows.
func scaleQuery(qs *[256]float32, q []float32) {
	for i, v := range q {
		qs[i] = v * 0x1p112
	}
}

// f16DotReduce is f16Dot's reduction of its four eight-lane accumulators
// (a row with no values past its last run of 32).
func f16DotReduce(acc *[4][8]float32) float32 {
	var x [8]float32
	for l := range x {
		x[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l])
	}
	return ((x[0] + x[4]) + (x[1] + x[5])) + ((x[2] + x[6]) + (x[3] + x[7]))
}

// weightedValuesGo is weightedValuesRef with a fast path for a finite
// cache: position by position, each weight scaled by 2^112 once and each
// value widened once (h2fScaledGo), the products added into f16Dot's
// accumulators of every output (by position mod 32, or mod 8 with batch)
// in the same order, where the reference reads the cache one output at a
// time. The accumulators are acc[c·len(o)+i] for class c and output i
// (32·len(o) values); a class's first product is stored as 0+p, the
// reference's first sum, and classes no position reaches are cleared.
func weightedValuesGo(o []float32, v []uint16, stride int, w []float32, batch, finite bool, acc []float32) {
	hd := len(o)
	if !finite {
		weightedValuesRef(o, v, stride, w, batch)
		return
	}
	classes := 32
	if batch {
		classes = 8
	}
	acc = acc[:classes*hd]
	for j, wj := range w {
		ws := wj * 0x1p112 // a binary16 value, so no overflow
		row, a := v[j*stride:j*stride+hd], acc[j&(classes-1)*hd:][:hd]
		if j < classes {
			for i, h := range row {
				a[i] = 0 + h2fScaledGo(h)*ws
			}
			continue
		}
		for i, h := range row {
			a[i] += h2fScaledGo(h) * ws
		}
	}
	clear(acc[min(len(w), classes)*hd:])
	for i := range o {
		if batch {
			x := [8]float32{acc[i], acc[hd+i], acc[2*hd+i], acc[3*hd+i], acc[4*hd+i], acc[5*hd+i], acc[6*hd+i], acc[7*hd+i]}
			o[i] = hsum8(&x)
			continue
		}
		var a [4][8]float32
		for c := range 32 {
			a[c/8][c%8] = acc[c*hd+i]
		}
		o[i] = f16DotReduce(&a)
	}
}
