package quant_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir/quant"
)

// testRows are rows of 512 values drawn to reach every corner of the
// scale computations: normal and one-signed values, an outlier per block,
// constant and zero blocks, values so small that the f16 scale is
// subnormal, and integers that land on rounding ties.
func testRows() map[string][]float32 {
	r := rand.New(rand.NewPCG(1, 2))
	rows := map[string][]float32{}
	gen := func(name string, f func(i int) float64) {
		x := make([]float32, 512)
		for i := range x {
			x[i] = float32(f(i))
		}
		rows[name] = x
	}
	gen("normal", func(int) float64 { return r.NormFloat64() })
	gen("wide", func(int) float64 { return r.NormFloat64() * math.Exp(4*r.NormFloat64()) })
	gen("positive", func(int) float64 { return math.Abs(r.NormFloat64()) + 3 })
	gen("negative", func(int) float64 { return -math.Abs(r.NormFloat64()) })
	gen("outlier", func(i int) float64 {
		if i%32 == 5 {
			return -40
		}
		return r.NormFloat64() * 0.01
	})
	gen("constant", func(int) float64 { return 0.3 })
	gen("zero", func(int) float64 { return 0 })
	gen("tiny", func(int) float64 { return r.NormFloat64() * 1e-7 })
	gen("ties", func(i int) float64 { return float64(i%17 - 8) })
	return rows
}

// TestQuantizeRoundTrip quantizes each test row with every type
// QuantizeRow writes and checks each decoded value against the bound its
// format allows (legacyBound; Q8_1 shares Q8_0's, Q8_K keeps its scale
// as float32 so has no f16 term; F16 and BF16 round to nearest), and for
// the K-quants and IQ4 the row's RMS error against rmsCeiling. These skip
// the tiny row: their f16 super-block scale is the largest group scale
// over 63 (or 15, 32, 128), which underflows f16 for values near 1e-7.
func TestQuantizeRoundTrip(t *testing.T) {
	for name, x := range testRows() {
		for _, ty := range []quant.GGMLType{quant.Q2_K, quant.Q3_K, quant.Q4_K, quant.Q5_K, quant.Q6_K, quant.IQ4_NL, quant.IQ4_XS} {
			if name == "tiny" {
				continue
			}
			n, _ := quant.RowBytes(ty, int64(len(x)))
			b := make([]byte, n)
			y := make([]float32, len(x))
			if err := quant.QuantizeRow(ty, x, b); err != nil {
				t.Fatalf("%s %s: %v", name, ty, err)
			}
			if err := quant.DequantizeRow(ty, b, y); err != nil {
				t.Fatalf("%s %s: %v", name, ty, err)
			}
			var sq float64
			for i := range x {
				e := float64(x[i]) - float64(y[i])
				sq += e * e
			}
			if rms, ceil := math.Sqrt(sq/float64(len(x))), rmsCeiling(ty, x); rms > ceil {
				t.Errorf("%s %s: RMS error %g over the ceiling %g", name, ty, rms, ceil)
			}
		}
		for _, ty := range []quant.GGMLType{quant.F32, quant.F16, quant.BF16, quant.Q8_0, quant.Q8_1, quant.Q8_K,
			quant.Q4_0, quant.Q4_1, quant.Q5_0, quant.Q5_1} {
			n, _ := quant.RowBytes(ty, int64(len(x)))
			b := make([]byte, n)
			if err := quant.QuantizeRow(ty, x, b); err != nil {
				t.Fatalf("%s %s: %v", name, ty, err)
			}
			y := make([]float32, len(x))
			if err := quant.DequantizeRow(ty, b, y); err != nil {
				t.Fatalf("%s %s: %v", name, ty, err)
			}
			info, _ := quant.Info(ty)
			for i := range x {
				blk := x[i/info.BlockLen*info.BlockLen:][:info.BlockLen]
				var bound float64
				switch ty {
				case quant.F32:
					bound = 0
				case quant.F16:
					if math.Abs(float64(x[i])) >= 65520 { // past f16's largest finite value, 65504
						if !math.IsInf(float64(y[i]), int(math.Copysign(1, float64(x[i])))) {
							t.Errorf("%s F16: %v decodes to %v, want an infinity", name, x[i], y[i])
						}
						continue
					}
					bound = max(math.Abs(float64(x[i]))*0x1p-11, 0x1p-25)
				case quant.BF16:
					bound = math.Abs(float64(x[i])) * 0x1p-8
				case quant.Q8_1:
					bound = legacyBound(quant.Q8_0, blk)
				case quant.Q8_K:
					var amax float64
					for _, v := range blk {
						amax = max(amax, math.Abs(float64(v)))
					}
					bound = amax / 127 / 2 * (1 + 1e-6)
				default:
					bound = legacyBound(ty, blk)
				}
				if e := math.Abs(float64(x[i]) - float64(y[i])); e > bound {
					t.Errorf("%s %s: element %d: %v decodes to %v, error %g over the bound %g", name, ty, i, x[i], y[i], e, bound)
					break
				}
			}
		}
	}
}

// TestQuantizeQ8_0ByHand checks one block whose codes are known: the
// largest magnitude is 127·2^-3, so d = 2^-3 exactly and x/d are the
// integers chosen; half-integers round away from zero as C's roundf.
func TestQuantizeQ8_0ByHand(t *testing.T) {
	x := make([]float32, 32)
	want := make([]int8, 32)
	for i := range x {
		want[i] = int8(i*8 - 127)
		x[i] = float32(want[i]) / 8
	}
	x[0], want[0] = -127.0/8, -127
	x[1], want[1] = 2.5/8, 3 // tie: away from zero
	x[2], want[2] = -2.5/8, -3
	b := make([]byte, 34)
	if err := quant.QuantizeRow(quant.Q8_0, x, b); err != nil {
		t.Fatal(err)
	}
	if b[0] != 0x00 || b[1] != 0x30 { // f16 0.125
		t.Errorf("scale bytes %#x %#x, want 0x00 0x30", b[0], b[1])
	}
	for i, w := range want {
		if int8(b[2+i]) != w {
			t.Errorf("code %d: got %d, want %d", i, int8(b[2+i]), w)
		}
	}
}

func TestQuantizeErrors(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(-1))
	for _, c := range []struct {
		t    quant.GGMLType
		x    []float32
		dst  int
		want string
	}{
		{quant.Q8_0, make([]float32, 31), 34, "not a multiple of its block length 32"},
		{quant.Q8_0, make([]float32, 32), 33, "take 34 bytes, have 33"},
		{quant.Q4_0, append(make([]float32, 31), nan), 18, "element 31 is NaN"},
		{quant.Q8_K, append(make([]float32, 255), inf), 292, "element 255 is -Inf"},
		{quant.IQ2_XXS, make([]float32, 256), 66, "IQ2_XXS is not supported"},
	} {
		err := quant.QuantizeRow(c.t, c.x, make([]byte, c.dst))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.t, err, c.want)
		}
	}
}
