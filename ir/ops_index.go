package ir

import (
	"fmt"
	"math"
	"math/big"
)

// Indexing ops: slicing, gathers and scatters, selection by condition,
// sorting-based selection (TopK, Unique), and tensors made from indices
// (Range, OneHot, EyeLike, Trilu's mask).
// scatterReduction declares the reduction of ScatterElements-16 and
// ScatterND-16 (max and min arrived in opset 18).
// scatterReduction is ScatterElements' and ScatterND's reduction: add and
// mul from opset 16, max and min from 18 (the importer refuses those two
// at older opsets).
func scatterReduction() AttrDef {
	return AEnum("reduction", "none", "none", "add", "mul", "max", "min")
}

func init() {
	Register(&OpDef{
		Name: "Slice", Doc: "data[starts:ends:steps] along axes (defaults: all axes, step 1), bounds clamped",
		Kind: Injective, Inputs: []Operand{Req("data:T"), Req("starts:Tind"), Req("ends:Tind"), Opt("axes:Tind"), Opt("steps:Tind")},
		Outputs: In("output:T"),
		Types:   []TypeConstraint{TC("T", AllTypes), TC("Tind", IndexTypes)},
		Infer:   inferSlice, ShapeValue: shapeValueSlice,
	})
	Register(&OpDef{
		Name: "Gather", Doc: "selects slices of data along axis by indices (negative indices count from the back)",
		Kind: Injective, Inputs: In("data:T", "indices:Tind"), Outputs: In("output:T"),
		Types: []TypeConstraint{TC("T", AllTypes), TC("Tind", IndexTypes)},
		Attrs: []AttrDef{AInt("axis", 0)},
		Infer: inferGather, ShapeValue: shapeValueGather,
	})
	Register(&OpDef{
		Name: "GatherElements", Doc: "output[i][j][k] = data[index][j][k] with index = indices[i][j][k] on axis",
		Kind: Injective, Inputs: In("data:T", "indices:Tind"), Outputs: In("output:T"),
		Types: []TypeConstraint{TC("T", AllTypes), TC("Tind", IndexTypes)},
		Attrs: []AttrDef{AInt("axis", 0)},
		Infer: func(op *Op) ([]Type, error) { return inferIndexShaped(op, op.Arg(1)) },
	})
	Register(&OpDef{
		Name: "GatherND", Doc: "gathers slices of data addressed by the last dim of indices, after batch_dims shared dims",
		Kind: Injective, Inputs: In("data:T", "indices:I"), Outputs: In("output:T"),
		Types: []TypeConstraint{TC("T", AllTypes), TC("I", I64Type)},
		Attrs: []AttrDef{AInt("batch_dims", 0).AtLeast(0)},
		Infer: inferGatherND,
	})
	Register(&OpDef{
		Name: "ScatterElements", Doc: "a copy of data with updates written (or reduced) at indices along axis",
		Kind: Opaque, Inputs: In("data:T", "indices:Tind", "updates:T"), Outputs: In("output:T"),
		Types: []TypeConstraint{TC("T", AllTypes), TC("Tind", IndexTypes)},
		Attrs: []AttrDef{AInt("axis", 0), scatterReduction()},
		Infer: func(op *Op) ([]Type, error) { return inferIndexShaped(op, op.Arg(0)) },
	})
	Register(&OpDef{
		Name: "ScatterND", Doc: "a copy of data with update slices written (or reduced) at the index tuples in indices",
		Kind: Opaque, Inputs: In("data:T", "indices:I", "updates:T"), Outputs: In("output:T"),
		Types: []TypeConstraint{TC("T", AllTypes), TC("I", I64Type)},
		Attrs: []AttrDef{scatterReduction()},
		Infer: func(op *Op) ([]Type, error) { return inferIndexShaped(op, op.Arg(0)) },
	})
	Register(&OpDef{
		Name: "Range", Doc: "start, start+delta, ... up to (excluding) limit",
		Kind: Opaque, Inputs: In("start:T", "limit:T", "delta:T"), Outputs: In("output:T"),
		Types: []TypeConstraint{TC("T", Types(F32, F64, I16, I32, I64))},
		Infer: inferRange,
	})
	Register(&OpDef{
		Name: "OneHot", Doc: "values[1] where the inserted axis equals the index, values[0] elsewhere",
		Kind: Opaque, Inputs: In("indices:T1", "depth:T2", "values:T3"), Outputs: In("output:T3"),
		Types: []TypeConstraint{TC("T1", IntTypes|FloatNoBF16), TC("T2", IntTypes|FloatNoBF16), TC("T3", AllTypes)},
		Attrs: []AttrDef{AInt("axis", -1)},
		Infer: inferOneHot,
	})
	Register(&OpDef{
		Name: "Trilu", Doc: "keeps the upper (or lower) triangle of the last two dims from diagonal k, zeroing the rest",
		Kind: Injective, Inputs: []Operand{Req("input:T"), Opt("k:I")}, Outputs: In("output:T"),
		Types: []TypeConstraint{TC("T", AllTypes), TC("I", I64Type)},
		Attrs: []AttrDef{ABool("upper", 1)},
		Infer: InferSameAsInput,
	})
	Register(&OpDef{
		Name: "EyeLike", Doc: "a 2-D tensor of the input's shape with ones on diagonal k",
		Kind: Opaque, Inputs: In("input:T1"), Outputs: In("output:T2"),
		// EyeLike-9: numbers (not bfloat16) and bool, in and out.
		Types: []TypeConstraint{TC("T1", IntTypes|FloatNoBF16|BoolType), TC("T2", IntTypes|FloatNoBF16|BoolType)},
		Attrs: []AttrDef{AOptional("dtype", AttrDType), AInt("k", 0)},
		Infer: func(op *Op) ([]Type, error) {
			x, err := inferOperand(op, 0)
			if err != nil {
				return nil, err
			}
			d := x.Type.DType
			if v, ok := op.Attr("dtype"); ok && v.Kind == AttrDType {
				d = v.DType
			}
			if r := x.Type.Shape.Rank(); r >= 0 && r != 2 {
				return nil, fmt.Errorf("input has rank %d, want 2", r)
			}
			if !x.Type.Shape.Ranked {
				return []Type{TensorType(d, UnknownDims(2))}, nil
			}
			return []Type{TensorType(d, x.Type.Shape)}, nil
		},
	})
	Register(&OpDef{
		Name: "NonZero", Doc: "the indices of non-zero elements as an i64 [rank, count] tensor, in C order",
		Kind: Opaque, Inputs: In("X:T"), Outputs: In("Y:I"),
		Types: []TypeConstraint{TC("T", AllTypes), TC("I", I64Type)},
		Infer: func(op *Op) ([]Type, error) {
			x, err := inferOperand(op, 0)
			if err != nil {
				return nil, err
			}
			if !x.Type.Shape.Ranked {
				return []Type{TensorType(I64, UnknownDims(2))}, nil
			}
			return []Type{TensorType(I64, Shape{Ranked: true, Dims: []Dim{Static(int64(x.Type.Shape.Rank())), Unknown()}})}, nil
		},
	})
	Register(&OpDef{
		Name: "Compress", Doc: "selects slices along axis (or of the flattened input) where condition is true",
		Kind: Opaque, Inputs: In("input:T", "condition:T1"), Outputs: In("output:T"),
		Types: []TypeConstraint{TC("T", AllTypes), TC("T1", BoolType)},
		Attrs: []AttrDef{AOptional("axis", AttrInt)},
		Infer: inferCompress,
	})
	Register(&OpDef{
		Name: "ReverseSequence", Doc: "reverses the first sequence_lens[b] elements along time_axis of each batch b",
		Kind: Injective, Inputs: In("input:T", "sequence_lens:I"), Outputs: In("Y:T"),
		Types: []TypeConstraint{TC("T", AllTypes), TC("I", I64Type)},
		Attrs: []AttrDef{AInt("batch_axis", 1), AInt("time_axis", 0)},
		Infer: InferSameAsInput,
	})
	Register(&OpDef{
		Name: "Unique", Doc: "the unique elements (or slices along axis), sorted or in order of first occurrence, with indices, inverse indices and counts",
		Kind: Opaque, Inputs: In("X:T"),
		Outputs: []Operand{Req("Y:T"), Opt("indices:I"), Opt("inverse_indices:I"), Opt("counts:I")},
		Types:   []TypeConstraint{TC("T", AllTypes), TC("I", I64Type)},
		Attrs:   []AttrDef{AOptional("axis", AttrInt), ABool("sorted", 1)},
		Infer:   inferUnique,
	})
	Register(&OpDef{
		Name: "TopK", Doc: "the K largest (or smallest) elements along axis and their indices; ties go to the lower index",
		Kind: Opaque, Inputs: In("X:T", "K:I"), Outputs: In("Values:T", "Indices:I"),
		// TopK-11: integers and f16/f32/f64.
		Types: []TypeConstraint{TC("T", IntTypes|FloatNoBF16), TC("I", I64Type)},
		Attrs: []AttrDef{AInt("axis", -1), ABool("largest", 1), ABool("sorted", 1)},
		Infer: inferTopK,
	})
	Register(&OpDef{
		Name: "CumSum", Doc: "cumulative sum along axis, optionally exclusive and/or reversed",
		Kind: Opaque, Inputs: In("x:T", "axis:T2"), Outputs: In("y:T"),
		// CumSum-14: floats and the 32/64-bit integers.
		Types: []TypeConstraint{TC("T", FloatTypes|Types(I32, I64, U32, U64)), TC("T2", IndexTypes)},
		Attrs: []AttrDef{ABool("exclusive", 0), ABool("reverse", 0)},
		Infer: InferSameAsInput,
	})
	// TensorScatter-24: a KV-cache update.
	Register(&OpDef{
		Name: "TensorScatter", Doc: "a copy of past_cache with update written along axis from write_indices[b] on (linear), or wrapping around (circular)",
		Kind: Opaque, Inputs: []Operand{Req("past_cache:T"), Req("update:T"), Opt("write_indices:I")}, Outputs: In("present_cache:T"),
		Types: []TypeConstraint{TC("T", AllTypes), TC("I", I64Type)},
		Attrs: []AttrDef{AInt("axis", -2), AEnum("mode", "linear", "linear", "circular")},
		Infer: func(op *Op) ([]Type, error) {
			x, err := inferOperand(op, 0)
			if err != nil {
				return nil, err
			}
			if r := x.Type.Shape.Rank(); r >= 0 {
				ax, err := NormAxis(op.Int("axis"), r)
				if err != nil {
					return nil, err
				}
				if ax == 0 {
					return nil, fmt.Errorf("axis cannot be the batch dim 0")
				}
			}
			return []Type{x.Type}, nil
		},
	})
	Register(&OpDef{
		Name: "CumProd", Doc: "cumulative product along axis, optionally exclusive (starting at 1) and/or reversed",
		Kind: Opaque, Inputs: In("x:T", "axis:T2"), Outputs: In("y:T"),
		// CumProd-26: CumSum's types.
		Types: []TypeConstraint{TC("T", FloatTypes|Types(I32, I64, U32, U64)), TC("T2", IndexTypes)},
		Attrs: []AttrDef{ABool("exclusive", 0), ABool("reverse", 0)},
		Infer: InferSameAsInput,
	})
}

// inferIndexShaped gives a result of data's dtype and shape's shape.
func inferIndexShaped(op *Op, shape *Value) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	if shape == nil || !shape.Type.IsTensor() {
		return nil, fmt.Errorf("missing indices")
	}
	return []Type{TensorType(x.Type.DType, shape.Type.Shape)}, nil
}

func inferSlice(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	s := x.Type.Shape
	d := x.Type.DType
	if !s.Ranked {
		return []Type{x.Type}, nil
	}
	r := len(s.Dims)
	starts, ok1 := ShapeValue(op.Arg(1))
	ends, ok2 := ShapeValue(op.Arg(2))
	if !ok1 || !ok2 {
		return []Type{TensorType(d, UnknownDims(r))}, nil
	}
	if len(starts) != len(ends) {
		return nil, fmt.Errorf("starts has %d entries, ends %d", len(starts), len(ends))
	}
	var axes, steps []int64
	if a := op.Arg(3); a != nil {
		var ok bool
		if axes, ok = KnownInts(a); !ok {
			return []Type{TensorType(d, UnknownDims(r))}, nil
		}
	} else {
		for i := range starts {
			axes = append(axes, int64(i))
		}
	}
	stepKnown := make([]bool, len(starts))
	if a := op.Arg(4); a != nil {
		if st, ok := KnownInts(a); ok {
			steps = st
			for i := range stepKnown {
				stepKnown[i] = true
			}
		}
	} else {
		steps = make([]int64, len(starts))
		for i := range steps {
			steps[i] = 1
			stepKnown[i] = true
		}
	}
	if len(axes) != len(starts) || (steps != nil && len(steps) != len(starts)) {
		return nil, fmt.Errorf("starts, ends, axes and steps differ in length")
	}
	ax, err := normDistinctAxes(axes, r)
	if err != nil {
		return nil, err
	}
	out := s.Clone()
	for i, a := range ax {
		if !stepKnown[i] {
			out.Dims[a] = Unknown()
			continue
		}
		if steps[i] == 0 {
			return nil, fmt.Errorf("step 0 on axis %d", a)
		}
		out.Dims[a] = sliceDim(s.Dims[a], starts[i], ends[i], steps[i])
	}
	return []Type{TensorType(d, out)}, nil
}

// sliceDim is the size of one sliced dim. Beyond the static case it
// computes the length as an expression when the clamped bounds are provably
// in order: 0 ≤ start ≤ end ≤ dim for a positive step, with symbols taken
// as ≥ 0 (x[0:INT_MAX] is dim, x[p:p+n] is n). It also gives x[0:n] the
// size n when n is read off some shape (position ids cut to the sequence
// length), assuming, as exporters do, that n does not exceed a static dim.
func sliceDim(dim, start, end Dim, step int64) Dim {
	const huge = int64(1) << 62
	s, sConst := start.Int()
	e, eConst := end.Int()
	if dim.IsStatic() && sConst && eConst {
		return Static(SliceLen(dim.Size, s, e, step))
	}
	if step <= 0 || dim.IsUnknown() || start.IsUnknown() || end.IsUnknown() {
		return Unknown()
	}
	if sConst && s == 0 && end.IsExpr() && (end.Equal(dim) || dim.IsStatic()) {
		return end
	}
	// bound turns a start or end into an expression in [0, dim], or fails.
	bound := func(x Dim) (Dim, bool) {
		if n, ok := x.Int(); ok {
			switch {
			case n >= huge:
				return dim, true
			case n == 0:
				return x, true // a dim is never negative
			case n < 0:
				x = dim.Add(x)
			}
		}
		return x, isNonNegative(x) && isNonNegative(dim.Sub(x))
	}
	b, ok1 := bound(start)
	f, ok2 := bound(end)
	if !ok1 || !ok2 {
		return Unknown()
	}
	span := f.Sub(b)
	if span.Equal(dim) {
		// The whole dim: dims are never negative, whatever the bounds of
		// the expression's symbols say.
		return dim.CeilDiv(Static(step))
	}
	if !isNonNegative(span) {
		if hi, ok := span.UpperBound(nil); ok && hi <= 0 {
			return Static(0)
		}
		return Unknown()
	}
	return span.CeilDiv(Static(step))
}

// shapeValueSlice slices a shape value (of rank 1, or of a small static
// shape) with constant starts, ends, axes and steps.
func shapeValueSlice(op *Op, arg func(int) ([]Dim, bool)) ([]Dim, bool) {
	data, ok := arg(0)
	if !ok {
		return nil, false
	}
	sizes := []int64{int64(len(data))}
	if in := op.Arg(0); in.Type.Shape.Rank() != 1 {
		if sizes, ok = in.Type.Shape.Sizes(); !ok || len(sizes) == 0 {
			return nil, false
		}
	}
	starts, ok1 := KnownInts(op.Arg(1))
	ends, ok2 := KnownInts(op.Arg(2))
	if !ok1 || !ok2 || len(starts) != len(ends) {
		return nil, false
	}
	axes := make([]int64, len(starts))
	for i := range axes {
		axes[i] = int64(i)
	}
	if a := op.Arg(3); a != nil {
		if axes, ok = KnownInts(a); !ok || len(axes) != len(starts) {
			return nil, false
		}
	}
	steps := make([]int64, len(starts))
	for i := range steps {
		steps[i] = 1
	}
	if s := op.Arg(4); s != nil {
		if steps, ok = KnownInts(s); !ok || len(steps) != len(starts) {
			return nil, false
		}
	}
	// The indices kept along each axis.
	keep := make([][]int64, len(sizes))
	for i, n := range sizes {
		for j := int64(0); j < n; j++ {
			keep[i] = append(keep[i], j)
		}
	}
	for i, a := range axes {
		ax, err := NormAxis(a, len(sizes))
		if err != nil {
			return nil, false
		}
		idx, ok := SliceIndices(sizes[ax], starts[i], ends[i], steps[i])
		if !ok {
			return nil, false
		}
		keep[ax] = idx
	}
	outSizes := make([]int64, len(keep))
	for i, k := range keep {
		outSizes[i] = int64(len(k))
	}
	strides := cStrides(sizes)
	var out []Dim
	forEachIndex(outSizes, func(idx []int64) {
		var off int64
		for i, j := range idx {
			off += keep[i][j] * strides[i]
		}
		out = append(out, data[off])
	})
	if out == nil {
		out = []Dim{}
	}
	return out, true
}

// shapeValueGather picks elements of a shape value at constant indices.
func shapeValueGather(op *Op, arg func(int) ([]Dim, bool)) ([]Dim, bool) {
	data, ok := arg(0)
	if !ok || op.Arg(0).Type.Shape.Rank() > 1 {
		return nil, false
	}
	idx, ok := KnownInts(op.Arg(1))
	if !ok {
		return nil, false
	}
	out := make([]Dim, len(idx))
	for i, x := range idx {
		if x < 0 {
			x += int64(len(data))
		}
		if x < 0 || x >= int64(len(data)) {
			return nil, false
		}
		out[i] = data[x]
	}
	return out, true
}

func inferGather(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	idx, err := inferOperand(op, 1)
	if err != nil {
		return nil, err
	}
	if !idx.Type.DType.IsInt() {
		return nil, fmt.Errorf("indices are %v, want an integer type", idx.Type.DType)
	}
	s, is := x.Type.Shape, idx.Type.Shape
	if !s.Ranked || !is.Ranked {
		return []Type{TensorType(x.Type.DType, UnrankedShape())}, nil
	}
	ax, err := NormAxis(op.Int("axis"), len(s.Dims))
	if err != nil {
		return nil, err
	}
	out := Shape{Ranked: true, Dims: []Dim{}}
	out.Dims = append(out.Dims, s.Dims[:ax]...)
	out.Dims = append(out.Dims, is.Dims...)
	out.Dims = append(out.Dims, s.Dims[ax+1:]...)
	return []Type{TensorType(x.Type.DType, out)}, nil
}

func inferGatherND(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	idx, err := inferOperand(op, 1)
	if err != nil {
		return nil, err
	}
	s, is := x.Type.Shape, idx.Type.Shape
	b := int(op.Int("batch_dims"))
	if !s.Ranked || !is.Ranked || len(is.Dims) == 0 || !is.Dims[len(is.Dims)-1].IsStatic() {
		return []Type{TensorType(x.Type.DType, UnrankedShape())}, nil
	}
	k := int(is.Dims[len(is.Dims)-1].Size)
	if b < 0 || b >= len(is.Dims) || b+k > len(s.Dims) {
		return nil, fmt.Errorf("batch_dims %d and index length %d do not fit data of rank %d", b, k, len(s.Dims))
	}
	out := Shape{Ranked: true, Dims: []Dim{}}
	out.Dims = append(out.Dims, is.Dims[:len(is.Dims)-1]...)
	out.Dims = append(out.Dims, s.Dims[b+k:]...)
	return []Type{TensorType(x.Type.DType, out)}, nil
}

func inferRange(op *Op) ([]Type, error) {
	st, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	d := st.Type.DType
	for i := 1; i < 3; i++ {
		a, err := inferOperand(op, i)
		if err != nil {
			return nil, err
		}
		if a.Type.DType != d {
			return nil, fmt.Errorf("operand %d is %v, start is %v", i, a.Type.DType, d)
		}
	}
	if d.IsInt() {
		// Over shape values: max(ceil((limit-start)/delta), 0) for a
		// constant delta, when the sign of limit-start is known.
		s, ok1 := ShapeValue(op.Arg(0))
		l, ok2 := ShapeValue(op.Arg(1))
		dl, ok3 := ShapeValue(op.Arg(2))
		if ok1 && ok2 && ok3 && len(s) == 1 && len(l) == 1 && len(dl) == 1 {
			if n := rangeLenDim(s[0], l[0], dl[0]); n.IsKnown() {
				return []Type{TensorType(d, Shape{Ranked: true, Dims: []Dim{n}})}, nil
			}
		}
	}
	if d.IsInt() {
		s, ok1 := KnownInts(op.Arg(0))
		l, ok2 := KnownInts(op.Arg(1))
		dl, ok3 := KnownInts(op.Arg(2))
		if ok1 && ok2 && ok3 && len(s) == 1 && len(l) == 1 && len(dl) == 1 && dl[0] != 0 {
			return []Type{TensorType(d, ShapeOf(RangeLenInt(s[0], l[0], dl[0])))}, nil
		}
	} else if d.IsFloat() {
		s, ok1 := ConstFloats(op.Arg(0))
		l, ok2 := ConstFloats(op.Arg(1))
		dl, ok3 := ConstFloats(op.Arg(2))
		if ok1 && ok2 && ok3 && len(s) == 1 && len(l) == 1 && len(dl) == 1 && dl[0] != 0 {
			return []Type{TensorType(d, ShapeOf(RangeLen(s[0], l[0], dl[0])))}, nil
		}
	}
	return []Type{TensorType(d, UnknownDims(1))}, nil
}

// rangeLenDim is RangeLen over dims: unknown unless delta is a nonzero
// constant and limit-start has a known sign.
func rangeLenDim(start, limit, delta Dim) Dim {
	k, ok := delta.Int()
	if !ok || k == 0 || k == math.MinInt64 {
		return Unknown()
	}
	diff := limit.Sub(start)
	if k < 0 {
		diff, k = diff.Neg(), -k
	}
	if isNonNegative(diff) {
		return diff.CeilDiv(Static(k))
	}
	if hi, ok := diff.UpperBound(nil); ok && hi <= 0 {
		return Static(0)
	}
	return Unknown()
}

// RangeLen is Range's element count: max(ceil((limit-start)/delta), 0).
// A count past int64 saturates at math.MaxInt64 (an element count no
// memory budget admits, so it is refused rather than wrapped to an empty
// range), and a NaN gives 0.
func RangeLen(start, limit, delta float64) int64 {
	n := math.Ceil((limit - start) / delta)
	switch {
	case math.IsNaN(n) || n <= 0:
		return 0
	case n >= math.MaxInt64:
		return math.MaxInt64
	}
	return int64(n)
}

// RangeLenInt is RangeLen for integer operands, computed exactly (in
// float64, a difference past 2^53 would round); it saturates likewise.
// delta must be nonzero.
func RangeLenInt(start, limit, delta int64) int64 {
	diff := new(big.Int).Sub(big.NewInt(limit), big.NewInt(start))
	d := big.NewInt(delta)
	if diff.Sign() == 0 || diff.Sign() != d.Sign() {
		return 0
	}
	diff.Abs(diff)
	d.Abs(d)
	q, r := new(big.Int).QuoRem(diff, d, new(big.Int))
	if r.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return math.MaxInt64
	}
	return q.Int64()
}

func inferOneHot(op *Op) ([]Type, error) {
	idx, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	vals, err := inferOperand(op, 2)
	if err != nil {
		return nil, err
	}
	d := vals.Type.DType
	s := idx.Type.Shape
	if !s.Ranked {
		return []Type{TensorType(d, UnrankedShape())}, nil
	}
	r := len(s.Dims) + 1
	ax, err := NormAxis(op.Int("axis"), r)
	if err != nil {
		return nil, err
	}
	depth := Unknown()
	if v, ok := ShapeValue(op.Arg(1)); ok && len(v) == 1 && v[0].IsKnown() {
		depth = sizeDim(v[0])
	} else if v, ok := ConstFloats(op.Arg(1)); ok && len(v) == 1 {
		depth = Static(int64(v[0]))
	}
	out := Shape{Ranked: true, Dims: []Dim{}}
	out.Dims = append(out.Dims, s.Dims[:ax]...)
	out.Dims = append(out.Dims, depth)
	out.Dims = append(out.Dims, s.Dims[ax:]...)
	return []Type{TensorType(d, out)}, nil
}

func inferCompress(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	s := x.Type.Shape
	if !op.Has("axis") {
		return []Type{TensorType(x.Type.DType, UnknownDims(1))}, nil
	}
	if !s.Ranked {
		return []Type{x.Type}, nil
	}
	ax, err := NormAxis(op.Int("axis"), len(s.Dims))
	if err != nil {
		return nil, err
	}
	out := s.Clone()
	out.Dims[ax] = Unknown()
	return []Type{TensorType(x.Type.DType, out)}, nil
}

func inferUnique(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	s := x.Type.Shape
	y := TensorType(x.Type.DType, UnknownDims(1))
	if op.Has("axis") && s.Ranked {
		ax, err := NormAxis(op.Int("axis"), len(s.Dims))
		if err != nil {
			return nil, err
		}
		sh := s.Clone()
		sh.Dims[ax] = Unknown()
		y = TensorType(x.Type.DType, sh)
	} else if op.Has("axis") {
		y = TensorType(x.Type.DType, UnrankedShape())
	}
	inv := TensorType(I64, UnknownDims(1))
	if op.Has("axis") && s.Ranked {
		ax, _ := NormAxis(op.Int("axis"), len(s.Dims))
		inv = TensorType(I64, Shape{Ranked: true, Dims: []Dim{s.Dims[ax]}})
	} else if n := s.NumElements(); n >= 0 {
		inv = TensorType(I64, ShapeOf(n))
	}
	return []Type{y, TensorType(I64, UnknownDims(1)), inv, TensorType(I64, UnknownDims(1))}, nil
}

func inferTopK(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	s := x.Type.Shape
	if !s.Ranked {
		return []Type{x.Type, TensorType(I64, UnrankedShape())}, nil
	}
	ax, err := NormAxis(op.Int("axis"), len(s.Dims))
	if err != nil {
		return nil, err
	}
	out := s.Clone()
	out.Dims[ax] = Unknown()
	if k, ok := KnownInts(op.Arg(1)); ok && len(k) == 1 {
		if k[0] < 0 || (s.Dims[ax].IsStatic() && k[0] > s.Dims[ax].Size) {
			return nil, fmt.Errorf("K %d out of range for dim %v", k[0], s.Dims[ax])
		}
		out.Dims[ax] = Static(k[0])
	}
	return []Type{TensorType(x.Type.DType, out), TensorType(I64, out)}, nil
}
