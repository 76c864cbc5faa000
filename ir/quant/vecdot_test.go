package quant

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestVecDotAgainstDequantized multiplies the handmade weight rows with
// quantized random activations and compares with the float64 dot product
// of the dequantized rows. The integer sums are exact, so the two differ
// only by float32 rounding of the scaled partial sums (a few ulps of
// Σ|w·a|), and for Q4_1 and Q5_1 by the activation block sum s that the
// minimum term uses: ggml stores s = d·Σq with the float32 scale d before
// d is rounded to f16, and then rounds s to f16 too, so s differs from
// the sum of the decoded activations by up to two f16 roundings,
// |m·s|·2·2^-11 per block.
func TestVecDotAgainstDequantized(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, hb := range handBlocks {
		at, ok := VecDotType(hb.t)
		if !ok {
			t.Fatalf("%s: no dot product", hb.t)
		}
		var w []byte
		for v := 0; v < 2; v++ {
			b, _ := hb.make(v)
			w = append(w, b...)
		}
		n := 2 * types[hb.t].BlockLen
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		qb, _ := RowBytes(at, int64(n))
		q := make([]byte, qb)
		if err := QuantizeRow(at, x, q); err != nil {
			t.Fatal(err)
		}
		wd, qd := make([]float32, n), make([]float32, n)
		if err := DequantizeRow(hb.t, w, wd); err != nil {
			t.Fatal(err)
		}
		if err := DequantizeRow(at, q, qd); err != nil {
			t.Fatal(err)
		}
		var want, mag, minTerm float64
		for i := range wd {
			want += float64(wd[i]) * float64(qd[i])
			mag += math.Abs(float64(wd[i]) * float64(qd[i]))
		}
		if at == Q8_1 {
			for b := 0; b < n/32; b++ {
				m := float64(f16At(w[b*types[hb.t].BlockBytes:], 2))
				var s float64
				for _, v := range qd[b*32 : b*32+32] {
					s += float64(v)
				}
				minTerm += math.Abs(m*s) * 2 * 0x1p-11
			}
		}
		got, err := VecDot(hb.t, w, q)
		if err != nil {
			t.Fatal(err)
		}
		tol := mag*1e-6 + minTerm
		if math.Abs(float64(got)-want) > tol {
			t.Errorf("%s·%s: got %v, want %v ± %g", hb.t, at, got, want, tol)
		}
	}
}

// TestVecDotByHand: Q8_0 blocks with scale 1 against Q8_0 activations with
// scale 0.5, codes i-16 and 2: Σ(i-16)·2·0.5 over i<32 = -16.
func TestVecDotByHand(t *testing.T) {
	w, q := make([]byte, 34), make([]byte, 34)
	w[1], q[1] = 0x3c, 0x38 // f16 1 and 0.5
	for i := 0; i < 32; i++ {
		w[2+i] = byte(int8(i - 16))
		q[2+i] = 2
	}
	got, err := VecDot(Q8_0, w, q)
	if err != nil || got != -16 {
		t.Fatalf("got %v, %v; want -16", got, err)
	}
}

func TestVecDotErrors(t *testing.T) {
	for _, c := range []struct {
		t    GGMLType
		w, q int
		want string
	}{
		{F16, 64, 34, "F16 has no block dot product"},
		{Q4_0, 17, 34, "17 bytes of Q4_0 are not whole 18-byte blocks"},
		{Q4_0, 36, 34, "Q8_0 activations: 64 elements of Q8_0 take 68 bytes, have 34"},
		{Q4_1, 20, 34, "Q8_1 activations: 32 elements of Q8_1 take 36 bytes, have 34"},
		{Q4_K, 144, 34, "Q8_K activations: 256 elements of Q8_K take 292 bytes, have 34"},
	} {
		_, err := VecDot(c.t, make([]byte, c.w), make([]byte, c.q))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.t, err, c.want)
		}
	}
}
