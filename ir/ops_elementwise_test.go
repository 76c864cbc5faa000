package ir

import (
	"strings"
	"testing"
)

func TestElementwiseInfer(t *testing.T) {
	f32 := func(dims ...Dim) Type { return TensorType(F32, Shape{Ranked: true, Dims: dims}) }
	tests := []struct {
		name  string
		op    string
		args  []Type
		attrs []Attr
		want  string // result type, or the error substring after "!"
	}{
		{"add broadcast symbolic", "Add", []Type{f32(Symbolic("n"), Static(1)), f32(Static(4))}, nil, "f32[n,4]"},
		{"add dtype mismatch", "Add", []Type{f32(Static(2)), TensorType(I64, ShapeOf(2))}, nil, "!operand 1 (B) is i64[2], but T is f32[2]"},
		{"add unknown dtype passes", "Add", []Type{f32(Static(2)), TensorType(InvalidDType, ShapeOf(2))}, nil, "f32[2]"},
		{"add bad broadcast", "Add", []Type{f32(Static(2)), f32(Static(3))}, nil, "!cannot broadcast"},
		{"pow mixed types", "Pow", []Type{TensorType(I32, ShapeOf(2)), f32(Static(1))}, nil, "i32[2]"},
		{"less is bool", "Less", []Type{f32(Static(3)), f32()}, nil, "bool[3]"},
		{"isinf is bool", "IsInf", []Type{f32(Static(2), Unknown())}, nil, "bool[2,?]"},
		{"where takes X's type", "Where", []Type{TensorType(Bool, ShapeOf(2, 1)), TensorType(String, ShapeOf(3)), TensorType(String, ShapeOf())}, nil, "string[2,3]"},
		{"where int condition", "Where", []Type{TensorType(I32, ShapeOf(1)), f32(), f32()}, nil, "!want bool"},
		{"where X/Y mismatch", "Where", []Type{TensorType(Bool, ShapeOf(1)), f32(), TensorType(F64, ShapeOf())}, nil, "!operand 2 (Y) is f64[], but T is f32[]"},
		{"max variadic", "Max", []Type{f32(Static(2), Static(1)), f32(Static(3)), f32()}, nil, "f32[2,3]"},
		{"cast", "Cast", []Type{f32(Static(5))}, []Attr{{Name: "to", Value: DTypeAttr(BF16)}}, "bf16[5]"},
		{"cast without to", "Cast", []Type{f32(Static(5))}, nil, "!attribute to"},
		{"castlike", "CastLike", []Type{f32(Static(5)), TensorType(F16, ShapeOf(1))}, nil, "f16[5]"},
		{"clip keeps type", "Clip", []Type{TensorType(I8, ShapeOf(4)), TensorType(I8, ShapeOf())}, nil, "i8[4]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := NewModule().NewFunc("main")
			args := make([]*Value, len(tc.args))
			for i, a := range tc.args {
				args[i] = f.AddInput("x", a)
			}
			op, err := f.Body.Build(tc.op, args, tc.attrs, 1)
			if want, ok := strings.CutPrefix(tc.want, "!"); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want one containing %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := op.Results[0].Type.String(); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
