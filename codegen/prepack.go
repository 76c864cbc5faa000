package codegen

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/codegen/kernels"
	"github.com/kiln-ml/kiln/ir"
)

// weightPack says how a kernel wants a constant operand laid out in the
// weights blob: rearranged at compile time (into the panel layout the
// GEMM reads) so that Run never packs it.
type weightPack struct {
	// layout names the arrangement, for the manifest and comments; two
	// operands with the same constant and layout share one weight.
	layout string
	// n is the packed length in elements.
	n int
	// pack rearranges the constant's elements.
	pack func([]float32) []float32
}

// constF32 returns the elements of an f32 constant of n elements, or false
// when v is not one.
func constF32(v *ir.Value, n int) ([]float32, bool) {
	if !v.IsConst() || v.Type.DType != ir.F32 || len(v.Const.Bytes) != 4*n {
		return nil, false
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(v.Const.Bytes[4*i:]))
	}
	return out, true
}

// throughViews returns the value v views (through Reshape, Unsqueeze and
// the other View ops, which keep the elements' order), or v: a constant
// seen through the views a lowering put on it can still be stored packed.
func throughViews(v *ir.Value) *ir.Value {
	for v != nil && v.Def != nil && isView(v.Def) {
		v = v.Def.Args[0]
	}
	return v
}

// packA is the layout of a constant holding groups matrices A, each m×k
// and stored row-major one after the other (a Conv's weights), each packed
// by t.PackA; group g's panels start at g·t.PackedLenA(m, k).
func packA(t kernels.Tile, groups, m, k int) weightPack {
	per := t.PackedLenA(m, k)
	return weightPack{
		layout: fmt.Sprintf("gemm A panels of %d rows: %d×[%d×%d]", t.Rows, groups, m, k),
		n:      groups * per,
		pack: func(w []float32) []float32 {
			out := make([]float32, 0, groups*per)
			for g := 0; g < groups; g++ {
				out = append(out, t.PackA(m, k, w[g*m*k:], k, 1)...)
			}
			return out
		},
	}
}

// packB is the layout of a constant k×n matrix B (element [p][j] at
// p·rs+j·cs) packed by t.PackB.
func packB(t kernels.Tile, k, n, rs, cs int) weightPack {
	return weightPack{
		layout: fmt.Sprintf("gemm B panels of %d columns: [%d×%d] strides %d,%d", t.Cols, k, n, rs, cs),
		n:      t.PackedLenB(k, n),
		pack:   func(w []float32) []float32 { return t.PackB(k, n, w, rs, cs) },
	}
}

// packedWeight returns the weight holding constant v rearranged by p,
// shared by every kernel that asks for the same constant and layout.
func (g *graph) packedWeight(v *ir.Value, p weightPack) (*val, error) {
	key := fmt.Sprintf("%p\x00%s", v, p.layout)
	if x, ok := g.packedW[key]; ok {
		return x, nil
	}
	x := &val{v: v, dtype: ir.F32, name: fmt.Sprintf("v%d", g.nextVar), where: inWeight}
	g.nextVar++
	x.root = x
	shape, err := g.evalShape(v.Type.Shape)
	if err != nil {
		return nil, fmt.Errorf("constant @%s %v", v.Const.Name, err)
	}
	x.shape = shape
	src, ok := constF32(v, numel(shape))
	if !ok {
		return nil, fmt.Errorf("internal error: constant @%s is not an f32 tensor of shape %v", v.Const.Name, shape)
	}
	packed := p.pack(src)
	x.packed = make([]byte, 4*len(packed))
	for i, f := range packed {
		binary.LittleEndian.PutUint32(x.packed[4*i:], math.Float32bits(f))
	}
	x.layout = p.layout
	x.n = len(packed)
	if x.n != p.n {
		return nil, fmt.Errorf("internal error: constant @%s packs into %d elements, want %d", v.Const.Name, x.n, p.n)
	}
	for _, w := range g.weights {
		if w.dtype == x.dtype {
			x.index++
		}
	}
	g.weights = append(g.weights, x)
	if g.packedW == nil {
		g.packedW = map[string]*val{}
	}
	g.packedW[key] = x
	return x, nil
}

// weightBytes is the little-endian bytes of weight w as the blob stores it.
func (w *val) weightBytes() []byte {
	if w.packed == nil {
		return w.v.Const.Bytes
	}
	return w.packed
}
