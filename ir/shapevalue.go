package ir

import "math"

// Exported models build shapes at run time: Shape → Gather → Unsqueeze →
// Concat → Reshape. To give such a Reshape a static (or symbolic) result
// type, inference evaluates small integer tensors symbolically: each element
// is a known number, a symbolic dim (a value read off some tensor's shape),
// or unknown. This file holds that partial evaluator.

// SymInt is one element of a symbolically evaluated integer tensor.
type SymInt struct {
	Known bool   // Val is the element's value
	Val   int64  // when Known
	Sym   string // when not Known: the symbolic dim it equals, if any
}

// Dim returns the element as a tensor dimension (negative values, which are
// not sizes, become unknown dims).
func (s SymInt) Dim() Dim {
	switch {
	case s.Known && s.Val >= 0:
		return Static(s.Val)
	case !s.Known && s.Sym != "":
		return Symbolic(s.Sym)
	}
	return Unknown()
}

// symIntOfDim is the inverse of Dim for a dimension read from a shape.
func symIntOfDim(d Dim) SymInt {
	if d.IsStatic() {
		return SymInt{Known: true, Val: d.Size}
	}
	return SymInt{Sym: d.Sym}
}

// maxShapeValueDepth bounds the walk up the def chain.
const maxShapeValueDepth = 32

// ShapeValue evaluates an integer tensor of rank 0 or 1 as far as its
// defining ops allow, returning its elements in order. ok is false when even
// the element count is unknown. It understands constants and the ops
// exporters use to compute shapes (Shape, Gather, Slice, Concat, Squeeze,
// Unsqueeze, Reshape, Cast, Identity, and arithmetic on known values).
func ShapeValue(v *Value) (elems []SymInt, ok bool) {
	return (&shapeEval{memo: map[*Value]shapeMemo{}}).value(v, 0)
}

// shapeEval memoizes one evaluation: shape computations form DAGs (one
// Shape feeding many Gathers), which a plain recursion would walk
// exponentially often.
type shapeEval struct{ memo map[*Value]shapeMemo }

type shapeMemo struct {
	elems []SymInt
	ok    bool
}

func (e *shapeEval) value(v *Value, depth int) ([]SymInt, bool) {
	if m, ok := e.memo[v]; ok {
		return m.elems, m.ok
	}
	elems, ok := e.compute(v, depth)
	e.memo[v] = shapeMemo{elems, ok}
	return elems, ok
}

func (e *shapeEval) compute(v *Value, depth int) ([]SymInt, bool) {
	if v == nil || !v.Type.IsTensor() || depth > maxShapeValueDepth {
		return nil, false
	}
	if r := v.Type.Shape.Rank(); r > 1 {
		return nil, false
	}
	if vals, ok := ConstInts(v); ok {
		out := make([]SymInt, len(vals))
		for i, x := range vals {
			out[i] = SymInt{Known: true, Val: x}
		}
		return out, true
	}
	if v.Def != nil && (v.Type.DType.IsInt() || v.Type.DType == Bool) {
		if out, ok := e.op(v.Def, depth+1); ok {
			return out, true
		}
	}
	// Fall back to the element count the type gives.
	if n := v.Type.Shape.NumElements(); n >= 0 && n <= 64 {
		return make([]SymInt, n), true
	}
	return nil, false
}

func (e *shapeEval) op(op *Op, depth int) ([]SymInt, bool) {
	switch op.Name {
	case "Shape":
		in := op.Arg(0)
		if in == nil || !in.Type.Shape.Ranked {
			return nil, false
		}
		dims := in.Type.Shape.Dims
		start, end, ok := shapeOpRange(op, len(dims))
		if !ok {
			return nil, false
		}
		out := make([]SymInt, 0, end-start)
		for _, d := range dims[start:end] {
			out = append(out, symIntOfDim(d))
		}
		return out, true
	case "Size":
		if n := op.Arg(0).Type.Shape.NumElements(); n >= 0 {
			return []SymInt{{Known: true, Val: n}}, true
		}
		return []SymInt{{}}, true
	case "Identity", "Squeeze", "Unsqueeze", "Reshape", "Flatten":
		return e.value(op.Arg(0), depth)
	case "Cast":
		if d, ok := op.Attr("to"); ok && d.Kind == AttrDType && (d.DType == I64 || d.DType == I32) {
			return e.value(op.Arg(0), depth)
		}
	case "Concat":
		var out []SymInt
		for _, a := range op.Args {
			el, ok := e.value(a, depth)
			if !ok {
				return nil, false
			}
			out = append(out, el...)
		}
		return out, true
	case "Gather":
		data, ok := e.value(op.Arg(0), depth)
		if !ok {
			return nil, false
		}
		idx, ok := ConstInts(op.Arg(1))
		if !ok {
			return nil, false
		}
		out := make([]SymInt, len(idx))
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
	case "Slice":
		data, ok := e.value(op.Arg(0), depth)
		if !ok {
			return nil, false
		}
		starts, ok1 := ConstInts(op.Arg(1))
		ends, ok2 := ConstInts(op.Arg(2))
		if !ok1 || !ok2 || len(starts) != 1 || len(ends) != 1 {
			return nil, false
		}
		step := int64(1)
		if s := op.Arg(4); s != nil {
			st, ok := ConstInts(s)
			if !ok || len(st) != 1 {
				return nil, false
			}
			step = st[0]
		}
		idx, ok := SliceIndices(int64(len(data)), starts[0], ends[0], step)
		if !ok {
			return nil, false
		}
		out := make([]SymInt, len(idx))
		for i, x := range idx {
			out[i] = data[x]
		}
		return out, true
	case "ConstantOfShape":
		n, ok := KnownInts(op.Arg(0))
		if !ok || len(n) > 1 || (len(n) == 1 && n[0] > 64) {
			return nil, false
		}
		fill := SymInt{Known: true, Val: 0}
		if a, ok := op.Attr("value"); ok && a.Kind == AttrTensor {
			vals, ok := ConstInts(a.Tensor)
			if !ok || len(vals) != 1 {
				return nil, false
			}
			fill.Val = vals[0]
		}
		out := []SymInt{fill}
		if len(n) == 1 {
			out = make([]SymInt, n[0])
			for i := range out {
				out[i] = fill
			}
		}
		return out, true
	case "Neg":
		a, ok := e.value(op.Arg(0), depth)
		if !ok {
			return nil, false
		}
		out := make([]SymInt, len(a))
		for i, x := range a {
			if x.Known {
				out[i] = SymInt{Known: true, Val: -x.Val}
			}
		}
		return out, true
	case "Where":
		// torch exports Expand's shape as Where(Equal(shape, -1), 1, shape).
		c, ok1 := e.value(op.Arg(0), depth)
		a, ok2 := e.value(op.Arg(1), depth)
		b, ok3 := e.value(op.Arg(2), depth)
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		n := max(len(c), len(a), len(b))
		for _, l := range []int{len(c), len(a), len(b)} {
			if l != n && l != 1 {
				return nil, false
			}
		}
		out := make([]SymInt, n)
		for i := range out {
			ci := c[min(i, len(c)-1)]
			switch {
			case !ci.Known:
			case ci.Val != 0:
				out[i] = a[min(i, len(a)-1)]
			default:
				out[i] = b[min(i, len(b)-1)]
			}
		}
		return out, true
	case "Equal":
		a, ok1 := e.value(op.Arg(0), depth)
		b, ok2 := e.value(op.Arg(1), depth)
		n := max(len(a), len(b))
		if !ok1 || !ok2 || (len(a) != n && len(a) != 1) || (len(b) != n && len(b) != 1) {
			return nil, false
		}
		out := make([]SymInt, n)
		for i := range out {
			x, y := a[min(i, len(a)-1)], b[min(i, len(b)-1)]
			switch {
			case x.Known && y.Known:
				out[i] = SymInt{Known: true, Val: shapeValueBool(x.Val == y.Val)}
			case x.Known && x.Val < 0 && y.Sym != "", y.Known && y.Val < 0 && x.Sym != "":
				// A dim read off a shape is never negative.
				out[i] = SymInt{Known: true, Val: 0}
			}
		}
		return out, true
	case "Add", "Sub", "Mul", "Div":
		a, ok1 := e.value(op.Arg(0), depth)
		b, ok2 := e.value(op.Arg(1), depth)
		if !ok1 || !ok2 {
			return nil, false
		}
		n := max(len(a), len(b))
		if (len(a) != n && len(a) != 1) || (len(b) != n && len(b) != 1) {
			return nil, false
		}
		out := make([]SymInt, n)
		for i := range out {
			x, y := a[min(i, len(a)-1)], b[min(i, len(b)-1)]
			out[i] = symArith(op.Name, x, y)
		}
		return out, true
	}
	return nil, false
}

// symArith folds one element of integer arithmetic; x*1, x+0 and the like
// keep a symbolic operand.
func symArith(name string, x, y SymInt) SymInt {
	if x.Known && y.Known {
		switch name {
		case "Add":
			return SymInt{Known: true, Val: x.Val + y.Val}
		case "Sub":
			return SymInt{Known: true, Val: x.Val - y.Val}
		case "Mul":
			return SymInt{Known: true, Val: x.Val * y.Val}
		case "Div":
			if y.Val != 0 {
				q := x.Val / y.Val
				if (x.Val%y.Val != 0) && ((x.Val < 0) != (y.Val < 0)) {
					q-- // integer Div in ONNX floors like numpy
				}
				return SymInt{Known: true, Val: q}
			}
		}
		return SymInt{}
	}
	switch {
	case (name == "Mul" || name == "Div") && y.Known && y.Val == 1:
		return x
	case (name == "Add" || name == "Sub") && y.Known && y.Val == 0:
		return x
	case name == "Mul" && x.Known && x.Val == 1:
		return y
	case name == "Add" && x.Known && x.Val == 0:
		return y
	}
	return SymInt{}
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
		if !e.Known {
			return nil, false
		}
		out[i] = e.Val
	}
	return out, true
}

func shapeValueBool(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
