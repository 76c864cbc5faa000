package tensor

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		t       *Tensor
		wantErr string
	}{
		{"ok", FromSlice([]int{2, 2}, []float32{1, 2, 3, 4}), ""},
		{"scalar", Scalar(int8(3)), ""},
		{"empty", FromSlice([]int{0, 3}, []bool{}), ""},
		{"wrong storage", &Tensor{DType: ir.F32, Shape: []int{1}, Data: []float64{1}}, "holds []float64"},
		{"nil data", &Tensor{DType: ir.F32, Shape: []int{1}}, "holds <nil>"},
		{"invalid dtype", &Tensor{DType: ir.InvalidDType, Shape: []int{1}, Data: []float32{1}}, "holds []float32"},
		{"length", &Tensor{DType: ir.I64, Shape: []int{2, 2}, Data: []int64{1}}, "shape [2,2] does not match its 1 elements"},
		{"negative dim", &Tensor{DType: ir.I64, Shape: []int{-1, -1}, Data: []int64{1}}, "negative dim"},
	}
	for _, tc := range tests {
		err := tc.t.Check()
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestDecodeEncodeBytes(t *testing.T) {
	// i16 [2,1] = -2, 258: two's complement, little-endian.
	b := []byte{0xfe, 0xff, 0x02, 0x01}
	x, err := DecodeBytes(ir.I16, []int{2, 1}, b)
	if err != nil {
		t.Fatal(err)
	}
	if x.DType != ir.I16 || !reflect.DeepEqual(x.Shape, []int{2, 1}) || !reflect.DeepEqual(x.Data, []int16{-2, 258}) {
		t.Fatalf("DecodeBytes = %v", x)
	}
	got, err := EncodeBytes(x)
	if err != nil || !reflect.DeepEqual(got, b) {
		t.Fatalf("EncodeBytes = % x, %v; want % x", got, err, b)
	}
	for _, tc := range []struct {
		name    string
		err     error
		wantErr string
	}{
		{"short", func() error { _, err := DecodeBytes(ir.F32, []int{2}, make([]byte, 4)); return err }(), "4 bytes for f32[2] (want 8)"},
		{"string decode", func() error { _, err := DecodeBytes(ir.String, []int{1}, nil); return err }(), "no byte form"},
		{"string encode", func() error { _, err := EncodeBytes(FromSlice([]int{1}, []string{"a"})); return err }(), "no raw byte form"},
		{"malformed encode", func() error {
			_, err := EncodeBytes(&Tensor{DType: ir.F32, Shape: []int{3}, Data: []float32{1}})
			return err
		}(), "does not match"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, tc.err, tc.wantErr)
		}
	}
}

func TestFromConst(t *testing.T) {
	m := &ir.Module{}
	// f32[2] = 1.5, -2: IEEE 754 single, little-endian.
	raw := []byte{0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0}
	f := m.AddConst("f", ir.TensorType(ir.F32, ir.ShapeOf(2)), &ir.Constant{Bytes: raw})
	s := m.AddConst("s", ir.TensorType(ir.String, ir.ShapeOf(2)), &ir.Constant{Strings: []string{"a", "b"}})
	bad := m.AddConst("bad", ir.TensorType(ir.F32, ir.ShapeOf(3)), &ir.Constant{Bytes: raw})
	badStr := m.AddConst("bs", ir.TensorType(ir.String, ir.ShapeOf(3)), &ir.Constant{Strings: []string{"a"}})

	x, err := FromConst(f)
	if err != nil || !reflect.DeepEqual(x.Data, []float32{1.5, -2}) || !reflect.DeepEqual(x.Shape, []int{2}) {
		t.Fatalf("FromConst(f) = %v, %v", x, err)
	}
	raw[0] = 1 // the tensor holds a copy
	if Data[float32](x)[0] != 1.5 {
		t.Errorf("FromConst aliases the constant's bytes")
	}
	y, err := FromConst(s)
	if err != nil || !reflect.DeepEqual(y.Data, []string{"a", "b"}) {
		t.Fatalf("FromConst(s) = %v, %v", y, err)
	}
	if _, err := FromConst(bad); err == nil || !strings.Contains(err.Error(), "constant @bad: 8 bytes for f32[3]") {
		t.Errorf("FromConst(bad): %v", err)
	}
	if _, err := FromConst(badStr); err == nil || !strings.Contains(err.Error(), "1 strings") {
		t.Errorf("FromConst(bs): %v", err)
	}
	if _, err := FromConst(&ir.Value{Type: ir.TensorType(ir.F32, ir.ShapeOf())}); err == nil {
		t.Errorf("FromConst of a non-constant: no error")
	}
}

func TestCloneAndReshape(t *testing.T) {
	x := FromSlice([]int{2, 3}, []int32{1, 2, 3, 4, 5, 6})
	c := x.Clone()
	Data[int32](c)[0] = 9
	if Data[int32](x)[0] != 1 {
		t.Errorf("Clone shares data")
	}
	r := x.Reshaped([]int{3, 2})
	Data[int32](r)[1] = 7
	if Data[int32](x)[1] != 7 || !reflect.DeepEqual(r.Shape, []int{3, 2}) {
		t.Errorf("Reshaped: %v from %v", r, x)
	}
	if n := New(ir.C64, []int{4, 0}); n.Len() != 0 || n.Rank() != 2 {
		t.Errorf("New(c64, [4,0]) = %v", n)
	}
}

func TestIdentical(t *testing.T) {
	nan1 := math.Float32frombits(0x7fc00001)
	nan2 := math.Float32frombits(0x7fc00002)
	f := func(xs ...float32) *Tensor { return FromSlice([]int{len(xs)}, xs) }
	seq := func(vs ...Value) *Sequence { return &Sequence{Elem: ir.TensorType(ir.F32, ir.ShapeOf(1)), Items: vs} }
	tests := []struct {
		name string
		a, b Value
		want bool
	}{
		{"same floats", f(1, 2), f(1, 2), true},
		{"different floats", f(1, 2), f(1, 3), false},
		{"same NaN payload", f(nan1), f(nan1), true},
		{"other NaN payload", f(nan1), f(nan2), false},
		{"signed zeros", f(0), f(float32(math.Copysign(0, -1))), false},
		{"shape", f(1, 2), FromSlice([]int{2, 1}, []float32{1, 2}), false},
		{"dtype", f(1), FromSlice([]int{1}, []float64{1}), false},
		{"strings", FromSlice([]int{2}, []string{"a", "b"}), FromSlice([]int{2}, []string{"a", "b"}), true},
		{"other strings", FromSlice([]int{1}, []string{"a"}), FromSlice([]int{1}, []string{"b"}), false},
		{"malformed", &Tensor{DType: ir.F32, Shape: []int{2}, Data: []float32{1}}, &Tensor{DType: ir.F32, Shape: []int{2}, Data: []float32{1}}, false},
		{"sequences", seq(f(1), f(2)), seq(f(1), f(2)), true},
		{"sequence lengths", seq(f(1)), seq(f(1), f(2)), false},
		{"sequence items", seq(f(1)), seq(f(2)), false},
		{"empty optionals", &Optional{}, &Optional{}, true},
		{"optional vs empty", &Optional{Value: f(1)}, &Optional{}, false},
		{"optionals", &Optional{Value: f(1)}, &Optional{Value: f(1)}, true},
		{"tensor vs sequence", f(1), seq(f(1)), false},
		{"nil tensors", (*Tensor)(nil), (*Tensor)(nil), false},
		{"nils", nil, nil, true},
	}
	for _, tc := range tests {
		if got := Identical(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: Identical = %v, want %v", tc.name, got, tc.want)
		}
	}
}
