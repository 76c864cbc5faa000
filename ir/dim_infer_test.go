package ir

import (
	"strings"
	"testing"
)

// shapeOf parses "[n,3,(h+1)/2]" into a shape.
func shapeOf(t *testing.T, s string) Shape {
	t.Helper()
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	out := Shape{Ranked: true, Dims: []Dim{}}
	if s == "" {
		return out
	}
	for _, part := range strings.Split(s, ",") {
		out.Dims = append(out.Dims, mustDim(t, part))
	}
	return out
}

// TestInferDimExpressions checks that inference carries dim expressions
// through the ops that exporters put between a model's inputs and its
// dynamic dims. Expected types are worked out by hand from the ONNX
// formulas (e.g. a stride-2 3x3 conv with pads 1: floor((h+2-3)/2)+1).
func TestInferDimExpressions(t *testing.T) {
	type arg struct {
		shape string  // an f32 input of this shape, or
		ints  []int64 // an i64 constant vector
		fl    []float32
	}
	in := func(s string) arg { return arg{shape: s} }
	ci := func(v ...int64) arg { return arg{ints: v} }
	cf := func(v ...float32) arg { return arg{fl: v} }
	attrs := func(kv ...any) []Attr {
		var out []Attr
		for i := 0; i < len(kv); i += 2 {
			var v AttrValue
			switch x := kv[i+1].(type) {
			case int:
				v = IntAttr(int64(x))
			case []int64:
				v = IntsAttr(x)
			case string:
				v = StringAttr(x)
			}
			out = append(out, Attr{Name: kv[i].(string), Value: v})
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		op    string
		args  []arg
		attrs []Attr
		nres  int
		want  string
	}{
		{"conv stride 2", "Conv", []arg{in("[n,3,h,w]"), in("[8,3,3,3]")},
			attrs("kernel_shape", []int64{3, 3}, "pads", []int64{1, 1, 1, 1}, "strides", []int64{2, 2}), 1, "f32[n,8,(h+1)/2,(w+1)/2]"},
		{"conv valid", "Conv", []arg{in("[n,3,h,w]"), in("[8,3,5,5]")},
			attrs("kernel_shape", []int64{5, 5}), 1, "f32[n,8,h-4,w-4]"},
		{"conv same upper stride 2", "Conv", []arg{in("[n,3,h,w]"), in("[8,3,3,3]")},
			attrs("auto_pad", "SAME_UPPER", "kernel_shape", []int64{3, 3}, "strides", []int64{2, 2}), 1, "f32[n,8,(h+1)/2,(w+1)/2]"},
		{"conv of a conv", "Conv", []arg{in("[n,3,(h+1)/2,w]"), in("[8,3,3,3]")},
			attrs("kernel_shape", []int64{3, 3}, "pads", []int64{1, 1, 1, 1}, "strides", []int64{2, 1}), 1, "f32[n,8,(h+3)/4,w]"},
		{"maxpool ceil", "MaxPool", []arg{in("[n,3,h,w]")},
			attrs("ceil_mode", 1, "kernel_shape", []int64{2, 2}, "strides", []int64{2, 2}), 1, "f32[n,3,(h+1)/2,(w+1)/2]"},
		{"maxpool ceil may drop a window", "MaxPool", []arg{in("[n,3,h,w]")},
			attrs("ceil_mode", 1, "kernel_shape", []int64{1, 1}, "strides", []int64{2, 2}), 1, "f32[n,3,?,?]"},
		{"conv transpose stride 2", "ConvTranspose", []arg{in("[n,4,h,w]"), in("[4,2,2,2]")},
			attrs("kernel_shape", []int64{2, 2}, "strides", []int64{2, 2}), 1, "f32[n,2,2*h,2*w]"},
		{"conv transpose pads", "ConvTranspose", []arg{in("[n,4,h,w]"), in("[4,2,3,3]")},
			attrs("kernel_shape", []int64{3, 3}, "pads", []int64{1, 1, 1, 1}, "strides", []int64{2, 2}), 1, "f32[n,2,2*h-1,2*w-1]"},
		{"pad", "Pad", []arg{in("[n,h]"), ci(0, 1, 0, 2)}, nil, 1, "f32[n,h+3]"},
		{"resize x2", "Resize", []arg{in("[n,c,h,w]"), {}, cf(1, 1, 2, 2)}, attrs("mode", "nearest"), 1, "f32[n,c,2*h,2*w]"},
		{"resize half", "Resize", []arg{in("[n,c,h,w]"), {}, cf(1, 1, 0.5, 0.5)}, attrs("mode", "nearest"), 1, "f32[n,c,h/2,w/2]"},
		{"resize third", "Resize", []arg{in("[n,c,h,w]"), {}, cf(1, 1, 1.0/3, 1)}, attrs("mode", "nearest"), 1, "f32[n,c,?,w]"},
		{"tile", "Tile", []arg{in("[n,h]"), ci(1, 3)}, nil, 1, "f32[n,3*h]"},
		{"split exact", "Split", []arg{in("[n,2*seq]")}, attrs("axis", 1), 2, "f32[n,seq] f32[n,seq]"},
		{"split inexact", "Split", []arg{in("[n,seq]")}, attrs("axis", 1), 2, "f32[n,?] f32[n,?]"},
		{"slice step 2", "Slice", []arg{in("[n,h]"), ci(0), ci(1 << 62), ci(1), ci(2)}, nil, 1, "f32[n,(h+1)/2]"},
		{"slice from 1 of a dim that may be 0", "Slice", []arg{in("[n,h]"), ci(1), ci(1 << 62), ci(1)}, nil, 1, "f32[n,?]"},
		{"slice from 1 of a dim of at least 1", "Slice", []arg{in("[n,h+1]"), ci(1), ci(1 << 62), ci(1)}, nil, 1, "f32[n,h]"},
		{"slice last of h+2", "Slice", []arg{in("[n,h+2]"), ci(-1), ci(1 << 62), ci(1)}, nil, 1, "f32[n,1]"},
		{"broadcast equal expressions", "Add", []arg{in("[n,h+1]"), in("[n,h+1]")}, nil, 1, "f32[n,h+1]"},
		{"broadcast expression at least 2", "Add", []arg{in("[n,h+2]"), in("[n,w]")}, nil, 1, "f32[n,h+2]"},
		{"broadcast different expressions", "Add", []arg{in("[n,h]"), in("[n,w]")}, nil, 1, "f32[n,?]"},
		{"flatten", "Flatten", []arg{in("[n,(h+1)/2,4]")}, attrs("axis", 1), 1, "f32[n,4*((h+1)/2)]"},
		{"reshape -1 cancels an expression", "Reshape", []arg{in("[n,past+seq,32]"), ci(0, 0, 4, -1)}, nil, 1, "f32[n,past+seq,4,8]"},
		{"reshape -1 divides a product", "Reshape", []arg{in("[n,past+seq,32]"), ci(-1, 8)}, nil, 1, "f32[4*n*past+4*n*seq,8]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewModule()
			f := m.NewFunc("main")
			var args []*Value
			for i, a := range tc.args {
				name := string(rune('a' + i))
				switch {
				case a.ints != nil:
					args = append(args, constI64(m, name, []int64{int64(len(a.ints))}, a.ints...))
				case a.fl != nil:
					args = append(args, m.AddConst(name, t32(F32, int64(len(a.fl))), &Constant{Bytes: bytesOf(a.fl)}))
				case a.shape != "":
					args = append(args, f.AddInput(name, TensorType(F32, shapeOf(t, a.shape))))
				default:
					args = append(args, nil)
				}
			}
			op, err := f.Body.Build(tc.op, args, tc.attrs, tc.nres)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range op.Results {
				got = append(got, r.Type.String())
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("got %s, want %s", g, tc.want)
			}
		})
	}
}

// TestShapeValueHooks checks the shape-value evaluator through the ops'
// hooks: each case builds a small integer computation on x : f32[2,n,h]
// and compares ShapeValue's elements (worked out by hand).
func TestShapeValueHooks(t *testing.T) {
	m := NewModule()
	f := m.NewFunc("main")
	r := f.Body
	x := f.AddInput("x", TensorType(F32, shapeOf(t, "[2,n,h]")))
	shape := svBuild(t, r, "Shape", []*Value{x})
	dim := func(i int64) *Value {
		return svBuild(t, r, "Gather", []*Value{shape, constI64(m, "i"+string(rune('0'+i)), nil, i)}, Attr{"axis", IntAttr(0)})
	}
	two, n, h := dim(0), dim(1), dim(2)
	c := func(name string, v ...int64) *Value { return constI64(m, name, nil, v...) }
	// The torch pad idiom: a flat list reshaped to [2,2], rows reversed,
	// transposed and flattened: [1,2,3,4] → [[3,4],[1,2]] → [[3,1],[4,2]].
	pads := constI64(m, "pads", []int64{4}, 1, 2, 3, 4)
	m22 := svBuild(t, r, "Reshape", []*Value{pads, constI64(m, "s22", []int64{2}, 2, 2)})
	rev := svBuild(t, r, "Slice", []*Value{m22, constI64(m, "st", []int64{1}, -1), constI64(m, "en", []int64{1}, -1<<62), constI64(m, "ax", []int64{1}, 0), constI64(m, "sp", []int64{1}, -1)})
	tr := svBuild(t, r, "Transpose", []*Value{rev}, Attr{"perm", IntsAttr([]int64{1, 0})})
	flat := svBuild(t, r, "Reshape", []*Value{tr, constI64(m, "s4", []int64{1}, -1)})
	for _, tc := range []struct {
		name string
		v    *Value
		want string
	}{
		{"shape", shape, "[2,n,h]"},
		{"size", svBuild(t, r, "Size", []*Value{x}), "[2*h*n]"},
		{"add", svBuild(t, r, "Add", []*Value{n, h}), "[h+n]"},
		{"mul", svBuild(t, r, "Mul", []*Value{n, c("k3", 3)}), "[3*n]"},
		{"div floors a nonnegative dividend", svBuild(t, r, "Div", []*Value{svBuild(t, r, "Add", []*Value{h, c("k1", 1)}), c("k2", 2)}), "[(h+1)/2]"},
		{"div of a maybe-negative dividend", svBuild(t, r, "Div", []*Value{svBuild(t, r, "Sub", []*Value{h, c("k5", 5)}), c("k2b", 2)}), "[?]"},
		{"div exact", svBuild(t, r, "Div", []*Value{svBuild(t, r, "Mul", []*Value{n, h}), h}), "[n]"},
		{"div constants truncate", svBuild(t, r, "Div", []*Value{c("km7", -7), c("k2c", 2)}), "[-3]"},
		{"neg", svBuild(t, r, "Neg", []*Value{n}), "[-n]"},
		{"equal to -1", svBuild(t, r, "Equal", []*Value{n, c("km1", -1)}), "[0]"},
		{"equal to itself", svBuild(t, r, "Equal", []*Value{n, n}), "[1]"},
		{"equal undecided", svBuild(t, r, "Equal", []*Value{n, h}), "[?]"},
		{"cast of 2 to bool", svBuild(t, r, "Cast", []*Value{two}, Attr{"to", DTypeAttr(Bool)}), "[1]"},
		{"cast of n to bool", svBuild(t, r, "Cast", []*Value{n}, Attr{"to", DTypeAttr(Bool)}), "[?]"},
		{"not", svBuild(t, r, "Not", []*Value{svBuild(t, r, "Equal", []*Value{n, n})}), "[0]"},
		{"max decided", svBuild(t, r, "Max", []*Value{svBuild(t, r, "Add", []*Value{n, c("k1b", 1)}), n}), "[n+1]"},
		{"max undecided", svBuild(t, r, "Max", []*Value{n, h}), "[?]"},
		{"torch pads", flat, "[3,1,4,2]"},
	} {
		elems, ok := ShapeValue(tc.v)
		if !ok {
			t.Errorf("%s: not evaluated", tc.name)
			continue
		}
		var parts []string
		for _, e := range elems {
			parts = append(parts, e.String())
		}
		if got := "[" + strings.Join(parts, ",") + "]"; got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
	// Range over shape values: Range(n, n+h, 1) has h elements.
	end := svBuild(t, r, "Add", []*Value{n, h})
	rg := svBuild(t, r, "Range", []*Value{n, end, c("one", 1)})
	if got := rg.Type.String(); got != "i64[h]" {
		t.Errorf("Range(n, n+h, 1) : %s, want i64[h]", got)
	}
	// OneHot's depth read off a shape.
	idx := f.AddInput("idx", TensorType(I64, shapeOf(t, "[k]")))
	oh := svBuild(t, r, "OneHot", []*Value{idx, h, constI64(m, "onoff", []int64{2}, 0, 1)})
	if got := oh.Type.String(); got != "i64[k,h]" {
		t.Errorf("OneHot depth h: %s, want i64[k,h]", got)
	}
}
