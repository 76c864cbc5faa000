//go:build goexperiment.simd

package llmrt

import (
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"simd/archsimd"
	"testing"

	"github.com/kiln-ml/kiln/ir/quant"
)

// portable holds the portable kernels the vector ones replace: the dot
// product in ggml's AVX2 order and its lanes form.
var portable = map[uint32]struct {
	dot      func(w, a []byte, nb int) float32
	dotLanes func(row []byte, d []float32, lw []uint64, sums []int32, nb int) float32
	vec      func(w, a []byte, nb int) float32
}{
	typeQ4_K: {dot8Q4_K, dotLanesQ4_K, vecDotQ4_K},
	typeQ6_K: {dot8Q6_K, dotLanesQ6_K, vecDotQ6_K},
	typeQ8_0: {dot8Q8_0, dotLanesQ8_0, vecDotQ8_0},
	typeQ5_0: {dot8Q5_0, dotLanesQ5_0, vecDotQ5_0},
}

// vecRowsKernels holds the vector kernels for several activation rows
// (the kernels' dotRows) and the one-row vector kernel each must match.
var vecRowsKernels = map[uint32]struct {
	rows func(w, a []byte, stride, n, nb int, out []float32, ldo int)
	vec  func(w, a []byte, nb int) float32
}{
	typeQ4_K: {vecRowsQ4_K, vecDotQ4_K},
	typeQ6_K: {vecRowsQ6_K, vecDotQ6_K},
	typeQ5_0: {vecRowsQ5_0, vecDotQ5_0},
	typeQ8_0: {vecRowsQ8_0, vecDotQ8_0},
}

// TestVecOn checks that a GOEXPERIMENT=simd build on a processor with
// AVX2 and FMA multiplies with the vector kernels, so that the suite run
// in that build (make test-vec) tests them.
func TestVecOn(t *testing.T) {
	if !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		t.Skip("no AVX2 or no FMA")
	}
	if !vecOn {
		t.Fatal("vecOn is false on a processor with AVX2 and FMA")
	}
	for typ, p := range portable {
		k := kernels[typ]
		if reflect.ValueOf(k.dot).Pointer() != reflect.ValueOf(p.vec).Pointer() || k.dotLanes != nil {
			t.Errorf("%s: the vector kernel is not installed", k.name)
		}
	}
	for typ, p := range vecRowsKernels {
		k := kernels[typ]
		if reflect.ValueOf(k.dotRows).Pointer() != reflect.ValueOf(p.rows).Pointer() {
			t.Errorf("%s: the vector kernel for several rows is not installed", k.name)
		}
	}
}

// TestVecRows checks each vector kernel for several activation rows
// against the one-row vector kernel, bit for bit, on the rows of vecRows
// (random and extreme blocks) times 1 to 9 rows drawn from vecActs
// (extreme and random activations), for rows of 1, 2, 3, 7 and 16
// blocks, with activation rows apart by more than their length and
// outputs apart by ldo 3, whose other entries must stay as they were.
func TestVecRows(t *testing.T) {
	r := rand.New(rand.NewSource(31))
	for typ, p := range vecRowsKernels {
		k := kernels[typ]
		t.Run(k.name, func(t *testing.T) {
			for _, nb := range []int{1, 2, 3, 7, 16} {
				n := nb * k.blockLen
				rows, acts := vecRows(t, r, typ, n), vecActs(r, k.act, n)
				actRow := len(acts[0])
				stride := actRow + 5
				for rowsN := 1; rowsN <= 9; rowsN++ {
					// Activation rows in an order that varies with rowsN, so
					// that every kind meets every position of a group of four.
					a := make([]byte, rowsN*stride)
					pick := make([]int, rowsN)
					for i := range pick {
						pick[i] = (i*5 + rowsN) % len(acts)
						copy(a[i*stride:], acts[pick[i]])
						for j := actRow; j < stride; j++ {
							a[i*stride+j] = 0xA5
						}
					}
					const ldo = 3
					for i, row := range rows {
						out := make([]float32, rowsN*ldo)
						sentinel := float32(math.Inf(-1))
						for j := range out {
							out[j] = sentinel
						}
						p.rows(row, a, stride, rowsN, nb, out, ldo)
						for j := range out {
							if j%ldo != 0 {
								if math.Float32bits(out[j]) != math.Float32bits(sentinel) {
									t.Fatalf("%d blocks, %d activation rows: out[%d], not an output, was written", nb, rowsN, j)
								}
								continue
							}
							want := p.vec(row, acts[pick[j/ldo]], nb)
							if math.Float32bits(out[j]) != math.Float32bits(want) {
								t.Errorf("%d blocks, %d activation rows: row %d, activation row %d (kind %d): %g, one-row kernel %g", nb, rowsN, i, j/ldo, pick[j/ldo], out[j], want)
							}
						}
					}
				}
			}
		})
	}
}

// vecRows returns rows of n columns of type typ: blocks quantized from
// random values by ir/quant, blocks of random bytes, and blocks whose
// bytes are all 0x00, 0x80 or 0xff (codes and scales at the ends of
// their ranges), the last three with random finite binary16 scales.
func vecRows(t *testing.T, r *rand.Rand, typ uint32, n int) [][]byte {
	k := kernels[typ]
	rowBytes := n / k.blockLen * k.blockBytes
	row := make([]byte, rowBytes)
	if err := quant.QuantizeRow(quant.GGMLType(typ), randRow(r, n, 0.05), row); err != nil {
		t.Fatal(err)
	}
	rows := [][]byte{row}
	for _, fill := range []int{-1, 0x00, 0x80, 0xff, -1} {
		row := make([]byte, rowBytes)
		for i := range row {
			if fill < 0 {
				row[i] = byte(r.Intn(256))
			} else {
				row[i] = byte(fill)
			}
		}
		for b := 0; b < n/k.blockLen; b++ {
			for _, f := range f16Fields[typ] {
				h := f16Encode(float32(r.NormFloat64() * 0.01))
				row[b*k.blockBytes+f], row[b*k.blockBytes+f+1] = byte(h), byte(h>>8)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// vecActs returns activation rows of n columns quantized to format act:
// every code ±127 (all one sign, alternating by column and by 16
// columns) and random values of two magnitudes.
func vecActs(r *rand.Rand, act, n int) [][]byte {
	var acts [][]byte
	for _, pattern := range []func(i int) float32{
		func(int) float32 { return 1 },
		func(int) float32 { return -1 },
		func(i int) float32 { return float32(1 - 2*(i&1)) },
		func(i int) float32 { return float32(1 - 2*(i>>4&1)) },
		func(int) float32 { return float32(r.NormFloat64()) },
		func(int) float32 { return float32(r.NormFloat64() * 40) },
	} {
		x := make([]float32, n)
		for i := range x {
			x[i] = pattern(i)
		}
		q := make([]byte, n/actBlockLen[act]*actBlockBytes[act])
		quantizeAct(act, x, q)
		acts = append(acts, q)
	}
	return acts
}

// TestVecDots checks every vector kernel against the portable dot
// product and its lanes form, and against ir/quant's reference in ggml's
// AVX2 order (quant.VecDotAVX2), bit for bit, on the rows of vecRows
// times the activations of vecActs, for rows of 1, 2, 3, 7 and 16
// blocks.
func TestVecDots(t *testing.T) {
	r := rand.New(rand.NewSource(21))
	for typ, p := range portable {
		k := kernels[typ]
		t.Run(k.name, func(t *testing.T) {
			for _, nb := range []int{1, 2, 3, 7, 16} {
				n := nb * k.blockLen
				rows, acts := vecRows(t, r, typ, n), vecActs(r, k.act, n)
				a := newLanes(k.act, n, acts)
				for i, row := range rows {
					for ti, q := range acts {
						want := p.dot(row, q, nb)
						got := p.vec(row, q, nb)
						if math.Float32bits(got) != math.Float32bits(want) {
							t.Errorf("%d blocks: row %d, activation row %d: vector %g, portable %g", nb, i, ti, got, want)
						}
						ref, err := quant.VecDotAVX2(quant.GGMLType(typ), row, q, 2)
						if err != nil {
							t.Fatal(err)
						}
						if math.Float32bits(got) != math.Float32bits(ref) {
							t.Errorf("%d blocks: row %d, activation row %d: vector %g, ir/quant %g", nb, i, ti, got, ref)
						}
						lanes := p.dotLanes(row, a.d[ti*a.dRow:(ti+1)*a.dRow], a.w[ti*a.wRow:(ti+1)*a.wRow], a.sums[ti*a.sRow:(ti+1)*a.sRow], nb)
						if math.Float32bits(lanes) != math.Float32bits(want) {
							t.Errorf("%d blocks: row %d, activation row %d: lanes %g, portable %g", nb, i, ti, lanes, want)
						}
					}
				}
			}
		})
	}
}

// TestVecLinear checks that linear, the layer the runtime multiplies
// with, gives the same outputs bit for bit with the vector kernels as
// with the portable ones, for 1 to 30 activation rows (decode, prefill,
// and for Q4_K more rows than one tile of its dotRows) and one and three
// threads.
func TestVecLinear(t *testing.T) {
	r := rand.New(rand.NewSource(23))
	for typ, p := range portable {
		k := kernels[typ]
		pk := *k
		pk.dot, pk.dotLanes, pk.dotRows = p.dot, p.dotLanes, nil
		t.Run(k.name, func(t *testing.T) {
			n := 4 * k.blockLen
			if k.blockLen < 64 {
				n = 24 * k.blockLen
			}
			var data []byte
			for len(data) < 37*(n/k.blockLen*k.blockBytes) {
				for _, row := range vecRows(t, r, typ, n) {
					data = append(data, row...)
				}
			}
			rowBytes := n / k.blockLen * k.blockBytes
			data = data[:37*rowBytes]
			wv := &weight{name: "w", k: k, typ: typ, rows: 37, cols: n, rowBytes: rowBytes, data: data}
			wp := *wv
			wp.k = &pk
			for _, rowsN := range []int{1, 2, 3, 4, 5, 9, 17, 30} {
				x := make([]float32, rowsN*n)
				for i := range x {
					x[i] = float32(r.NormFloat64()) * float32(1+i/n)
				}
				for _, th := range []int{1, 3} {
					s := &Session{threads: th, act: make([]byte, rowsN*n/actBlockLen[k.act]*actBlockBytes[k.act])}
					got, want := make([]float32, rowsN*37), make([]float32, rowsN*37)
					s.linear(wv, x, rowsN, got)
					s.linear(&wp, x, rowsN, want)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%d activation rows, %d threads: out[%d] = %g, portable %g", rowsN, th, i, got[i], want[i])
						}
					}
				}
			}
		})
	}
}

// BenchmarkVecDot times each vector kernel and, in the same run, the
// portable lanes kernel it replaces, on 256 rows of 512 columns of random
// blocks against one activation row (decode) and 16 (prefill), as
// BenchmarkDotLanes does; the vector kernel multiplies row by row as
// linear calls it, and for 16 rows a kernel for several rows (dotRows)
// where the type has one, as linear calls it. It reports multiply-adds per nanosecond of CPU time
// (MAC/cpu-ns).
func BenchmarkVecDot(b *testing.B) {
	r := rand.New(rand.NewSource(5))
	for _, typ := range []uint32{typeQ4_K, typeQ6_K, typeQ8_0, typeQ5_0} {
		k := kernels[typ]
		p := portable[typ]
		pk := *k
		pk.dot, pk.dotLanes = p.dot, p.dotLanes
		const n, rows = 512, 256
		rowBytes, wb, acts := benchRows(r, typ, n, rows)
		w := &weight{name: "w", k: &pk, rows: rows, cols: n, rowBytes: rowBytes, data: wb}
		for _, m := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/acts=%d/portable", k.name, m), func(b *testing.B) {
				a := newLanes(k.act, n, acts[:m])
				out := make([]float32, m*rows)
				c0 := cpuTime(b)
				for b.Loop() {
					rowsLanes(w, 0, rows, a, out, rows)
				}
				b.ReportMetric(float64(m*n*rows*b.N)/float64(cpuTime(b)-c0), "MAC/cpu-ns")
			})
			b.Run(fmt.Sprintf("%s/acts=%d/vector", k.name, m), func(b *testing.B) {
				out := make([]float32, m*rows)
				nb := n / k.blockLen
				c0 := cpuTime(b)
				for b.Loop() {
					for i := 0; i < rows; i++ {
						row := wb[i*rowBytes : (i+1)*rowBytes]
						for t, q := range acts[:m] {
							out[t*rows+i] = p.vec(row, q, nb)
						}
					}
				}
				b.ReportMetric(float64(m*n*rows*b.N)/float64(cpuTime(b)-c0), "MAC/cpu-ns")
			})
			vr, ok := vecRowsKernels[typ]
			if !ok || m == 1 {
				continue
			}
			b.Run(fmt.Sprintf("%s/acts=%d/vectorRows", k.name, m), func(b *testing.B) {
				actRow := len(acts[0])
				a := make([]byte, 0, m*actRow)
				for _, q := range acts[:m] {
					a = append(a, q...)
				}
				out := make([]float32, m*rows)
				nb := n / k.blockLen
				c0 := cpuTime(b)
				for b.Loop() {
					for i := 0; i < rows; i++ {
						vr.rows(wb[i*rowBytes:(i+1)*rowBytes], a, actRow, m, nb, out[i:], rows)
					}
				}
				b.ReportMetric(float64(m*n*rows*b.N)/float64(cpuTime(b)-c0), "MAC/cpu-ns")
			})
		}
	}
}

// TestVecFusedRounding checks a multiply-add whose exact value lies a
// hair above a float32 midpoint, where a float64 sum rounded to float32
// would round twice (onto the midpoint, then to even: down) and VFMADD
// rounds once (up): the vector kernel and the portable one (whose fma32
// is exact, order.go) must both give it. Two Q8_0 blocks, all codes zero
// but lane 0's: the first leaves lane 0 at 2^13; the second adds d·s =
// 1244·1902·58087·2^-48 = 2^-11 + 184·2^-48, half an ulp of 2^13 plus
// less than half an ulp of float64. Both must give ir/quant's correctly
// rounded reference (ggml's value), 2^13 + 2^-10.
func TestVecFusedRounding(t *testing.T) {
	if !vecOn {
		t.Skip("vector kernels off")
	}
	w, a := make([]byte, 2*34), make([]byte, 2*34)
	put := func(b []byte, h uint16, codes ...int8) {
		b[0], b[1] = byte(h), byte(h>>8)
		for i, c := range codes {
			b[2+i] = byte(c)
		}
	}
	put(w[0:], 0x3c00, 2)                   // 1.0
	put(a[0:], 0x5400, 64)                  // 64.0
	put(w[34:], 0x04dc, 127, 127, 127, 100) // 1244·2^-24
	put(a[34:], 0x076e, 127, 127, 127, 97)  // 1902·2^-24
	want, err := quant.VecDotAVX2(quant.Q8_0, w, a, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want != 0x1p13+0x1p-10 {
		t.Fatalf("ir/quant gives %g, want 2^13+2^-10: the case is not the one described", want)
	}
	if got := vecDotQ8_0(w, a, 2); math.Float32bits(got) != math.Float32bits(want) {
		t.Errorf("vector Q8_0 gives %.10g, ir/quant %.10g", got, want)
	}
	if got := dot8Q8_0(w, a, 2); math.Float32bits(got) != math.Float32bits(want) {
		t.Errorf("portable Q8_0 gives %.10g, ir/quant %.10g", got, want)
	}
}

// TestVecAttention checks the vector forms of the attention's F16 dot
// products against the portable ones bit for bit: keys of 8 to 128
// values, the scores of 1 to 70 cached key rows, value sums over 1 to 70
// cached positions and head widths that are and are not multiples of 8,
// with and without batch, on random binary16 values of every magnitude
// (subnormals and zeros included), and with an infinite or NaN cached
// value somewhere (then with finite false, the caller's flag).
func TestVecAttention(t *testing.T) {
	if !vecOn {
		t.Skip("no AVX2 and FMA")
	}
	r := rand.New(rand.NewSource(5))
	half := func() uint16 { return randHalf(r) }
	specials := []uint16{0x7c00, 0xfc00, 0x7e00}
	for trial := range 400 {
		special := trial%5 == 4
		batch := (trial/8)%2 == 1 // every width with and without batch
		n := []int{8, 16, 32, 64, 96, 128, 24, 40}[trial%8]
		a, b := make([]uint16, n), make([]float32, n)
		for i := range a {
			a[i], b[i] = half(), roundF16(float32(r.NormFloat64()))
		}
		if special {
			a[r.Intn(n)] = specials[r.Intn(len(specials))]
		}
		got, want := vecKeyDot(n, n, a, 1, b, batch), f16Dot(n, n, a, 1, b, batch)
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("trial %d: key dot of %d (batch %v): vector %v, portable %v", trial, n, batch, got, want)
		}

		// The scores of rows key rows of n values at a stride.
		rows, kstride := 1+r.Intn(70), n*(1+r.Intn(3))
		keys := randCache(r, rows, n, kstride, special)
		scale := float32(r.Float64() + 0.1)
		sg, sw := make([]float32, rows), make([]float32, rows)
		vecKeyScores(sg, keys, kstride, b, scale, batch, !special)
		keyScoresRef(sw, keys, kstride, b, scale, batch)
		for j := range sg {
			if math.Float32bits(sg[j]) != math.Float32bits(sw[j]) && !(sg[j] != sg[j] && sw[j] != sw[j]) {
				t.Fatalf("trial %d: score %d of %d rows of %d (stride %d, batch %v): vector %v, portable %v", trial, j, rows, n, kstride, batch, sg[j], sw[j])
			}
		}

		hd := []int{8, 16, 64, 12, 32, 128, 96}[trial%7]
		stride := hd * (1 + r.Intn(3))
		pos := 1 + r.Intn(70)
		v := randCache(r, pos, hd, stride, special)
		w := randWeights(r, pos)
		checkValues(t, fmt.Sprintf("trial %d, vector", trial), func(o, acc []float32) {
			vecWeightedValues(o, v, stride, w, batch, !special, acc)
		}, v, stride, w, hd, batch)
	}
}

// TestVecExp checks the vector exponentials of SiLU and the softmax
// against the portable ones bit for bit: values over the whole float32
// range and near the edges of expf's fast path (|n| = 126, underflow,
// overflow), zeros, infinities and NaN, in runs of 8 and with tails.
func TestVecExp(t *testing.T) {
	if !vecOn {
		t.Skip("no AVX2 and FMA")
	}
	r := rand.New(rand.NewSource(9))
	edges := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 87.3, 88.3, 88.38, 88.4, 89, -87.3, -87.4, -88, -103.9, -104, -150,
		126 * 0.6931472, 126.5 * 0.6931472, -126.5 * 0.6931472, 1e-40, -1e-40, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 3e38, -3e38}
	value := func() float32 {
		switch r.Intn(4) {
		case 0:
			return edges[r.Intn(len(edges))]
		case 1:
			return float32(r.NormFloat64() * 60)
		case 2:
			return math.Float32frombits(r.Uint32())
		}
		return float32(r.NormFloat64() * 4)
	}
	same := func(a, b float32) bool {
		return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
	}
	for trial := range 3000 {
		n := 8 * (1 + r.Intn(6))
		if trial%3 == 0 {
			n += 1 + r.Intn(7)
		}
		x := make([]float32, n)
		for i := range x {
			x[i] = value()
		}
		top := float32(0)
		if trial%2 == 0 {
			top = value()
		}
		got, want := append([]float32(nil), x...), append([]float32(nil), x...)
		vecExpShifted(got, top)
		expShiftedGo(want, top)
		for i := range got {
			if !same(got[i], want[i]) {
				t.Fatalf("trial %d: expf(%g - %g): vector %g (%#x), portable %g (%#x)", trial, x[i], top, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
		got, want = append([]float32(nil), x...), append([]float32(nil), x...)
		vecSiluRuns(got)
		siluRunsGo(want)
		for i := range got {
			if !same(got[i], want[i]) {
				t.Fatalf("trial %d: silu(%g): vector %g (%#x), portable %g (%#x)", trial, x[i], got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
	}
}
