package compiled

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// seqModules are small modules of the sequence and optional ops, built
// into one program by TestCompiledSequences.
var seqModules = map[string]string{
	// Insert at a run-time position, then read the sequence every way.
	"ops": `const @last : i64[] = -1

func @main(%s: seq<f32[?,3]>, %x: f32[2,3], %p: i64[], %q: i64[]) -> ("ins": seq<f32[?,3]>, "at": f32[?,3], "len": i64[], "erased": seq<f32[?,3]>, "cat": f32[?,3], "first": f32[2,3]) {
  %ins = SequenceInsert(%s, %x, %p) : seq<f32[?,3]>
  %at = SequenceAt(%ins, %q) : f32[?,3]
  %len = SequenceLength(%ins) : i64[]
  %erased = SequenceErase(%ins, %q) : seq<f32[?,3]>
  %cat = ConcatFromSequence(%ins) {axis = 0} : f32[?,3]
  %c = SequenceConstruct(%x, %x) : seq<f32[2,3]>
  %first = SequenceAt(%c, @last) : f32[2,3]
  return %ins, %at, %len, %erased, %cat, %first
}
`,
	// Split by sizes and into single rows, stack back along a new axis.
	"split": `func @main(%x: i64[4,3], %sizes: i64[2]) -> ("parts": seq<i64[?,3]>, "rows": seq<i64[3]>, "stacked": i64[3,4], "n": i64[]) {
  %parts = SplitToSequence(%x, %sizes) : seq<i64[?,3]>
  %rows = SplitToSequence(%x) {keepdims = 0} : seq<i64[3]>
  %stacked = ConcatFromSequence(%rows) {axis = -1, new_axis = 1} : i64[3,4]
  %n = SequenceLength(%parts) : i64[]
  return %parts, %rows, %stacked, %n
}
`,
	// Optionals of a tensor and of a sequence, given and made.
	"optional": `func @main(%o: opt<f32[2]>, %os: opt<seq<i32[?]>>) -> ("has": bool[], "hass": bool[], "val": f32[2], "seq": seq<i32[?]>, "made": opt<f32[2]>, "none": opt<seq<i32[?]>>, "n": i64[]) {
  %has = OptionalHasElement(%o) : bool[]
  %hass = OptionalHasElement(%os) : bool[]
  %val = OptionalGetElement(%o) : f32[2]
  %seq = OptionalGetElement(%os) : seq<i32[?]>
  %made = Optional(%val) : opt<f32[2]>
  %none = Optional() {type = seq<i32[?]>} : opt<seq<i32[?]>>
  %plain = OptionalGetElement(%seq) : seq<i32[?]>
  %n = SequenceLength(%plain) : i64[]
  return %has, %hass, %val, %seq, %made, %none, %n
}
`,
	// A SequenceMap body on items of different shapes: broadcast against
	// a tensor, compared, and its shape taken.
	"map": `func @main(%s: seq<f32[?,?]>, %b: f32[1]) -> ("sum": seq<f32[?,?]>, "less": seq<bool[?,?]>, "shapes": seq<i64[2]>) {
  %sum, %less, %shapes = SequenceMap(%s, %b) : seq<f32[?,?]>, seq<bool[?,?]>, seq<i64[2]> {
    body(%x: f32[?,?], %y: f32[1]) {
      %a = Add(%x, %y) : f32[?,?]
      %l = Less(%x, %y) : bool[?,?]
      %sh = Shape(%x) : i64[2]
      return %a, %l, %sh
    }
  }
  return %sum, %less, %shapes
}
`,
}

// TestCompiledSequences builds seqModules into one program and runs each
// on inputs that reach every path, comparing every output with the
// interpreter's; inputs the ops refuse (positions out of range, an empty
// optional read, items of the wrong shape) must make both fail, the
// compiled program with the generated package's message.
func TestCompiledSequences(t *testing.T) {
	needGo(t)
	var units []Unit
	mods := map[string]*ir.Module{}
	for name, src := range seqModules {
		m, err := ir.Parse(name+".kir", []byte(src), ir.ParseOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		mods[name] = m
		units = append(units, Unit{Name: name, Module: m})
	}
	p, errs, err := BuildSet(context.Background(), units, Options{CacheDir: t.TempDir(), KilnVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for name, e := range errs {
		t.Fatalf("unit %s refused: %v", name, e)
	}
	f32 := func(shape []int, v ...float32) *tensor.Tensor { return tensor.FromSlice(shape, v) }
	i64 := func(shape []int, v ...int64) *tensor.Tensor { return tensor.FromSlice(shape, v) }
	i32 := func(shape []int, v ...int32) *tensor.Tensor { return tensor.FromSlice(shape, v) }
	seq := func(elem ir.Type, items ...tensor.Value) *tensor.Sequence {
		return &tensor.Sequence{Elem: elem, Items: append([]tensor.Value{}, items...)}
	}
	rows3 := ir.TensorType(ir.F32, ir.Shape{Ranked: true, Dims: []ir.Dim{ir.Unknown(), ir.Static(3)}})
	ints := ir.TensorType(ir.I32, ir.Shape{Ranked: true, Dims: []ir.Dim{ir.Unknown()}})
	mat := ir.TensorType(ir.F32, ir.Shape{Ranked: true, Dims: []ir.Dim{ir.Unknown(), ir.Unknown()}})
	s3 := seq(rows3, f32([]int{1, 3}, 1, 2, 3), f32([]int{3, 3}, 4, 5, 6, 7, 8, 9, 10, 11, 12))
	x := f32([]int{2, 3}, -1, -2, -3, -4, -5, -6)
	cases := []struct {
		unit    string
		in      []tensor.Value
		wantErr string // the compiled program's error, when the op fails
	}{
		{"ops", []tensor.Value{s3, x, tensor.Scalar(int64(1)), tensor.Scalar(int64(-1))}, ""},
		{"ops", []tensor.Value{s3, x, tensor.Scalar(int64(-2)), tensor.Scalar(int64(0))}, ""},
		{"ops", []tensor.Value{s3, x, tensor.Scalar(int64(2)), tensor.Scalar(int64(2))}, ""},
		{"ops", []tensor.Value{seq(rows3), x, tensor.Scalar(int64(0)), tensor.Scalar(int64(0))}, ""},
		{"ops", []tensor.Value{s3, x, tensor.Scalar(int64(3)), tensor.Scalar(int64(0))}, "position 3 out of range for a sequence of 2"},
		{"ops", []tensor.Value{s3, x, tensor.Scalar(int64(0)), tensor.Scalar(int64(-4))}, "position -4 out of range for a sequence of 3"},
		{"ops", []tensor.Value{seq(rows3, f32([]int{1, 2}, 1, 2)), x, tensor.Scalar(int64(0)), tensor.Scalar(int64(0))}, `input "s[0]": shape [1 2], want [1 3]`},
		{"split", []tensor.Value{i64([]int{4, 3}, 0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32), i64([]int{2}, 1, 3)}, ""},
		{"split", []tensor.Value{i64([]int{4, 3}, 0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32), i64([]int{2}, 0, 4)}, ""},
		{"split", []tensor.Value{i64([]int{4, 3}, 0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32), i64([]int{2}, 2, 3)}, "split sizes [2 3] sum to 5, the axis has 4"},
		{"optional", []tensor.Value{&tensor.Optional{Elem: ir.TensorType(ir.F32, ir.ShapeOf(2)), Value: f32([]int{2}, 7, 8)}, &tensor.Optional{Elem: ir.SequenceOf(ints), Value: seq(ints, i32([]int{2}, 1, 2), i32([]int{0}))}}, ""},
		{"optional", []tensor.Value{&tensor.Optional{Elem: ir.TensorType(ir.F32, ir.ShapeOf(2))}, &tensor.Optional{Elem: ir.SequenceOf(ints), Value: seq(ints)}}, "the optional is empty"},
		{"map", []tensor.Value{seq(mat, f32([]int{2, 2}, 1, 2, 3, 4), f32([]int{1, 3}, 5, -6, 7), f32([]int{0, 4})), f32([]int{1}, 2.5)}, ""},
		{"map", []tensor.Value{seq(mat), f32([]int{1}, 2.5)}, ""},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%d_%s", i, c.unit), func(t *testing.T) {
			m := mods[c.unit]
			f := m.Funcs[0]
			feeds := map[string]interp.Value{}
			for j, n := range f.InputNames {
				feeds[n] = c.in[j]
			}
			want, refErr := interp.New(m, interp.Options{}).RunNamed("main", feeds)
			var types []ir.Type
			for _, r := range f.Body.Results {
				types = append(types, r.Type)
			}
			if _, err := BindValueDims(m, f, c.in, nil); err != nil && c.wantErr == "" {
				t.Fatal(err)
			}
			got, err := p.RunValues(context.Background(), c.unit, c.in, types, nil)
			if c.wantErr != "" {
				if refErr == nil {
					t.Errorf("the interpreter runs the case the compiled program should refuse")
				}
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if refErr != nil {
				t.Fatalf("interpreter: %v", refErr)
			}
			if err != nil {
				t.Fatal(err)
			}
			for j := range want {
				if g, w := valueText(got[j]), valueText(want[j]); g != w {
					t.Errorf("output %q: got %s, want %s", f.OutputNames[j], g, w)
				}
			}
		})
	}
}

// valueText spells a value exactly: its kind, each tensor's dtype, shape
// and elements.
func valueText(v tensor.Value) string {
	switch x := v.(type) {
	case *tensor.Tensor:
		if x == nil {
			return "nil"
		}
		data := reflect.ValueOf(x.Data)
		elems := make([]string, data.Len())
		for i := range elems {
			elems[i] = fmt.Sprint(data.Index(i).Interface())
		}
		return fmt.Sprintf("%v%v{%s}", x.DType, x.Shape, strings.Join(elems, " "))
	case *tensor.Sequence:
		items := make([]string, len(x.Items))
		for i, it := range x.Items {
			items[i] = valueText(it)
		}
		return "seq(" + strings.Join(items, ", ") + ")"
	case *tensor.Optional:
		if x.Value == nil {
			return "none"
		}
		return "some(" + valueText(x.Value) + ")"
	}
	return fmt.Sprintf("%T", v)
}
