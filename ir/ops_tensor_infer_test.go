package ir

import (
	"math"
	"strings"
	"testing"
)

// TestTensorFamilyInfer builds one op of the tensor family on typed inputs
// and constants and checks the inferred result type (or the error).
func TestTensorFamilyInfer(t *testing.T) {
	sym := func(dims ...any) Shape {
		s := Shape{Ranked: true, Dims: []Dim{}}
		for _, d := range dims {
			switch d := d.(type) {
			case int:
				s.Dims = append(s.Dims, Static(int64(d)))
			case string:
				if d == "?" {
					s.Dims = append(s.Dims, Unknown())
				} else {
					s.Dims = append(s.Dims, Symbolic(d))
				}
			}
		}
		return s
	}
	type operand struct {
		t      Type
		ints   []int64   // an i64 constant of shape [len] (or scalar if scalar)
		flts   []float32 // an f32 constant
		scal   bool
		absent bool
	}
	in := func(d DType, s Shape) operand { return operand{t: TensorType(d, s)} }
	ci := func(v ...int64) operand { return operand{ints: v} }
	cs := func(v int64) operand { return operand{ints: []int64{v}, scal: true} }
	cf := func(v ...float32) operand { return operand{flts: v} }
	none := operand{absent: true}
	x := in(F32, sym("batch", "seq", 12))
	cases := []struct {
		name  string
		op    string
		args  []operand
		attrs []Attr
		nres  int
		want  string // result types joined by " ", or "error: <substring>"
	}{
		{"flatten symbolic", "Flatten", []operand{x}, []Attr{{"axis", IntAttr(2)}}, 1, "f32[batch*seq,12]"},
		{"flatten axis 1 multiplies the rest", "Flatten", []operand{x}, nil, 1, "f32[batch,12*seq]"},
		{"squeeze axes", "Squeeze", []operand{in(F32, sym(1, "n", 1)), ci(0, -1)}, nil, 1, "f32[n]"},
		{"squeeze non-1", "Squeeze", []operand{in(F32, sym(2, 3)), ci(0)}, nil, 1, "error: cannot squeeze"},
		{"unsqueeze", "Unsqueeze", []operand{x, ci(0, 4)}, nil, 1, "f32[1,batch,seq,12,1]"},
		{"transpose default", "Transpose", []operand{x}, nil, 1, "f32[12,seq,batch]"},
		{"transpose bad perm", "Transpose", []operand{x}, []Attr{{"perm", IntsAttr([]int64{0, 0, 1})}}, 1, "error: not a permutation"},
		{"concat static", "Concat", []operand{in(F32, sym(2, 3)), in(F32, sym(2, 5))}, []Attr{{"axis", IntAttr(-1)}}, 1, "f32[2,8]"},
		{"concat with empty keeps sym", "Concat", []operand{in(F32, sym("b", 4, "past", 8)), in(F32, sym("b", 4, 0, 8))}, []Attr{{"axis", IntAttr(2)}}, 1, "f32[b,4,past,8]"},
		{"concat sym sum", "Concat", []operand{in(F32, sym("b", "past")), in(F32, sym("b", "seq"))}, []Attr{{"axis", IntAttr(1)}}, 1, "f32[b,past+seq]"},
		{"concat dtype mismatch", "Concat", []operand{in(F32, sym(2)), in(I64, sym(2))}, []Attr{{"axis", IntAttr(0)}}, 1, "error: operand 1 (inputs) is i64[2], but T is f32[2]"},
		{"split equal", "Split", []operand{x}, []Attr{{"axis", IntAttr(2)}}, 3, "f32[batch,seq,4] f32[batch,seq,4] f32[batch,seq,4]"},
		{"split sizes", "Split", []operand{x, ci(2, 10)}, []Attr{{"axis", IntAttr(-1)}}, 2, "f32[batch,seq,2] f32[batch,seq,10]"},
		{"split bad sizes", "Split", []operand{x, ci(2, 9)}, []Attr{{"axis", IntAttr(-1)}}, 2, "error: sum to 11"},
		{"slice static neg step", "Slice", []operand{x, ci(-1), ci(-1 << 62), ci(2), ci(-3)}, nil, 1, "f32[batch,seq,4]"},
		{"slice whole dynamic dim", "Slice", []operand{x, ci(0), ci(math.MaxInt64), ci(1), none}, nil, 1, "f32[batch,seq,12]"},
		{"slice dynamic dim part", "Slice", []operand{x, ci(1), ci(math.MaxInt64), ci(1), none}, nil, 1, "f32[batch,?,12]"},
		{"gather scalar index", "Gather", []operand{x, cs(3)}, []Attr{{"axis", IntAttr(2)}}, 1, "f32[batch,seq]"},
		{"gather matrix", "Gather", []operand{in(F32, sym(1024, 256)), in(I64, sym("b", "s"))}, nil, 1, "f32[b,s,256]"},
		{"gathernd batch", "GatherND", []operand{in(F32, sym(2, 3, 4)), in(I64, sym(2, 5, 1))}, []Attr{{"batch_dims", IntAttr(1)}}, 1, "f32[2,5,4]"},
		{"expand", "Expand", []operand{in(F32, sym(3, 1)), ci(2, 1, 6)}, nil, 1, "f32[2,3,6]"},
		{"tile", "Tile", []operand{x, ci(1, 2, 3)}, nil, 1, "f32[batch,2*seq,36]"},
		{"pad", "Pad", []operand{x, ci(0, 0, 1, 0, 0, -2)}, nil, 1, "f32[batch,seq,11]"},
		{"pad bad mode", "Pad", []operand{x, ci(0, 0, 0, 0, 0, 0)}, []Attr{{"mode", StringAttr("mirror")}}, 1, `error: attribute "mode" is "mirror", want one of`},
		{"shape start end", "Shape", []operand{x}, []Attr{{"start", IntAttr(-2)}, {"end", IntAttr(100)}}, 1, "i64[2]"},
		{"size", "Size", []operand{x}, nil, 1, "i64[]"},
		{"constantofshape default", "ConstantOfShape", []operand{ci(2, 3)}, nil, 1, "f32[2,3]"},
		{"range int", "Range", []operand{cs(10), cs(0), cs(-3)}, nil, 1, "i64[4]"},
		{"onehot", "OneHot", []operand{in(I64, sym("n")), cs(5), cf(0, 1)}, []Attr{{"axis", IntAttr(0)}}, 1, "f32[5,n]"},
		{"topk", "TopK", []operand{x, ci(5)}, nil, 2, "f32[batch,seq,5] i64[batch,seq,5]"},
		{"topk too large", "TopK", []operand{x, ci(13)}, nil, 2, "error: K 13"},
		{"depthtospace", "DepthToSpace", []operand{in(F32, sym(1, 8, 2, 3))}, []Attr{{"blocksize", IntAttr(2)}}, 1, "f32[1,2,4,6]"},
		{"spacetodepth", "SpaceToDepth", []operand{in(F32, sym(1, 2, 4, 6))}, []Attr{{"blocksize", IntAttr(2)}}, 1, "f32[1,8,2,3]"},
		{"resize scales", "Resize", []operand{in(F32, sym("n", 3, 10, 10)), none, cf(1, 1, 2, 0.5)}, nil, 1, "f32[n,3,20,5]"},
		{"resize sizes", "Resize", []operand{in(F32, sym("n", 3, 10, 10)), none, none, ci(1, 3, 7, 7)}, nil, 1, "f32[1,3,7,7]"},
		{"unique axis", "Unique", []operand{in(F32, sym(4, 3))}, []Attr{{"axis", IntAttr(0)}}, 4, "f32[?,3] i64[?] i64[4] i64[?]"},
		{"nonzero", "NonZero", []operand{x}, nil, 1, "i64[3,?]"},
		{"compress axis", "Compress", []operand{x, in(Bool, sym(3))}, []Attr{{"axis", IntAttr(1)}}, 1, "f32[batch,?,12]"},
		{"eyelike dtype", "EyeLike", []operand{in(F32, sym(3, 4))}, []Attr{{"dtype", DTypeAttr(I32)}}, 1, "i32[3,4]"},
		{"reshape bad count", "Reshape", []operand{in(F32, sym(2, 3)), ci(4, 2)}, nil, 1, "error: cannot reshape"},
		{"reshape allowzero", "Reshape", []operand{in(F32, sym(0, 3)), ci(3, 0)}, []Attr{{"allowzero", IntAttr(1)}}, 1, "f32[3,0]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := NewModule()
			f := m.NewFunc("main")
			var args []*Value
			for i, a := range c.args {
				switch {
				case a.absent:
					args = append(args, nil)
				case a.ints != nil:
					s := []int64{int64(len(a.ints))}
					if a.scal {
						s = nil
					}
					args = append(args, constI64(m, string(rune('a'+i)), s, a.ints...))
				case a.flts != nil:
					args = append(args, m.AddConst(string(rune('a'+i)), t32(F32, int64(len(a.flts))), &Constant{Bytes: bytesOf(a.flts)}))
				default:
					args = append(args, f.AddInput(string(rune('a'+i)), a.t))
				}
			}
			op, err := f.Body.Build(c.op, args, c.attrs, c.nres)
			if want, isErr := strings.CutPrefix(c.want, "error: "); isErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error %v, want one containing %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range op.Results {
				got = append(got, r.Type.String())
			}
			if g := strings.Join(got, " "); g != c.want {
				t.Errorf("got %s, want %s", g, c.want)
			}
		})
	}
}
