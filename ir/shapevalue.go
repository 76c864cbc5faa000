package ir

import "math"

// Exported models build shapes at run time: Shape → Gather → Unsqueeze →
// Concat → Reshape. To give such a Reshape a static or symbolic result
// type, inference evaluates small integer tensors symbolically: each element
// is a Dim, a constant (possibly negative), an expression over the symbols
// read off some tensor's shape, or unknown. This file holds the evaluator;
// what each op computes is its OpDef's ShapeValue hook, declared next to
// the op.

// ShapeValueFunc computes the elements of op's result 0, an integer tensor
// of rank 0 or 1, from its operands: arg(i) evaluates operand i (ok is
// false when even its element count is unknown). It returns ok false when
// it cannot tell the element count; elements it cannot compute are
// Unknown(). Hooks see shapes only through arg and op's operand types.
type ShapeValueFunc func(op *Op, arg func(i int) ([]Dim, bool)) ([]Dim, bool)

// maxShapeValueDepth bounds the walk up the def chain.
const maxShapeValueDepth = 32

// maxShapeValueLen bounds the element count of an evaluated tensor.
const maxShapeValueLen = 64

// ShapeValue evaluates an integer tensor of rank 0 or 1 (or a small one of
// static shape, whose elements it returns in C order) as far as its
// defining ops allow, returning its elements in order. ok is false when even
// the element count is unknown. It understands constants and every op whose
// declaration has a ShapeValue hook (Shape, Gather, Slice, Concat, Squeeze,
// Unsqueeze, Reshape, Cast, Identity, integer arithmetic, ...).
func ShapeValue(v *Value) (elems []Dim, ok bool) {
	return (&shapeEval{memo: map[*Value]shapeMemo{}}).value(v, 0)
}

// shapeEval memoizes one evaluation: shape computations form DAGs (one
// Shape feeding many Gathers), which a plain recursion would walk
// exponentially often.
type shapeEval struct{ memo map[*Value]shapeMemo }

type shapeMemo struct {
	elems []Dim
	ok    bool
}

func (e *shapeEval) value(v *Value, depth int) ([]Dim, bool) {
	if m, ok := e.memo[v]; ok {
		return m.elems, m.ok
	}
	elems, ok := e.compute(v, depth)
	if ok && len(elems) > maxShapeValueLen {
		elems, ok = nil, false
	}
	e.memo[v] = shapeMemo{elems, ok}
	return elems, ok
}

func (e *shapeEval) compute(v *Value, depth int) ([]Dim, bool) {
	if v == nil || !v.Type.IsTensor() || depth > maxShapeValueDepth {
		return nil, false
	}
	n := v.Type.Shape.NumElements()
	if r := v.Type.Shape.Rank(); r > 1 && (n < 0 || n > maxShapeValueLen) {
		return nil, false
	}
	if vals, ok := ConstInts(v); ok {
		out := make([]Dim, len(vals))
		for i, x := range vals {
			out[i] = DimInt(x)
		}
		return out, true
	}
	if op := v.Def; op != nil && v.Index == 0 && (v.Type.DType.IsInt() || v.Type.DType == Bool) {
		if d := Lookup(op.Name); d != nil && d.ShapeValue != nil {
			arg := func(i int) ([]Dim, bool) {
				if i < 0 || i >= len(op.Args) {
					return nil, false
				}
				return e.value(op.Args[i], depth+1)
			}
			// A hook's elements must be as many as the type says.
			if out, ok := d.ShapeValue(op, arg); ok && (n < 0 || int64(len(out)) == n) {
				return out, true
			}
		}
	}
	// Fall back to the element count the type gives.
	if n >= 0 && n <= maxShapeValueLen {
		return unknownElems(int(n)), true
	}
	return nil, false
}

// unknownElems returns n unknown elements.
func unknownElems(n int) []Dim {
	out := make([]Dim, n)
	for i := range out {
		out[i] = Unknown()
	}
	return out
}

// shapeValuePassThrough is the hook of ops that keep their operand's
// elements in order (Identity, Squeeze, Unsqueeze, Reshape, Flatten).
func shapeValuePassThrough(op *Op, arg func(int) ([]Dim, bool)) ([]Dim, bool) {
	return arg(0)
}

// broadcastElems applies f to the elements of the operands, broadcasting
// length-1 operands; ok is false when an operand is unknown or the lengths
// do not broadcast.
func broadcastElems(arg func(int) ([]Dim, bool), n int, f func(x []Dim) Dim) ([]Dim, bool) {
	ins := make([][]Dim, n)
	l := 0
	for i := range ins {
		el, ok := arg(i)
		if !ok {
			return nil, false
		}
		ins[i] = el
		l = max(l, len(el))
	}
	for _, el := range ins {
		if len(el) != l && len(el) != 1 {
			return nil, false
		}
	}
	out := make([]Dim, l)
	x := make([]Dim, n)
	for i := range out {
		for j, el := range ins {
			x[j] = el[min(i, len(el)-1)]
		}
		out[i] = f(x)
	}
	return out, true
}

// isNonNegative reports whether d is never negative: a constant ≥ 0, or an
// expression whose lower bound over nonnegative symbols is ≥ 0.
func isNonNegative(d Dim) bool {
	lo, ok := d.LowerBound(nil)
	return ok && lo >= 0
}

// sizeDim turns a shape-value element into a tensor dim: a negative
// constant, which is no size, becomes unknown.
func sizeDim(d Dim) Dim {
	if n, ok := d.Int(); ok && n < 0 {
		return Unknown()
	}
	return d
}

// shapeOpRange resolves Shape-15's start/end attributes for an input of the
// given rank: negative values count from the back, and both clamp to
// [0, rank].
func shapeOpRange(op *Op, rank int) (start, end int, ok bool) {
	clamp := func(x int64) int {
		if x < 0 {
			x += int64(rank)
		}
		return int(min(max(x, 0), int64(rank)))
	}
	start = clamp(op.Int("start"))
	end = rank
	if op.Has("end") {
		end = clamp(op.Int("end"))
	}
	if end < start {
		end = start
	}
	return start, end, true
}

// ShapeRange is shapeOpRange for the interpreter's Shape kernel.
func ShapeRange(op *Op, rank int) (start, end int) {
	start, end, _ = shapeOpRange(op, rank)
	return start, end
}

// SliceIndices returns the indices Slice-10+ selects along one axis of size
// dim: negative start/end count from the back, then both clamp to [0, dim]
// for a positive step and to [-1, dim-1] for a negative one. ok is false for
// a zero step.
func SliceIndices(dim, start, end, step int64) (idx []int64, ok bool) {
	if step == 0 {
		return nil, false
	}
	start, end = SliceBounds(dim, start, end, step)
	if step > 0 {
		for i := start; i < end; i += step {
			idx = append(idx, i)
		}
	} else {
		for i := start; i > end; i += step {
			idx = append(idx, i)
		}
	}
	return idx, true
}

// SliceBounds normalizes and clamps start and end as ONNX Slice specifies.
func SliceBounds(dim, start, end, step int64) (int64, int64) {
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	if step > 0 {
		start = min(max(start, 0), dim)
		end = min(max(end, 0), dim)
	} else {
		start = min(max(start, -1), dim-1)
		end = min(max(end, -1), dim-1)
	}
	return start, end
}

// SliceLen returns the number of elements SliceBounds' range holds.
func SliceLen(dim, start, end, step int64) int64 {
	start, end = SliceBounds(dim, start, end, step)
	// Written as 1 + (span-1)/|step| so that huge steps cannot overflow.
	if step > 0 {
		if end <= start {
			return 0
		}
		return 1 + (end-start-1)/step
	}
	if start <= end {
		return 0
	}
	if step == math.MinInt64 {
		return 1
	}
	return 1 + (start-end-1)/(-step)
}

// KnownInts returns the values of an integer tensor of rank 0 or 1 when
// ShapeValue knows every element: a constant, or one computed from
// constants and static dims.
func KnownInts(v *Value) ([]int64, bool) {
	if vals, ok := ConstInts(v); ok {
		return vals, true
	}
	elems, ok := ShapeValue(v)
	if !ok {
		return nil, false
	}
	out := make([]int64, len(elems))
	for i, e := range elems {
		n, ok := e.Int()
		if !ok {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

func shapeValueBool(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
