package quant

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestFMA32 checks FMA32 against a·b+c computed exactly (math/big) and
// rounded once to float32, on random operands and on operands built so
// that the float64 sum lands on a float32 midpoint the exact sum is not
// on, where rounding twice goes wrong; it checks that such cases occurred.
func TestFMA32(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	mid := 0
	for i := 0; i < 200000; i++ {
		a := float32(r.NormFloat64())
		b := float32(r.NormFloat64())
		var c float32
		if i%2 == 0 {
			c = float32(r.NormFloat64())
		} else {
			// a·b is half an ulp of c less 2^-46 of that: the exact sum
			// lies just below the midpoint above c, and its float64
			// rounding on it. With c's last mantissa bit set, ties to
			// even would round up where the exact sum rounds down.
			c = math.Float32frombits(math.Float32bits(float32(r.NormFloat64())) | 1)
			half := (math.Nextafter32(c, float32(math.Inf(1))) - c) / 2
			if c < 0 {
				half = (c - math.Nextafter32(c, float32(math.Inf(-1)))) / 2
			}
			a, b = half*(1+0x1p-23), 1-0x1p-23
		}
		s := float64(a)*float64(b) + float64(c)
		if math.Float64bits(s)<<35 == 1<<63 {
			mid++
		}
		exact := new(big.Float).SetPrec(200).SetFloat64(float64(a))
		exact.Mul(exact, new(big.Float).SetPrec(200).SetFloat64(float64(b)))
		exact.Add(exact, new(big.Float).SetPrec(200).SetFloat64(float64(c)))
		want, _ := exact.Float32()
		if got := FMA32(a, b, c); got != want {
			t.Fatalf("FMA32(%g, %g, %g) = %g, want %g", a, b, c, got, want)
		}
	}
	if mid < 100 {
		t.Errorf("only %d midpoint cases drawn", mid)
	}
}

// TestQuantizeActivationsQ8_0 checks the AVX2 quantizer on a block whose
// largest magnitude is 127, so that 127/max is 1 and the codes are the
// values rounded ties to even (2.5 gives 2, -3.5 gives -4, 4.5 gives 4),
// where QuantizeRow rounds half away from zero (3, -4, 5).
func TestQuantizeActivationsQ8_0(t *testing.T) {
	x := make([]float32, 32)
	x[0], x[1], x[2], x[3] = 127, 2.5, -3.5, 4.5
	got, ref := make([]byte, 34), make([]byte, 34)
	if err := QuantizeActivations(Q8_0, x, got); err != nil {
		t.Fatal(err)
	}
	if err := QuantizeRow(Q8_0, x, ref); err != nil {
		t.Fatal(err)
	}
	if d := f16At(got, 0); d != 1 {
		t.Errorf("d = %v, want 1", d)
	}
	for i, want := range []int8{127, 2, -4, 4} {
		if c := int8(got[2+i]); c != want {
			t.Errorf("code %d = %d, want %d", i, c, want)
		}
	}
	for i, want := range []int8{127, 3, -4, 5} {
		if c := int8(ref[2+i]); c != want {
			t.Errorf("QuantizeRow code %d = %d, want %d", i, c, want)
		}
	}
}

// TestVecDotAVX2 compares VecDotAVX2 with the float64 dot product of the
// dequantized rows (the integer sums are exact, so they differ by float32
// rounding of the lane sums only) and with VecDot on the same operands,
// for the types it orders itself and one it hands to VecDot.
func TestVecDotAVX2(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, typ := range []GGMLType{Q8_0, Q5_0, Q4_1, Q5_1, Q4_K, Q6_K, IQ4_NL, Q3_K} {
		at, _ := VecDotType(typ)
		for _, n := range []int{256, 1536} {
			w, x := make([]float32, n), make([]float32, n)
			for i := range w {
				w[i], x[i] = float32(r.NormFloat64()*0.05), float32(r.NormFloat64())
			}
			wb, _ := RowBytes(typ, int64(n))
			qb, _ := RowBytes(at, int64(n))
			wq, xq := make([]byte, wb), make([]byte, qb)
			if err := QuantizeRow(typ, w, wq); err != nil {
				t.Fatal(err)
			}
			if err := QuantizeActivations(at, x, xq); err != nil {
				t.Fatal(err)
			}
			wd, xd := make([]float32, n), make([]float32, n)
			if err := DequantizeRow(typ, wq, wd); err != nil {
				t.Fatal(err)
			}
			if err := DequantizeRow(at, xq, xd); err != nil {
				t.Fatal(err)
			}
			var want, mag float64
			for i := range wd {
				want += float64(wd[i]) * float64(xd[i])
				mag += math.Abs(float64(wd[i]) * float64(xd[i]))
			}
			got, err := VecDotAVX2(typ, wq, xq, 2)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := VecDot(typ, wq, xq)
			if err != nil {
				t.Fatal(err)
			}
			tol := mag * 1e-6
			if at == Q8_1 {
				tol = mag * 2e-3 // the f16 block sums of Q8_1 (see TestVecDotAgainstDequantized)
			}
			if math.Abs(float64(got)-want) > tol || math.Abs(float64(got-ref)) > tol {
				t.Errorf("%s n=%d: VecDotAVX2 %v, VecDot %v, float64 %v (tol %g)", typ, n, got, ref, want, tol)
			}
			if typ == Q4_1 {
				// One activation row adds in the same order for the
				// types other than IQ4_NL.
				if one, _ := VecDotAVX2(typ, wq, xq, 1); one != got {
					t.Errorf("Q4_1: one row %v, two %v", one, got)
				}
			}
		}
	}
	if _, err := VecDotAVX2(Q4_K, make([]byte, 100), make([]byte, 292), 1); err == nil {
		t.Error("a partial Q4_K block: want an error")
	}
}
