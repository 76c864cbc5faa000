package ir

import (
	"strings"
	"testing"
)

func TestJoinTypes(t *testing.T) {
	f := func(dims ...Dim) Type { return TensorType(F32, Shape{Ranked: true, Dims: dims}) }
	tests := []struct {
		a, b Type
		want string
	}{
		{f(Static(2), Static(3)), f(Static(2), Static(3)), "f32[2,3]"},
		{f(Static(2), Static(3)), f(Static(2), Static(4)), "f32[2,?]"},
		{f(Symbolic("n")), f(Symbolic("n")), "f32[n]"},
		{f(Symbolic("n")), f(Static(1)), "f32[?]"},
		{f(Static(2)), f(Static(2), Static(1)), "f32[*]"},
		{f(Static(2)), Type{}, "f32[2]"},
		{SequenceOf(f(Static(1))), SequenceOf(f(Static(2))), "seq<f32[?]>"},
		{OptionalOf(f(Static(1))), Type{Kind: OptionalKind}, "opt<?>"},
		{f(Static(1)), SequenceOf(f(Static(1))), "invalid"},
	}
	for _, tc := range tests {
		if got := JoinTypes(tc.a, tc.b).String(); got != tc.want {
			t.Errorf("JoinTypes(%v, %v) = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
}

// inferOne builds op name on fresh params of the given types and returns
// its inferred result types (or the error).
func inferOne(name string, args []Type, attrs []Attr, nres int) (string, error) {
	r := &Region{}
	var vals []*Value
	for _, a := range args {
		if a.Kind == InvalidKind {
			vals = append(vals, nil)
			continue
		}
		vals = append(vals, r.AddParam(a))
	}
	op, err := r.Build(name, vals, attrs, nres)
	if err != nil {
		return "", err
	}
	var s []string
	for _, res := range op.Results {
		s = append(s, res.Type.String())
	}
	return strings.Join(s, " "), nil
}

func TestInferSequenceAndRecurrent(t *testing.T) {
	x := TensorType(F32, Shape{Ranked: true, Dims: []Dim{Static(5), Symbolic("b"), Static(3)}})
	w := func(dirs, rows int64) Type { return TensorType(F32, ShapeOf(dirs, rows, 3)) }
	seq := SequenceOf(TensorType(I64, ShapeOf(2, 3)))
	str := func(k, v string) Attr { return Attr{Name: k, Value: StringAttr(v)} }
	i := func(k string, v int64) Attr { return Attr{Name: k, Value: IntAttr(v)} }
	tests := []struct {
		op    string
		args  []Type
		attrs []Attr
		nres  int
		want  string // types, or an error substring after "error: "
	}{
		{"LSTM", []Type{x, w(1, 16), w(1, 16)}, nil, 3, "f32[5,1,b,4] f32[1,b,4] f32[1,b,4]"},
		{"GRU", []Type{x, w(2, 12), w(2, 12)}, []Attr{str("direction", "bidirectional")}, 2, "f32[5,2,b,4] f32[2,b,4]"},
		{"RNN", []Type{x, w(1, 4), w(1, 4)}, []Attr{i("layout", 1)}, 2, "f32[5,b,1,4] f32[5,1,4]"},
		{"RNN", []Type{x, w(1, 4), w(1, 4)}, []Attr{str("direction", "sideways")}, 1, "error: direction"},
		{"LSTM", []Type{x, w(1, 16), w(1, 16)}, []Attr{str("direction", "bidirectional")}, 1, "error: directions"},
		{"SplitToSequence", []Type{x}, nil, 1, "seq<f32[1,b,3]>"},
		{"SplitToSequence", []Type{x}, []Attr{i("keepdims", 0), i("axis", -1)}, 1, "seq<f32[5,b]>"},
		{"SplitToSequence", []Type{x, TensorType(I64, ShapeOf(2))}, nil, 1, "seq<f32[?,b,3]>"},
		{"ConcatFromSequence", []Type{seq}, []Attr{i("axis", 1)}, 1, "i64[2,?]"},
		{"ConcatFromSequence", []Type{seq}, []Attr{i("axis", -1), i("new_axis", 1)}, 1, "i64[2,3,?]"},
		{"ConcatFromSequence", []Type{seq}, []Attr{i("axis", 3), i("new_axis", 1)}, 1, "error: out of range"},
		{"SequenceAt", []Type{seq, TensorType(I64, ShapeOf())}, nil, 1, "i64[2,3]"},
		{"SequenceAt", []Type{x, TensorType(I64, ShapeOf())}, nil, 1, "error: want a sequence"},
		{"SequenceInsert", []Type{seq, TensorType(I64, ShapeOf(2, 4))}, nil, 1, "seq<i64[2,?]>"},
		{"SequenceConstruct", []Type{x, x}, nil, 1, "seq<f32[5,b,3]>"},
		{"SequenceLength", []Type{seq}, nil, 1, "i64[]"},
		{"SequenceEmpty", nil, []Attr{{Name: "dtype", Value: DTypeAttr(I32)}}, 1, "seq<i32[*]>"},
		{"Optional", []Type{x}, nil, 1, "opt<f32[5,b,3]>"},
		{"Optional", nil, []Attr{{Name: "type", Value: TypeAttr(seq)}}, 1, "opt<seq<i64[2,3]>>"},
		{"Optional", nil, nil, 1, "error: type attribute"},
		{"OptionalGetElement", []Type{OptionalOf(seq)}, nil, 1, "seq<i64[2,3]>"},
		{"OptionalHasElement", []Type{OptionalOf(seq)}, nil, 1, "bool[]"},
	}
	for _, tc := range tests {
		got, err := inferOne(tc.op, tc.args, tc.attrs, tc.nres)
		if err != nil {
			got = "error: " + err.Error()
		}
		if strings.HasPrefix(tc.want, "error: ") {
			if !strings.HasPrefix(got, "error: ") || !strings.Contains(got, strings.TrimPrefix(tc.want, "error: ")) {
				t.Errorf("%s %v: got %s, want %s", tc.op, tc.attrs, got, tc.want)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%s %v: got %s, want %s", tc.op, tc.attrs, got, tc.want)
		}
	}
}
