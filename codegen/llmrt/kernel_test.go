package llmrt

import (
	"math"
	"math/rand"
	"testing"

	"github.com/kiln-ml/kiln/ir/quant"
)

// actOf maps ir/quant's activation types to this package's formats.
var actOf = map[quant.GGMLType]int{quant.Q8_0: actQ8_0, quant.Q8_1: actQ8_1, quant.Q8_K: actQ8_K}

func randRow(r *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * scale)
	}
	return x
}

// TestKernels checks every weight type the shared GGUF files use against
// ir/quant: dequantization bit for bit, the activation quantizers byte for
// byte (quant.QuantizeActivations), and the dot products against
// quant.VecDotAVX2 (exactly for the 32-element formats and for Q4_K and
// Q6_K, which both compute in the order of ggml's AVX2 build; within
// float32 rounding of the row's magnitude for the other K-quants and
// IQ4_XS, whose integer sums are exact per block where ggml's reference
// adds eight lanes across the row).
func TestKernels(t *testing.T) {
	cases := []struct {
		typ   quant.GGMLType
		exact bool
	}{
		{quant.F32, true}, {quant.F16, true},
		{quant.Q8_0, true}, {quant.Q4_0, true}, {quant.Q4_1, true}, {quant.Q5_0, true}, {quant.Q5_1, true}, {quant.IQ4_NL, true},
		{quant.Q2_K, false}, {quant.Q3_K, false}, {quant.Q4_K, true}, {quant.Q5_K, false}, {quant.Q6_K, true}, {quant.IQ4_XS, false},
	}
	r := rand.New(rand.NewSource(7))
	for _, c := range cases {
		t.Run(c.typ.String(), func(t *testing.T) {
			k := kernels[uint32(c.typ)]
			if k == nil {
				t.Fatalf("no kernel for %s", c.typ)
			}
			info, _ := quant.Info(c.typ)
			if k.blockLen != info.BlockLen || k.blockBytes != info.BlockBytes {
				t.Fatalf("block %d/%d bytes, ir/quant says %d/%d", k.blockLen, k.blockBytes, info.BlockLen, info.BlockBytes)
			}
			for trial, n := range []int{256, 512, 1536} {
				w := make([][]float32, 4)
				wb := make([]byte, 0)
				rowBytes := n / info.BlockLen * info.BlockBytes
				for i := range w {
					w[i] = randRow(r, n, 0.05)
					b := make([]byte, rowBytes)
					if err := quant.QuantizeRow(c.typ, w[i], b); err != nil {
						t.Fatal(err)
					}
					wb = append(wb, b...)
				}
				// Dequantization, bit for bit.
				got, want := make([]float32, n), make([]float32, n)
				k.dequant(wb[:rowBytes], got)
				if err := quant.DequantizeRow(c.typ, wb[:rowBytes], want); err != nil {
					t.Fatal(err)
				}
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("n=%d: dequant[%d] = %g, ir/quant %g", n, i, got[i], want[i])
					}
				}
				x := randRow(r, n, 1+float64(trial))
				if k.dot == nil {
					continue
				}
				at, _ := quant.VecDotType(c.typ)
				if actOf[at] != k.act {
					t.Fatalf("activation format %d, ir/quant says %s", k.act, at)
				}
				ai, _ := quant.Info(at)
				qa := make([]byte, n/ai.BlockLen*ai.BlockBytes)
				quantizeAct(k.act, x, qa)
				wantA := make([]byte, len(qa))
				if err := quant.QuantizeActivations(at, x, wantA); err != nil {
					t.Fatal(err)
				}
				if string(qa) != string(wantA) {
					t.Fatalf("n=%d: activations quantized to %s differ from ir/quant's", n, at)
				}
				if k.dotLanes != nil {
					x2 := randRow(r, n, 0.3)
					q2 := make([]byte, len(qa))
					quantizeAct(k.act, x2, q2)
					checkRows(t, k, wb, n, [][]byte{qa, q2, qa})
				}
				for i := range w {
					row := wb[i*rowBytes : (i+1)*rowBytes]
					want, err := quant.VecDotAVX2(c.typ, row, qa, 2)
					if err != nil {
						t.Fatal(err)
					}
					got := k.dot(row, qa, n/k.blockLen)
					// The bound for a different order of float32
					// additions: a few ulps of the sum of magnitudes.
					deq := make([]float32, n)
					k.dequant(row, deq)
					xd := make([]float32, n)
					if err := quant.DequantizeRow(at, qa, xd); err != nil {
						t.Fatal(err)
					}
					mag := 0.0
					for j := range deq {
						mag += math.Abs(float64(deq[j]) * float64(xd[j]))
					}
					tol := 4 * float64(n/k.blockLen) * mag * 0x1p-24
					if c.exact {
						tol = 0
					}
					if d := math.Abs(float64(got - want)); d > tol {
						t.Errorf("n=%d row %d: dot %g, ir/quant %g (diff %g > %g)", n, i, got, want, d, tol)
					}
					if k.dot1 != nil {
						// One activation row: ggml's vector dot product.
						want1, err := quant.VecDotAVX2(c.typ, row, qa, 1)
						if err != nil {
							t.Fatal(err)
						}
						if got1 := k.dot1(row, qa, n/k.blockLen); got1 != want1 {
							t.Errorf("n=%d row %d: dot1 %g, ir/quant %g", n, i, got1, want1)
						}
					}
				}
			}
		})
	}
}

// checkRows checks that rowsLanes multiplies the weight rows wb (of n
// columns) with the quantized activation rows acts exactly as k.dot does,
// over the whole range of rows and over a part of it.
func checkRows(t *testing.T, k *kernel, wb []byte, n int, acts [][]byte) {
	t.Helper()
	rowBytes := n / k.blockLen * k.blockBytes
	rows := len(wb) / rowBytes
	w := &weight{name: "w", k: k, rows: rows, cols: n, rowBytes: rowBytes, data: wb}
	a := newLanes(k.act, n, acts)
	for _, span := range [][2]int{{0, rows}, {1, rows - 1}} {
		out := make([]float32, len(acts)*rows)
		for i := range out {
			out[i] = float32(math.NaN())
		}
		rowsLanes(w, span[0], span[1], a, out, rows)
		for ti, q := range acts {
			for i := 0; i < rows; i++ {
				got := out[ti*rows+i]
				if i < span[0] || i >= span[1] {
					if got == got {
						t.Errorf("n=%d rows %v: row %d outside the span was written", n, span, i)
					}
					continue
				}
				if want := k.dot(wb[i*rowBytes:(i+1)*rowBytes], q, n/k.blockLen); math.Float32bits(got) != math.Float32bits(want) {
					t.Errorf("n=%d: rows gives %g for row %d, activation row %d; dot %g", n, got, i, ti, want)
				}
			}
		}
	}
}

// newLanes packs quantized activation rows of n columns as linear does.
func newLanes(act, n int, acts [][]byte) *lanes {
	a := &lanes{}
	a.reset(act, len(acts), n)
	for t, q := range acts {
		a.pack(t, act, q, n)
	}
	return a
}

// TestFloatDots checks the F32 and F16 row products against float64 sums.
func TestFloatDots(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, n := range []int{1, 7, 64, 172} {
		w, x := randRow(r, n, 1), randRow(r, n, 1)
		h := make([]byte, 2*n)
		for i := range x {
			x[i] = roundF16(x[i])
			v := f16Encode(w[i])
			h[2*i], h[2*i+1] = byte(v), byte(v>>8)
			w[i] = f16Decode(v)
		}
		want, mag := 0.0, 0.0
		for i := range w {
			want += float64(w[i]) * float64(x[i])
			mag += math.Abs(float64(w[i]) * float64(x[i]))
		}
		for name, got := range map[string]float32{"f32": dotF32(w, x), "f16": dotF16(h, x)} {
			if d := math.Abs(float64(got) - want); d > float64(n)*mag*0x1p-24 {
				t.Errorf("%s n=%d: %g, want %g", name, n, got, want)
			}
		}
	}
}

// TestHalf checks the binary16 conversions against ir/quant's on every
// binary16 value and on float32 values around the rounding boundaries.
func TestHalf(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		got, want := f16Decode(uint16(i)), quant.F16ToF32(uint16(i))
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("f16Decode(%#x) = %g, want %g", i, got, want)
		}
		if h := h2f(uint16(i)); math.Float32bits(h) != math.Float32bits(got) {
			t.Fatalf("h2f(%#x) = %g (%#x), f16Decode %g (%#x)", i, h, math.Float32bits(h), got, math.Float32bits(got))
		}
	}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 200000; i++ {
		f := math.Float32frombits(r.Uint32())
		if f != f {
			continue
		}
		if got, want := f16Encode(f), quant.F32ToF16(f); got != want {
			t.Fatalf("f16Encode(%g) = %#x, want %#x", f, got, want)
		}
	}
}

// f16Fields lists where the block formats with a lanes kernel keep their
// binary16 scales, so that random blocks get finite ones.
var f16Fields = map[uint32][]int{typeQ4_K: {0, 2}, typeQ6_K: {208}, typeQ8_0: {0}, typeQ5_0: {0}}

// TestRowsExtremes checks the lanes kernels against dot on blocks of
// random bytes and on blocks whose code bytes are all 0x00, 0x80 or 0xff
// (the codes and scales at the ends of their ranges), with activations
// of one magnitude (every code ±127) and random ones: the lane sums must
// stay exact at the bounds the kernels rely on.
func TestRowsExtremes(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	for typ, k := range kernels {
		if k.dotLanes == nil {
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			fields, ok := f16Fields[typ]
			if !ok {
				t.Fatalf("%s has a lanes kernel but no entry in f16Fields", k.name)
			}
			const n = 512
			rowBytes := n / k.blockLen * k.blockBytes
			var wb []byte
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
					for _, f := range fields {
						h := f16Encode(float32(r.NormFloat64() * 0.01))
						row[b*k.blockBytes+f], row[b*k.blockBytes+f+1] = byte(h), byte(h>>8)
					}
				}
				wb = append(wb, row...)
			}
			var acts [][]byte
			for _, pattern := range []func(i int) float32{
				func(int) float32 { return 1 },
				func(int) float32 { return -1 },
				func(i int) float32 { return float32(1 - 2*(i&1)) },
				func(i int) float32 { return float32(1 - 2*(i>>4&1)) },
				func(int) float32 { return float32(r.NormFloat64()) },
			} {
				x := make([]float32, n)
				for i := range x {
					x[i] = pattern(i)
				}
				q := make([]byte, n/actBlockLen[k.act]*actBlockBytes[k.act])
				quantizeAct(k.act, x, q)
				acts = append(acts, q)
			}
			checkRows(t, k, wb, n, acts)
			// More activation rows than one prefill tile holds.
			for len(acts) < 2*prefillBytes/(2*n)+3 {
				acts = append(acts, acts[len(acts)%5])
			}
			checkRows(t, k, wb, n, acts)
		})
	}
}

// TestRowsTinyScales checks the lanes kernels against dot where the
// product of a weight block's and an activation block's scales is tiny
// (below 2^-124: the weights' smallest binary16 scales, activations near
// 1e-33), the case the kernels finish with lanesExact, and where some
// blocks' scales are 0.
func TestRowsTinyScales(t *testing.T) {
	r := rand.New(rand.NewSource(17))
	for typ, k := range kernels {
		if k.dotLanes == nil {
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			const n = 512
			rowBytes := n / k.blockLen * k.blockBytes
			wb := make([]byte, 3*rowBytes)
			r.Read(wb)
			for b := 0; b < len(wb)/k.blockBytes; b++ {
				for _, f := range f16Fields[typ] {
					h := uint16(1 + r.Intn(4)) // 2^-24 .. 2^-22
					if b%5 == 0 {
						h = 0
					}
					wb[b*k.blockBytes+f], wb[b*k.blockBytes+f+1] = byte(h), byte(h>>8)
				}
			}
			var acts [][]byte
			for _, scale := range []float64{1e-33, 1e-20, 1} {
				q := make([]byte, n/actBlockLen[k.act]*actBlockBytes[k.act])
				quantizeAct(k.act, randRow(r, n, scale), q)
				acts = append(acts, q)
			}
			checkRows(t, k, wb, n, acts)
		})
	}
}

// TestPrefill checks each prefill kernel against its one-row kernel,
// dotLanes, bit for bit, on random blocks and on blocks of extreme codes,
// for ranges of activation rows of odd and even lengths.
func TestPrefill(t *testing.T) {
	r := rand.New(rand.NewSource(19))
	for typ, k := range kernels {
		if k.prefill == nil {
			continue
		}
		t.Run(k.name, func(t *testing.T) {
			const n = 768
			rowBytes := n / k.blockLen * k.blockBytes
			for _, fill := range []int{-1, 0x00, 0x80, 0xff} {
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
				var acts [][]byte
				for i := 0; i < 7; i++ {
					x := randRow(r, n, 1)
					if i == 3 {
						for j := range x {
							x[j] = float32(1 - 2*(j&1))
						}
					}
					q := make([]byte, n/actBlockLen[k.act]*actBlockBytes[k.act])
					quantizeAct(k.act, x, q)
					acts = append(acts, q)
				}
				a := newLanes(k.act, n, acts)
				nb := n / k.blockLen
				for _, span := range [][2]int{{0, 7}, {1, 7}, {2, 6}, {5, 6}} {
					const ldo = 3
					out := make([]float32, 7*ldo)
					k.prefill(row, a, span[0], span[1], out, ldo)
					for ti := span[0]; ti < span[1]; ti++ {
						want := k.dotLanes(row, a.d[ti*a.dRow:], a.w[ti*a.wRow:], a.sums[ti*a.sRow:], nb)
						if got := out[ti*ldo]; math.Float32bits(got) != math.Float32bits(want) {
							t.Errorf("fill %#x rows %v: row %d gives %g, dotLanes %g", fill, span, ti, got, want)
						}
					}
				}
			}
		})
	}
}

// benchRows makes the benchmarks' data for the kernel of typ: rows random
// weight rows of n columns (rowBytes each) whose f16 scales are 2^-7,
// and 16 activation rows quantized to the kernel's activation type.
func benchRows(r *rand.Rand, typ uint32, n, rows int) (rowBytes int, wb []byte, acts [][]byte) {
	k := kernels[typ]
	rowBytes = n / k.blockLen * k.blockBytes
	wb = make([]byte, rows*rowBytes)
	r.Read(wb)
	for b := 0; b < len(wb)/k.blockBytes; b++ {
		for _, f := range f16Fields[typ] {
			wb[b*k.blockBytes+f], wb[b*k.blockBytes+f+1] = 0x00, 0x20
		}
	}
	for len(acts) < 16 {
		q := make([]byte, n/actBlockLen[k.act]*actBlockBytes[k.act])
		quantizeAct(k.act, randRow(r, n, 1), q)
		acts = append(acts, q)
	}
	return rowBytes, wb, acts
}
