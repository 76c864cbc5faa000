package interp

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// runKernel calls the kernel of op name directly; the elementwise kernels
// need no Ctx.
func runKernel(name string, attrs []ir.Attr, args ...Value) (*Tensor, error) {
	k, ok := kernels[name]
	if !ok {
		return nil, fmt.Errorf("no kernel %s", name)
	}
	out, err := k(nil, &ir.Op{Name: name, Attrs: attrs}, args)
	if err != nil {
		return nil, err
	}
	return out[0].(*Tensor), nil
}

func vec[T any](xs ...T) *Tensor { return FromSlice([]int{len(xs)}, xs) }

func TestElementwiseKernels(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	f16 := func(xs ...float32) *Tensor {
		h := make([]ir.Float16, len(xs))
		for i, x := range xs {
			h[i] = ir.F16FromFloat32(x)
		}
		return vec(h...)
	}
	tests := []struct {
		name  string
		op    string
		attrs []ir.Attr
		args  []Value
		want  any    // the output's data slice
		err   string // substring of the expected error
	}{
		// Mod: fmod=0 takes the divisor's sign, fmod=1 the dividend's.
		{"mod int", "Mod", nil, []Value{vec[int32](-4, 7, 5, -5), vec[int32](3, -3, 3, -3)}, []int32{2, -2, 2, -2}, ""},
		{"mod int fmod", "Mod", []ir.Attr{{Name: "fmod", Value: ir.IntAttr(1)}},
			[]Value{vec[int32](-4, 7, 5, -5), vec[int32](3, -3, 3, -3)}, []int32{-1, 1, 2, -2}, ""},
		{"mod float fmod", "Mod", []ir.Attr{{Name: "fmod", Value: ir.IntAttr(1)}},
			[]Value{vec(-4.5, 7.5), vec(2.0, -2.0)}, []float64{-0.5, 1.5}, ""},
		{"mod uint", "Mod", nil, []Value{vec[uint8](250, 7), vec[uint8](7, 250)}, []uint8{5, 7}, ""},
		{"mod by zero", "Mod", nil, []Value{vec[int64](1), vec[int64](0)}, nil, "division by zero"},
		{"div int truncates", "Div", nil, []Value{vec[int8](-7, 7, -128), vec[int8](2, -2, -1)}, []int8{-3, -3, -128}, ""},
		{"div by zero", "Div", nil, []Value{vec[uint16](1), vec[uint16](0)}, nil, "division by zero"},
		{"div float by zero", "Div", nil, []Value{vec[float32](1, -1), vec[float32](0, 0)},
			[]float32{float32(inf), float32(-inf)}, ""},
		{"add wraps", "Add", nil, []Value{vec[uint8](200), vec[uint8](100)}, []uint8{44}, ""},
		{"add broadcast", "Add", nil, []Value{FromSlice([]int{2, 1}, []int64{10, 20}), vec[int64](1, 2)},
			[]int64{11, 12, 21, 22}, ""},
		{"add f16 rounds once", "Add", nil, []Value{f16(1), f16(0.0004)}, []ir.Float16{ir.F16FromFloat32(1.0004)}, ""},
		{"add dtype mismatch", "Add", nil, []Value{vec[int32](1), vec[int64](1)}, nil, "element types differ"},
		{"add strings", "Add", nil, []Value{vec("a"), vec("b")}, nil, "does not support"},
		// Pow keeps the base's type; integer powers are exact.
		{"pow int exact", "Pow", nil, []Value{vec[int64](3, -2, 2, 1, -1), vec[int64](39, 3, -1, -5, -5)},
			[]int64{4052555153018976267, -8, 0, 1, -1}, ""},
		{"pow int float", "Pow", nil, []Value{vec[int32](2, 9), vec[float32](0.5, 0.5)}, []int32{1, 3}, ""},
		{"pow float int", "Pow", nil, []Value{vec[float32](2, 4), vec[int64](-1, 3)}, []float32{0.5, 64}, ""},
		{"bitshift left", "BitShift", []ir.Attr{{Name: "direction", Value: ir.StringAttr("LEFT")}},
			[]Value{vec[uint8](1, 255, 1), vec[uint8](7, 1, 8)}, []uint8{128, 254, 0}, ""},
		{"bitshift right", "BitShift", []ir.Attr{{Name: "direction", Value: ir.StringAttr("RIGHT")}},
			[]Value{vec[uint64](1 << 63), vec[uint64](63)}, []uint64{1}, ""},
		{"bitshift signed", "BitShift", []ir.Attr{{Name: "direction", Value: ir.StringAttr("LEFT")}},
			[]Value{vec[int32](1), vec[int32](1)}, nil, "does not support"},
		{"round half even", "Round", nil, []Value{vec(0.5, 1.5, 2.5, -0.5, -1.5, 2.4)}, []float64{0, 2, 2, -0, -2, 2}, ""},
		{"sign", "Sign", nil, []Value{vec[int8](-5, 0, 3)}, []int8{-1, 0, 1}, ""},
		{"abs int8 min wraps", "Abs", nil, []Value{vec[int8](-128, -3)}, []int8{-128, 3}, ""},
		{"relu int", "Relu", nil, []Value{vec[int32](-3, 4)}, []int32{0, 4}, ""},
		{"sqrt int", "Sqrt", nil, []Value{vec[int32](4)}, nil, "does not support"},
		{"shrink int", "Shrink", []ir.Attr{{Name: "lambd", Value: ir.FloatAttr(1.5)}, {Name: "bias", Value: ir.FloatAttr(1)}},
			[]Value{vec[int32](-3, -1, 0, 2)}, []int32{-2, 0, 0, 1}, ""},
		{"hardsigmoid attrs", "HardSigmoid", []ir.Attr{{Name: "alpha", Value: ir.FloatAttr(0.5)}, {Name: "beta", Value: ir.FloatAttr(0.25)}},
			[]Value{vec[float32](-1, 0, 1, 3)}, []float32{0, 0.25, 0.75, 1}, ""},
		{"hardsigmoid defaults f16", "HardSigmoid", nil, []Value{f16(-5, 0, 5)}, []ir.Float16{0, ir.F16FromFloat32(0.5), ir.F16FromFloat32(1)}, ""},
		{"hardsigmoid int", "HardSigmoid", nil, []Value{vec[int32](1)}, nil, "does not support"},
		{"sigmoid extremes", "Sigmoid", nil, []Value{vec(-1000.0, 1000.0)}, []float64{0, 1}, ""},
		{"softplus large", "Softplus", nil, []Value{vec(1000.0)}, []float64{1000}, ""},
		// Max/Min propagate NaN like numpy's maximum/minimum.
		{"max nan", "Max", nil, []Value{vec(1.0, nan), vec(nan, 2.0)}, []float64{nan, nan}, ""},
		{"max three", "Max", nil, []Value{vec[uint32](1, 9), vec[uint32](5, 2), vec[uint32](3)}, []uint32{5, 9}, ""},
		{"min one", "Min", nil, []Value{vec[int16](3, -2)}, []int16{3, -2}, ""},
		{"mean broadcast", "Mean", nil, []Value{vec[float32](1, 2), FromSlice([]int{2, 1}, []float32{3, 5})},
			[]float32{2, 2.5, 3, 3.5}, ""},
		{"mean int", "Mean", nil, []Value{vec[int32](1)}, nil, "does not support"},
		{"sum f16", "Sum", nil, []Value{f16(1), f16(2), f16(3)}, []ir.Float16{ir.F16FromFloat32(6)}, ""},
		// Clip: absent bounds are open; lo > hi gives hi.
		{"clip int", "Clip", nil, []Value{vec[int8](-100, 0, 100), Scalar[int8](-5), Scalar[int8](5)}, []int8{-5, 0, 5}, ""},
		{"clip max only", "Clip", nil, []Value{vec[float32](-100, 100), nil, Scalar[float32](1)}, []float32{-100, 1}, ""},
		{"clip none", "Clip", nil, []Value{vec[uint64](7)}, []uint64{7}, ""},
		{"clip crossed", "Clip", nil, []Value{vec(-1.0, 9.0), Scalar(3.0), Scalar(2.0)}, []float64{2, 2}, ""},
		{"clip bound not scalar", "Clip", nil, []Value{vec(1.0), vec(0.0, 1.0)}, nil, "want a scalar"},
		{"equal strings", "Equal", nil, []Value{vec("a", "b"), vec("a")}, []bool{true, false}, ""},
		{"equal bool", "Equal", nil, []Value{vec(true, false), vec(true, true)}, []bool{true, false}, ""},
		{"greater uint64", "Greater", nil, []Value{vec[uint64](1 << 63), vec[uint64](1)}, []bool{true}, ""},
		{"less f16", "Less", nil, []Value{f16(1, 2), f16(2)}, []bool{true, false}, ""},
		{"xor", "Xor", nil, []Value{vec(true, true, false), vec(true, false, false)}, []bool{false, true, false}, ""},
		{"and not bool", "And", nil, []Value{vec[int32](1), vec[int32](1)}, nil, "needs bool"},
		{"isinf negative only", "IsInf", []ir.Attr{{Name: "detect_positive", Value: ir.IntAttr(0)}},
			[]Value{vec(inf, -inf, nan, 1)}, []bool{false, true, false, false}, ""},
		{"isnan f16", "IsNaN", nil, []Value{f16(float32(nan), 1)}, []bool{true, false}, ""},
		{"where strings broadcast", "Where", nil,
			[]Value{FromSlice([]int{2, 1}, []bool{true, false}), vec("x1", "x2"), Scalar("y")},
			[]string{"x1", "x2", "y", "y"}, ""},
		{"where dtype mismatch", "Where", nil, []Value{Scalar(true), Scalar(1.0), Scalar[float32](1)}, nil, "Y is f32"},
		{"prelu broadcast slope", "PRelu", nil, []Value{FromSlice([]int{2, 2}, []float32{-1, 2, -3, 4}), vec[float32](0.5, 2)},
			[]float32{-0.5, 2, -1.5, 4}, ""},
		{"prelu bad broadcast", "PRelu", nil, []Value{vec[float32](1, 2), vec[float32](1, 2, 3)}, nil, "do not broadcast"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runKernel(tc.op, tc.attrs, tc.args...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !sameData(got.Data, tc.want) {
				t.Errorf("got %v, want %v", got.Data, tc.want)
			}
		})
	}
}

// sameData is reflect.DeepEqual with NaN equal to NaN.
func sameData(got, want any) bool {
	switch w := want.(type) {
	case []float64:
		g, ok := got.([]float64)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if g[i] != w[i] && !(math.IsNaN(g[i]) && math.IsNaN(w[i])) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(got, want)
}

func TestCastTensor(t *testing.T) {
	bf := func(bits ...uint16) []ir.BFloat16 {
		out := make([]ir.BFloat16, len(bits))
		for i, b := range bits {
			out[i] = ir.BFloat16(b)
		}
		return out
	}
	tests := []struct {
		name string
		in   *Tensor
		to   ir.DType
		want any
		err  string
	}{
		{"float to int truncates", vec(-2.7, 2.7, -0.5), ir.I32, []int32{-2, 2, 0}, ""},
		{"float to uint8 wraps", vec[float32](-1, 256), ir.U8, []uint8{255, 0}, ""},
		{"int64 to float32 rounds", vec[int64](1<<24 + 1), ir.F32, []float32{1 << 24}, ""},
		{"bool to float", vec(true, false), ir.F32, []float32{1, 0}, ""},
		{"float to bool", vec(0.0, -0.0, 0.1, math.NaN()), ir.Bool, []bool{false, false, true, true}, ""},
		// 0.49968487 is 0x3EFFD2xx: round to nearest even gives 0x3F00 (0.5)
		// where truncation would give 0x3EFF.
		{"float to bf16 rounds to even", vec[float32](0.49968487, 1), ir.BF16, bf(0x3F00, 0x3F80), ""},
		{"bf16 to f16", FromSlice([]int{1}, bf(0x3F80)), ir.F16, []ir.Float16{0x3C00}, ""},
		{"float to string", vec[float32](0.6048455, 1, 1e-5, 1234567, 1e20, float32(math.Inf(-1)), float32(math.NaN())), ir.String,
			[]string{"0.6048455", "1.0", "1e-05", "1234567.0", "1e+20", "-inf", "nan"}, ""},
		{"f16 to string", FromSlice([]int{3}, []ir.Float16{ir.F16FromFloat32(0.1), ir.F16FromFloat32(65504), ir.F16FromFloat32(-2.5)}),
			ir.String, []string{"0.1", "65500.0", "-2.5"}, ""},
		// 1 + 2^-11 + 2^-40 is just above the float16 tie between 1 and
		// 1 + 2^-10: correct rounding goes up, rounding via float32 (which
		// drops the 2^-40) would tie to even and go down.
		{"double to f16 rounds once", vec(1 + 1.0/2048 + 1.0/(1<<40)), ir.F16, []ir.Float16{0x3C01}, ""},
		{"double to bf16 exact", vec(0.5, -3.0), ir.BF16, bf(0x3F00, 0xC040), ""},
		{"double to string", vec(0.1), ir.String, []string{"0.1"}, ""},
		{"int to string", vec[int8](-128), ir.String, []string{"-128"}, ""},
		{"bool to string", vec(true), ir.String, []string{"True"}, ""},
		{"string to float", vec("0.47892547", "NaN", "INF", "+INF", "-INF", " 2 "), ir.F32,
			[]float32{0.47892547, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(1)), float32(math.Inf(-1)), 2}, ""},
		{"string to int64 exact", vec("9007199254740993"), ir.I64, []int64{9007199254740993}, ""},
		{"string to uint64 exact", vec("18446744073709551615"), ir.U64, []uint64{math.MaxUint64}, ""},
		{"string to int via float", vec("2.9"), ir.I16, []int16{2}, ""},
		{"string to bool", vec("True", "0", "2"), ir.Bool, []bool{true, false, true}, ""},
		{"bad string", vec("one"), ir.F64, nil, `"one" is not a number`},
		{"complex", vec[complex64](1), ir.F32, nil, "not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CastTensor(tc.in, tc.to)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.DType != tc.to {
				t.Fatalf("dtype %v, want %v", got.DType, tc.to)
			}
			if g, ok := got.Data.([]float32); ok {
				w := tc.want.([]float32)
				for i := range w {
					if g[i] != w[i] && !(g[i] != g[i] && w[i] != w[i]) {
						t.Fatalf("got %v, want %v", g, w)
					}
				}
				return
			}
			if !reflect.DeepEqual(got.Data, tc.want) {
				t.Errorf("got %v, want %v", got.Data, tc.want)
			}
		})
	}
}
