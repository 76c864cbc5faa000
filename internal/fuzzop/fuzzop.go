// Package fuzzop builds the inputs of the per-op fuzzers: a module with
// one op of a fuzzer-chosen type, fuzzer-chosen operand counts, element
// types, small shapes and attribute values (hostile ones included), and
// input tensors for it. The interpreter's FuzzOp runs such modules and
// codegen's FuzzCompile compiles them; both must refuse bad ones with an
// error, never panic.
package fuzzop

import (
	"fmt"
	"math"
	"strings"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// NewReader returns a Reader over the fuzz input b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Ops returns the ops a single node can exercise: every declared op
// except those with regions, whose bodies a byte string cannot sensibly
// describe (the control-flow tests and the parser fuzzer cover them).
func Ops() []*ir.OpDef {
	var out []*ir.OpDef
	for _, d := range ir.Ops() {
		if len(d.Regions) == 0 {
			out = append(out, d)
		}
	}
	return out
}

// Reader hands out the fuzz input a byte at a time, then zeros.
type Reader struct {
	b []byte
	i int
}

func (r *Reader) byte() byte {
	if r.i >= len(r.b) {
		return 0
	}
	c := r.b[r.i]
	r.i++
	return c
}

// fuzzDTypes are the element types operands are drawn from.
var fuzzDTypes = []ir.DType{ir.F32, ir.I64, ir.Bool, ir.I32, ir.F16, ir.U8, ir.F64, ir.String,
	ir.F8E4M3FN, ir.F8E4M3FNUZ, ir.F8E5M2, ir.F8E5M2FNUZ, ir.I4, ir.U4, ir.F4E2M1,
	ir.Q8_0, ir.Q4_K, ir.Q6_K}

// fuzzInts are the integer attribute values drawn: ordinary ones and the
// ones that break size arithmetic.
var fuzzInts = []int64{0, 1, 2, 3, -1, -2, 4, 1 << 31, 1 << 32, math.MaxInt64, math.MinInt64, 1 << 62, -(1 << 62), 5, 7, 64}

var fuzzFloats = []float32{0, 1, 0.5, -1, 1e-6, 1e30, float32(math.Inf(1)), float32(math.NaN()), -0.5, 2}

var fuzzStrings = []string{"", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "linear", "nearest", "cubic", "constant", "reflect", "edge", "forward", "reverse", "bidirectional", "half_pixel", "asymmetric", "align_corners", "none", "mean", "sum", "DCR", "CRD", "floor", "round_prefer_floor", "xyz"}

// Build makes a module with one function that applies one op of
// type d to fuzzer-chosen inputs, and returns it with the inputs' values.
func Build(d *ir.OpDef, r *Reader) (*ir.Module, []tensor.Value, error) {
	lo, hi := ir.Arity(d.Inputs)
	if hi < 0 {
		hi = lo + 3
	}
	n := lo
	if span := hi - lo + 2; span > 0 {
		n = lo - 1 + int(r.byte())%span // one fewer than needed up to one more
	}
	n = max(n, 0)
	m := ir.NewModule()
	f := m.NewFunc("main")
	var args []*ir.Value
	var vals []tensor.Value
	for i := 0; i < n; i++ {
		c := r.byte()
		if c%11 == 10 { // an absent operand
			args = append(args, nil)
			continue
		}
		dt := fuzzDTypes[int(c)%len(fuzzDTypes)]
		rank := int(r.byte()) % 5
		shape := make([]int, rank)
		for j := range shape {
			shape[j] = int(r.byte()) % 5
		}
		if info := dt.Info(); info.BlockLen > 1 {
			// ggml block types live only in constants (the GGUF lift's
			// weights): 0 to 2 blocks of random bytes, scales included,
			// along the innermost dim.
			if rank == 0 {
				shape = []int{1}
			}
			shape[len(shape)-1] = info.BlockLen * (shape[len(shape)-1] % 3)
			dims := make([]int64, len(shape))
			elems := 1
			for j, x := range shape {
				dims[j] = int64(x)
				elems *= x
			}
			b := make([]byte, elems/info.BlockLen*info.BlockBytes)
			for j := range b {
				b[j] = r.byte()
			}
			args = append(args, m.AddConst(fmt.Sprintf("blocks%d", i), ir.TensorType(dt, ir.ShapeOf(dims...)), &ir.Constant{Bytes: b}))
			continue
		}
		t := tensor.New(dt, shape)
		fillFuzzTensor(t, r)
		args = append(args, f.AddInput(string(rune('a'+i)), t.Type()))
		vals = append(vals, t)
	}
	var attrs []ir.Attr
	for _, ad := range d.Attrs {
		c := r.byte()
		if c%3 == 0 && !ad.Required {
			continue // leave it to its default
		}
		v, ok := fuzzAttr(ad.Kind, r)
		if !ok {
			continue
		}
		attrs = append(attrs, ir.Attr{Name: ad.Name, Value: v})
	}
	rmin, rmax := ir.Arity(d.Outputs)
	if rmax < 0 {
		rmax = rmin + 2
	}
	nres := max(1, rmin)
	if rmax > rmin {
		nres = max(1, rmin+int(r.byte())%(rmax-rmin+1))
	}
	op, err := buildRecovered(f, d.Name, args, attrs, nres)
	if err != nil {
		return nil, nil, err
	}
	for i, res := range op.Results {
		f.AddOutput(string(rune('x'+i)), res)
	}
	if err := verifyRecovered(m); err != nil {
		return nil, nil, err
	}
	return m, vals, nil
}

// buildRecovered is Region.Build with a panic turned into an error that
// says so, for the caller to report as a crash.
func buildRecovered(f *ir.Func, name string, args []*ir.Value, attrs []ir.Attr, nres int) (op *ir.Op, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &Panic{p}
		}
	}()
	return f.Body.Build(name, args, attrs, nres)
}

func verifyRecovered(m *ir.Module) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &Panic{p}
		}
	}()
	return ir.Verify(m)
}

// Panic is the error Build returns when building or verifying the op
// panicked: a crash the fuzzer reports.
type Panic struct{ v any }

func (p *Panic) Error() string {
	return "panic: " + strings.TrimSpace(strings.ReplaceAll(toString(p.v), "\n", " "))
}

func toString(v any) string {
	if e, ok := v.(error); ok {
		return e.Error()
	}
	if s, ok := v.(string); ok {
		return s
	}
	return "non-string panic value"
}

func fuzzAttr(k ir.AttrKind, r *Reader) (ir.AttrValue, bool) {
	pickInt := func() int64 { return fuzzInts[int(r.byte())%len(fuzzInts)] }
	pickFloat := func() float32 { return fuzzFloats[int(r.byte())%len(fuzzFloats)] }
	pickString := func() string { return fuzzStrings[int(r.byte())%len(fuzzStrings)] }
	switch k {
	case ir.AttrInt:
		return ir.IntAttr(pickInt()), true
	case ir.AttrFloat:
		return ir.FloatAttr(pickFloat()), true
	case ir.AttrString:
		return ir.StringAttr(pickString()), true
	case ir.AttrInts:
		v := make([]int64, int(r.byte())%9)
		for i := range v {
			v[i] = pickInt()
		}
		return ir.IntsAttr(v), true
	case ir.AttrFloats:
		v := make([]float32, int(r.byte())%9)
		for i := range v {
			v[i] = pickFloat()
		}
		return ir.FloatsAttr(v), true
	case ir.AttrStrings:
		v := make([]string, int(r.byte())%5)
		for i := range v {
			v[i] = pickString()
		}
		return ir.StringsAttr(v), true
	case ir.AttrDType:
		return ir.DTypeAttr(fuzzDTypes[int(r.byte())%len(fuzzDTypes)]), true
	}
	return ir.AttrValue{}, false // tensor and type attributes need a module constant or a type
}

// fillFuzzTensor fills t with small values the fuzzer picks (indices,
// shapes and axes read from data must meet both sensible and hostile ones).
func fillFuzzTensor(t *tensor.Tensor, r *Reader) {
	switch d := t.Data.(type) {
	case []float32:
		for i := range d {
			d[i] = fuzzFloats[int(r.byte())%len(fuzzFloats)]
		}
	case []float64:
		for i := range d {
			d[i] = float64(fuzzFloats[int(r.byte())%len(fuzzFloats)])
		}
	case []int64:
		for i := range d {
			d[i] = fuzzInts[int(r.byte())%len(fuzzInts)]
		}
	case []int32:
		for i := range d {
			d[i] = int32(int8(r.byte()))
		}
	case []uint8:
		for i := range d {
			d[i] = r.byte()
			if t.DType.IsPacked() {
				d[i] &= 0xf // u4 and f4e2m1 hold 4-bit codes
			}
		}
	case []int8: // i4
		for i := range d {
			d[i] = int8(r.byte()) >> 4
		}
	case []bool:
		for i := range d {
			d[i] = r.byte()%2 == 1
		}
	case []string:
		for i := range d {
			d[i] = fuzzStrings[int(r.byte())%len(fuzzStrings)]
		}
	}
}
