package ir

import (
	"encoding/binary"
	"math"
	"testing"
)

// constI64 adds an int64 constant of the given shape to m.
func constI64(m *Module, name string, shape []int64, vals ...int64) *Value {
	b := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	return m.AddConst(name, TensorType(I64, ShapeOf(shape...)), &Constant{Bytes: b})
}

func svBuild(t *testing.T, r *Region, name string, args []*Value, attrs ...Attr) *Value {
	t.Helper()
	op, err := r.Build(name, args, attrs, 1)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return op.Results[0]
}

// TestShapeChainReshape checks the exporters' pattern: the batch and seq
// dims read with Shape → Gather → Unsqueeze, joined with constants by
// Concat, give Reshape a result type with the symbolic dims.
func TestShapeChainReshape(t *testing.T) {
	m := NewModule()
	f := m.NewFunc("main")
	x := f.AddInput("x", TensorType(F32, Shape{Ranked: true, Dims: []Dim{Symbolic("batch"), Symbolic("seq"), Static(256)}}))
	r := f.Body
	shape := svBuild(t, r, "Shape", []*Value{x})
	axes := constI64(m, "axes", []int64{1}, 0)
	var parts []*Value
	for i := range 2 {
		idx := constI64(m, "i"+string(rune('0'+i)), nil, int64(i))
		g := svBuild(t, r, "Gather", []*Value{shape, idx}, Attr{"axis", IntAttr(0)})
		parts = append(parts, svBuild(t, r, "Unsqueeze", []*Value{g, axes}))
	}
	heads := constI64(m, "heads", []int64{2}, 4, -1)
	cat := svBuild(t, r, "Concat", append(parts, heads), Attr{"axis", IntAttr(0)})
	y := svBuild(t, r, "Reshape", []*Value{x, cat})
	if got, want := y.Type.String(), "f32[batch,seq,4,64]"; got != want {
		t.Errorf("Reshape result %s, want %s", got, want)
	}
	tr := svBuild(t, r, "Transpose", []*Value{y}, Attr{"perm", IntsAttr([]int64{0, 2, 1, 3})})
	if got, want := tr.Type.String(), "f32[batch,4,seq,64]"; got != want {
		t.Errorf("Transpose result %s, want %s", got, want)
	}
	// Back to [batch, seq, -1]: the symbolic dims cancel and -1 is 256.
	back := constI64(m, "back", []int64{3}, 0, 0, -1)
	z := svBuild(t, r, "Reshape", []*Value{y, back})
	if got, want := z.Type.String(), "f32[batch,seq,256]"; got != want {
		t.Errorf("Reshape back %s, want %s", got, want)
	}
	// Flattening the batch: [-1, 256] is the product of the symbols.
	flat := constI64(m, "flat", []int64{2}, -1, 256)
	w := svBuild(t, r, "Reshape", []*Value{x, flat})
	if got, want := w.Type.String(), "f32[batch*seq,256]"; got != want {
		t.Errorf("Reshape flat %s, want %s", got, want)
	}
	// A shape element read off an unknown dim is fixed by the count.
	u := f.AddInput("u", TensorType(F32, Shape{Ranked: true, Dims: []Dim{Unknown()}}))
	s := f.AddInput("s", TensorType(F32, ShapeOf(2, 3, 4)))
	g := svBuild(t, r, "Gather", []*Value{svBuild(t, r, "Shape", []*Value{u}), constI64(m, "zero", []int64{1}, 0)})
	four := constI64(m, "four", []int64{1}, 4)
	v := svBuild(t, r, "Reshape", []*Value{s, svBuild(t, r, "Concat", []*Value{g, four}, Attr{"axis", IntAttr(0)})})
	if got, want := v.Type.String(), "f32[6,4]"; got != want {
		t.Errorf("Reshape with a run-time element %s, want %s", got, want)
	}
	if err := Verify(m); err != nil {
		t.Fatal(err)
	}
}

func TestSliceLen(t *testing.T) {
	const big = int64(1) << 62
	for _, c := range []struct{ dim, start, end, step, want int64 }{
		{10, 0, 3, 1, 3},
		{10, -3, big, 1, 3},
		{10, 20, 1000, 1, 0},
		{10, -1, -big, -1, 10},
		{10, 8, 1, -2, 4}, // 8, 6, 4, 2
		{10, 0, -1, 1, 9},
		{10, 1000, 0, -1, 9},
		{3, 0, 3, 2, 2},
		{5, 0, 5, math.MaxInt64, 1},
		{5, -1, -6, math.MinInt64, 1},
	} {
		if got := SliceLen(c.dim, c.start, c.end, c.step); got != c.want {
			t.Errorf("SliceLen(%d, %d, %d, %d) = %d, want %d", c.dim, c.start, c.end, c.step, got, c.want)
		}
		idx, _ := SliceIndices(c.dim, c.start, c.end, c.step)
		if int64(len(idx)) != c.want {
			t.Errorf("SliceIndices(%d, %d, %d, %d) has %d indices, want %d", c.dim, c.start, c.end, c.step, len(idx), c.want)
		}
	}
}
