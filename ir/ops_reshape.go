package ir

import "fmt"

// Ops that move data without computing on it: reshapes, transposes,
// concatenation and splitting, broadcasting copies, padding. Their kernels are
// generic over every element type, strings and bools included. Those whose
// ONNX versions list the narrow types (Reshape-19/21, Flatten, Squeeze,
// Unsqueeze, Transpose and Pad-21, Shape and Size-19/21) take them too
// (MovableTypes): their elements move as the bytes they are held in.
func init() {
	Register(&OpDef{
		Name: "Reshape", Doc: "the data with a new shape (0 copies the input dim unless allowzero, -1 is inferred)",
		Kind: Injective, Traits: View, Inputs: In("data:T", "shape:I"), Outputs: In("reshaped:T"),
		Types: []TypeConstraint{TC("T", MovableTypes), TC("I", I64Type)},
		Attrs: []AttrDef{ABool("allowzero", 0)},
		Infer: inferReshape, ShapeValue: shapeValuePassThrough,
	})
	Register(&OpDef{
		Name: "Flatten", Doc: "reshapes to 2-D: dims before axis form the rows, the rest the columns",
		Kind: Injective, Traits: View, Inputs: In("input:T"), Outputs: In("output:T"), Types: []TypeConstraint{TC("T", MovableTypes)},
		Attrs: []AttrDef{AInt("axis", 1)},
		Infer: inferFlatten, ShapeValue: shapeValuePassThrough,
	})
	Register(&OpDef{
		Name: "Squeeze", Doc: "removes size-1 dims (the given axes, or all of them)",
		Kind: Injective, Traits: View, Inputs: []Operand{Req("data:T"), Opt("axes:I")}, Outputs: In("squeezed:T"),
		Types: []TypeConstraint{TC("T", MovableTypes), TC("I", I64Type)},
		Infer: inferSqueeze, ShapeValue: shapeValuePassThrough,
	})
	Register(&OpDef{
		Name: "Unsqueeze", Doc: "inserts size-1 dims at the given axes of the output",
		Kind: Injective, Traits: View, Inputs: In("data:T", "axes:I"), Outputs: In("expanded:T"),
		Types: []TypeConstraint{TC("T", MovableTypes), TC("I", I64Type)},
		Infer: inferUnsqueeze, ShapeValue: shapeValuePassThrough,
	})
	Register(&OpDef{
		Name: "Transpose", Doc: "permutes dims: output dim i is input dim perm[i] (default: reversed)",
		Kind: Injective, Inputs: In("data:T"), Outputs: In("transposed:T"), Types: []TypeConstraint{TC("T", MovableTypes)},
		Attrs: []AttrDef{AInts("perm")},
		Infer: inferTranspose, ShapeValue: shapeValueTranspose,
	})
	Register(&OpDef{
		Name: "Concat", Doc: "concatenates tensors along axis",
		Kind: Injective, Inputs: []Operand{Var("inputs:T")}, Outputs: In("concat_result:T"), Types: []TypeConstraint{TC("T", AllTypes)},
		Attrs: []AttrDef{ARequired("axis", AttrInt)},
		Infer: inferConcat, ShapeValue: shapeValueConcat,
	})
	Register(&OpDef{
		Name: "Split", Doc: "splits along axis into parts of the given sizes (default: equal parts; with num_outputs the last may be smaller)",
		Kind: Injective, Inputs: []Operand{Req("input:T"), Opt("split:I")}, Outputs: []Operand{Var("outputs:T")},
		Types: []TypeConstraint{TC("T", AllTypes), TC("I", I64Type)},
		// num_outputs (Split-18) must equal the number of results; without
		// split it allows an uneven dim: parts of ceil(d/n), the last smaller.
		Attrs: []AttrDef{AInt("axis", 0), AOptional("num_outputs", AttrInt).AtLeast(1)},
		Infer: inferSplit,
	})
	Register(&OpDef{
		Name: "Expand", Doc: "broadcasts input to shape (bidirectionally, numpy-style)",
		Kind: Injective, Inputs: In("input:T", "shape:I"), Outputs: In("output:T"),
		Types: []TypeConstraint{TC("T", AllTypes), TC("I", I64Type)},
		Infer: inferExpand,
	})
	Register(&OpDef{
		Name: "Tile", Doc: "repeats the input repeats[i] times along each dim i",
		Kind: Injective, Inputs: In("input:T", "repeats:I"), Outputs: In("output:T"),
		Types: []TypeConstraint{TC("T", AllTypes), TC("I", I64Type)},
		Infer: inferTile,
	})
	Register(&OpDef{
		Name: "Shape", Doc: "the input's shape (dims start..end) as an i64 vector",
		Kind: Opaque, Inputs: In("data:T"), Outputs: In("shape:T1"),
		Types: []TypeConstraint{TC("T", MovableTypes), TC("T1", I64Type)},
		Attrs: []AttrDef{AInt("start", 0), AOptional("end", AttrInt)},
		Infer: inferShapeOp, ShapeValue: shapeValueShape,
	})
	Register(&OpDef{
		Name: "Size", Doc: "the input's element count as an i64 scalar",
		Kind: Opaque, Inputs: In("data:T"), Outputs: In("size:T1"),
		Types: []TypeConstraint{TC("T", MovableTypes), TC("T1", I64Type)},
		Infer: func(op *Op) ([]Type, error) { return []Type{TensorType(I64, ShapeOf())}, nil }, ShapeValue: shapeValueSize,
	})
	Register(&OpDef{
		Name: "ConstantOfShape", Doc: "a tensor of the given shape filled with value (default f32 zero)",
		Kind: Opaque, Inputs: In("input:T1"), Outputs: In("output:T2"),
		// ConstantOfShape-9: numbers (not bfloat16) and bool.
		Types: []TypeConstraint{TC("T1", I64Type), TC("T2", IntTypes|FloatNoBF16|BoolType)},
		Attrs: []AttrDef{AOptional("value", AttrTensor)},
		Infer: inferConstantOfShape, ShapeValue: shapeValueConstantOfShape,
	})
	Register(&OpDef{
		Name: "Pad", Doc: "pads with pads=[begins..., ends...] (negative crops) in constant, reflect, edge or wrap mode, on every axis or those axes lists",
		Kind: Injective, Inputs: []Operand{Req("data:T"), Req("pads:I"), Opt("constant_value:T"), Opt("axes:A")}, Outputs: In("output:T"),
		// axes is Pad-18's, wrap Pad-19's (the importer refuses wrap before).
		Types: []TypeConstraint{TC("T", MovableTypes), TC("I", I64Type), TC("A", IndexTypes)},
		Attrs: []AttrDef{AEnum("mode", "constant", "constant", "reflect", "edge", "wrap")},
		Infer: inferPad,
	})
	// CenterCropPad-18: each listed axis is cropped or zero-padded to its
	// size in shape, centred (the odd element goes to the end).
	Register(&OpDef{
		Name: "CenterCropPad", Doc: "crops or zero-pads the axes listed (default all) to shape, centred",
		Kind: Injective, Inputs: In("input_data:T", "shape:Tind"), Outputs: In("output_data:T"),
		Types: []TypeConstraint{TC("T", AllTypes), TC("Tind", IndexTypes)},
		Attrs: []AttrDef{AInts("axes")},
		Infer: inferCenterCropPad,
	})
	Register(&OpDef{
		Name: "DepthToSpace", Doc: "moves channel blocks into spatial blocks (DCR or CRD order)",
		Kind: Injective, Inputs: In("input:T"), Outputs: In("output:T"), Types: []TypeConstraint{TC("T", AllTypes)},
		Attrs: []AttrDef{ARequired("blocksize", AttrInt).AtLeast(1), AEnum("mode", "DCR", "DCR", "CRD")},
		Infer: inferDepthSpace(true),
	})
	Register(&OpDef{
		Name: "SpaceToDepth", Doc: "moves spatial blocks into channels",
		Kind: Injective, Inputs: In("input:T"), Outputs: In("output:T"), Types: []TypeConstraint{TC("T", AllTypes)},
		Attrs: []AttrDef{ARequired("blocksize", AttrInt).AtLeast(1)},
		Infer: inferDepthSpace(false),
	})
}

func inferOperand(op *Op, i int) (*Value, error) {
	a := op.Arg(i)
	if a == nil {
		return nil, fmt.Errorf("missing operand %d", i)
	}
	if !a.Type.IsTensor() {
		return nil, fmt.Errorf("operand %d is %v, want a tensor", i, a.Type)
	}
	return a, nil
}

// staticDimProduct multiplies dims; ok is false unless all are static.
func staticDimProduct(dims []Dim) (int64, bool) {
	p := int64(1)
	for _, d := range dims {
		if !d.IsStatic() {
			return 0, false
		}
		p *= d.Size
	}
	return p, true
}

// prodDims multiplies dims into one (static, an expression, or unknown).
func prodDims(dims []Dim) Dim {
	p := Static(1)
	for _, d := range dims {
		p = p.Mul(d)
	}
	return p
}

func inferReshape(op *Op) ([]Type, error) {
	data, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	shapeArg, err := inferOperand(op, 1)
	if err != nil {
		return nil, err
	}
	d := data.Type.DType
	elems, ok := ShapeValue(shapeArg)
	if !ok {
		if n := shapeArg.Type.Shape; n.Rank() == 1 && n.Dims[0].IsStatic() {
			return []Type{TensorType(d, unknownDimsUpTo(n.Dims[0].Size))}, nil
		}
		return []Type{TensorType(d, UnrankedShape())}, nil
	}
	allowzero := op.Int("allowzero") != 0
	in := data.Type.Shape
	out := make([]Dim, len(elems))
	inferAt := -1
	for i, e := range elems {
		n, isConst := e.Int()
		switch {
		case isConst && n == -1:
			if inferAt >= 0 {
				return nil, fmt.Errorf("shape has more than one -1")
			}
			inferAt = i
			out[i] = Unknown()
		case isConst && n == 0 && !allowzero:
			if in.Ranked {
				if i >= len(in.Dims) {
					return nil, fmt.Errorf("shape[%d] is 0 (copy) but the input has rank %d", i, len(in.Dims))
				}
				out[i] = in.Dims[i]
			} else {
				out[i] = Unknown()
			}
		case isConst && n < -1:
			return nil, fmt.Errorf("shape[%d] is %d", i, n)
		default:
			// An expression is taken as the dim it computes. If that dim
			// is 0 at run time and allowzero is 0, ONNX copies the input
			// dim instead; like exporters' own shape inference, kiln
			// assumes shape computations do not rely on that.
			out[i] = sizeDim(e)
		}
	}
	if inferAt < 0 {
		// A single unknown dim (an element computed at run time, or a 0 that
		// copies an unknown input dim) is fixed by the element count just as
		// a -1 would be.
		for i, dm := range out {
			if dm.IsUnknown() {
				if inferAt >= 0 {
					inferAt = -1
					break
				}
				inferAt = i
			}
		}
	}
	if inferAt >= 0 && in.Ranked {
		out[inferAt] = reshapeInferDim(in.Dims, out, inferAt)
	}
	if inferAt < 0 && in.IsStatic() {
		if p, ok := staticDimProduct(out); ok && p != in.NumElements() {
			return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, in.NumElements(), Shape{Ranked: true, Dims: out})
		}
	}
	return []Type{TensorType(d, Shape{Ranked: true, Dims: out})}, nil
}

// reshapeInferDim computes the -1 dim at position at: dims equal on both
// sides cancel, and the product of the remaining input dims must divide
// exactly by the product of the remaining output dims.
func reshapeInferDim(in, out []Dim, at int) Dim {
	rest := append([]Dim(nil), in...)
	var others []Dim
	for i, d := range out {
		if i == at {
			continue
		}
		if d.IsUnknown() {
			return Unknown()
		}
		found := false
		if d.IsExpr() {
			for j, r := range rest {
				if r.Equal(d) {
					rest = append(rest[:j], rest[j+1:]...)
					found = true
					break
				}
			}
		}
		if !found {
			others = append(others, d)
		}
	}
	num, den := prodDims(rest), prodDims(others)
	if n, ok := den.Int(); ok && n != 0 {
		if m, ok := num.Int(); ok && m%n != 0 {
			return Unknown()
		}
		// A constant divisor must divide every coefficient.
		if q := num.FloorDiv(den); q.Mul(den).Equal(num) {
			return q
		}
		return Unknown()
	}
	if den.IsStatic() { // 0
		return Unknown()
	}
	return num.FloorDiv(den)
}

// maxInferredRank bounds ranks taken from an operand's length, so that a
// malformed model cannot make inference allocate absurdly.
const maxInferredRank = 1 << 10

// unknownDimsUpTo returns n unknown dims, or an unranked shape when n is
// out of any plausible range.
func unknownDimsUpTo(n int64) Shape {
	if n < 0 || n > maxInferredRank {
		return UnrankedShape()
	}
	return UnknownDims(int(n))
}

func inferFlatten(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	s := x.Type.Shape
	if !s.Ranked {
		return []Type{TensorType(x.Type.DType, UnknownDims(2))}, nil
	}
	axis := op.Int("axis")
	r := int64(len(s.Dims))
	if axis < -r || axis > r {
		return nil, fmt.Errorf("axis %d out of range for rank %d", axis, r)
	}
	if axis < 0 {
		axis += r
	}
	return []Type{TensorType(x.Type.DType, Shape{Ranked: true, Dims: []Dim{prodDims(s.Dims[:axis]), prodDims(s.Dims[axis:])}})}, nil
}

// normDistinctAxes normalizes axes for rank, rejecting duplicates.
func normDistinctAxes(axes []int64, rank int) ([]int, error) {
	seen := make(map[int]bool, len(axes))
	out := make([]int, len(axes))
	for i, a := range axes {
		n, err := NormAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if seen[n] {
			return nil, fmt.Errorf("axis %d repeated", a)
		}
		seen[n] = true
		out[i] = n
	}
	return out, nil
}

func inferSqueeze(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	s := x.Type.Shape
	d := x.Type.DType
	if !s.Ranked {
		return []Type{TensorType(d, UnrankedShape())}, nil
	}
	var drop map[int]bool
	if a := op.Arg(1); a != nil {
		axes, ok := KnownInts(a)
		if !ok {
			if n := a.Type.Shape; n.Rank() == 1 && n.Dims[0].IsStatic() {
				if n.Dims[0].Size > int64(len(s.Dims)) {
					return nil, fmt.Errorf("%d axes for rank %d", n.Dims[0].Size, len(s.Dims))
				}
				return []Type{TensorType(d, UnknownDims(len(s.Dims)-int(n.Dims[0].Size)))}, nil
			}
			return []Type{TensorType(d, UnrankedShape())}, nil
		}
		ax, err := normDistinctAxes(axes, len(s.Dims))
		if err != nil {
			return nil, err
		}
		drop = map[int]bool{}
		for _, a := range ax {
			if s.Dims[a].IsStatic() && s.Dims[a].Size != 1 {
				return nil, fmt.Errorf("cannot squeeze dim %d of size %d", a, s.Dims[a].Size)
			}
			drop[a] = true
		}
	} else {
		drop = map[int]bool{}
		for i, dm := range s.Dims {
			if !dm.IsStatic() {
				return []Type{TensorType(d, UnrankedShape())}, nil
			}
			if dm.Size == 1 {
				drop[i] = true
			}
		}
	}
	out := Shape{Ranked: true, Dims: []Dim{}}
	for i, dm := range s.Dims {
		if !drop[i] {
			out.Dims = append(out.Dims, dm)
		}
	}
	return []Type{TensorType(d, out)}, nil
}

func inferUnsqueeze(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	a, err := inferOperand(op, 1)
	if err != nil {
		return nil, err
	}
	s := x.Type.Shape
	d := x.Type.DType
	axes, ok := KnownInts(a)
	if !s.Ranked || !ok {
		if s.Ranked && a.Type.Shape.Rank() == 1 && a.Type.Shape.Dims[0].IsStatic() {
			return []Type{TensorType(d, unknownDimsUpTo(int64(len(s.Dims))+a.Type.Shape.Dims[0].Size))}, nil
		}
		return []Type{TensorType(d, UnrankedShape())}, nil
	}
	rank := len(s.Dims) + len(axes)
	ax, err := normDistinctAxes(axes, rank)
	if err != nil {
		return nil, err
	}
	ins := map[int]bool{}
	for _, a := range ax {
		ins[a] = true
	}
	out := Shape{Ranked: true, Dims: make([]Dim, 0, rank)}
	j := 0
	for i := 0; i < rank; i++ {
		if ins[i] {
			out.Dims = append(out.Dims, Static(1))
		} else {
			out.Dims = append(out.Dims, s.Dims[j])
			j++
		}
	}
	return []Type{TensorType(d, out)}, nil
}

// TransposePerm returns op's permutation for rank, defaulting to reversal,
// after checking that it is one.
func TransposePerm(op *Op, rank int) ([]int, error) {
	p := op.Ints("perm")
	out := make([]int, rank)
	if p == nil {
		for i := range out {
			out[i] = rank - 1 - i
		}
		return out, nil
	}
	if len(p) != rank {
		return nil, fmt.Errorf("perm %v has %d entries for rank %d", p, len(p), rank)
	}
	seen := make([]bool, rank)
	for i, x := range p {
		if x < 0 || x >= int64(rank) || seen[x] {
			return nil, fmt.Errorf("perm %v is not a permutation of 0..%d", p, rank-1)
		}
		seen[x] = true
		out[i] = int(x)
	}
	return out, nil
}

func inferTranspose(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	s := x.Type.Shape
	if !s.Ranked {
		if p := op.Ints("perm"); p != nil {
			return []Type{TensorType(x.Type.DType, UnknownDims(len(p)))}, nil
		}
		return []Type{x.Type}, nil
	}
	perm, err := TransposePerm(op, len(s.Dims))
	if err != nil {
		return nil, err
	}
	out := Shape{Ranked: true, Dims: make([]Dim, len(perm))}
	for i, p := range perm {
		out.Dims[i] = s.Dims[p]
	}
	return []Type{TensorType(x.Type.DType, out)}, nil
}

func inferConcat(op *Op) ([]Type, error) {
	if len(op.Args) == 0 {
		return nil, fmt.Errorf("no operands")
	}
	var out Shape
	var d DType
	axis := op.Int("axis")
	first := true
	sum := Static(0) // the sizes along axis: a constant, an expression or unknown
	for i := range op.Args {
		a, err := inferOperand(op, i)
		if err != nil {
			return nil, err
		}
		if d == InvalidDType {
			d = a.Type.DType
		} else if a.Type.DType != d {
			return nil, fmt.Errorf("operand %d is %v, operand 0 is %v", i, a.Type.DType, d)
		}
		s := a.Type.Shape
		if !s.Ranked {
			sum = Unknown()
			continue
		}
		ax, err := NormAxis(axis, len(s.Dims))
		if err != nil {
			return nil, err
		}
		if first {
			out = s.Clone()
			first = false
		} else {
			if len(s.Dims) != len(out.Dims) {
				return nil, fmt.Errorf("operand %d has rank %d, others %d", i, len(s.Dims), len(out.Dims))
			}
			for k := range s.Dims {
				if k == ax {
					continue
				}
				m, err := mergeShapes(Shape{Ranked: true, Dims: out.Dims[k : k+1]}, Shape{Ranked: true, Dims: s.Dims[k : k+1]})
				if err != nil {
					return nil, fmt.Errorf("operand %d dim %d: %v vs %v", i, k, s.Dims[k], out.Dims[k])
				}
				out.Dims[k] = m.Dims[0]
			}
		}
		sum = sum.Add(s.Dims[ax])
	}
	if first {
		return []Type{TensorType(d, UnrankedShape())}, nil
	}
	ax, _ := NormAxis(axis, len(out.Dims))
	out.Dims[ax] = sum
	return []Type{TensorType(d, out)}, nil
}

func inferSplit(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	n := len(op.Results)
	if n == 0 {
		n = 1
	}
	out := make([]Type, n)
	s := x.Type.Shape
	d := x.Type.DType
	if !s.Ranked {
		for i := range out {
			out[i] = TensorType(d, UnrankedShape())
		}
		return out, nil
	}
	ax, err := NormAxis(op.Int("axis"), len(s.Dims))
	if err != nil {
		return nil, err
	}
	uneven := op.Has("num_outputs")
	if uneven && op.Int("num_outputs") != int64(n) {
		return nil, fmt.Errorf("num_outputs is %d but the op has %d results", op.Int("num_outputs"), n)
	}
	if uneven && op.Arg(1) != nil {
		return nil, fmt.Errorf("split and num_outputs are both given")
	}
	var sizes []Dim
	if sp := op.Arg(1); sp != nil {
		if vals, ok := KnownInts(sp); ok {
			if len(vals) != n {
				return nil, fmt.Errorf("split has %d sizes for %d outputs", len(vals), n)
			}
			var total int64
			for _, v := range vals {
				if v < 0 {
					return nil, fmt.Errorf("split size %d is negative", v)
				}
				total += v
				sizes = append(sizes, Static(v))
			}
			if dm := s.Dims[ax]; dm.IsStatic() && dm.Size != total {
				return nil, fmt.Errorf("split sizes sum to %d, dim %d is %d", total, ax, dm.Size)
			}
		}
	} else if dm := s.Dims[ax]; dm.IsStatic() {
		parts, err := SplitParts(dm.Size, int64(n), uneven)
		if err != nil {
			return nil, fmt.Errorf("dim %d: %w", ax, err)
		}
		for _, p := range parts {
			sizes = append(sizes, Static(p))
		}
	} else if q := dm.FloorDiv(Static(int64(n))); q.IsKnown() && q.Mul(Static(int64(n))).Equal(dm) {
		// An expression that divides exactly (2*seq in two parts).
		for range n {
			sizes = append(sizes, q)
		}
	}
	for i := range out {
		sh := s.Clone()
		if sizes != nil {
			sh.Dims[ax] = sizes[i]
		} else {
			sh.Dims[ax] = Unknown()
		}
		out[i] = TensorType(d, sh)
	}
	return out, nil
}

// SplitParts gives the sizes Split cuts a dim of size d into, for n results
// and no split operand: equal parts, or with uneven (Split-18's
// num_outputs) parts of ceil(d/n) with a smaller last one, as ONNX
// defines it. It errors when no such split exists.
func SplitParts(d, n int64, uneven bool) ([]int64, error) {
	if n < 1 {
		return nil, fmt.Errorf("no outputs to split into")
	}
	parts := make([]int64, n)
	if d%n == 0 {
		for i := range parts {
			parts[i] = d / n
		}
		return parts, nil
	}
	if !uneven {
		return nil, fmt.Errorf("size %d does not split into %d equal parts", d, n)
	}
	q := d/n + 1
	last := d - q*(n-1)
	if last < 0 {
		return nil, fmt.Errorf("size %d does not split into %d parts of %d and a smaller last one", d, n, q)
	}
	for i := range parts {
		parts[i] = q
	}
	parts[n-1] = last
	return parts, nil
}

// shapeOperandDims evaluates a shape operand (Expand, ConstantOfShape, ...) into
// dims; ok is false when even its length is unknown.
func shapeOperandDims(v *Value) ([]Dim, bool) {
	elems, ok := ShapeValue(v)
	if !ok {
		return nil, false
	}
	out := make([]Dim, len(elems))
	for i, e := range elems {
		out[i] = sizeDim(e)
	}
	return out, true
}

func inferExpand(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	sh, err := inferOperand(op, 1)
	if err != nil {
		return nil, err
	}
	dims, ok := shapeOperandDims(sh)
	if !ok || !x.Type.Shape.Ranked {
		return []Type{TensorType(x.Type.DType, UnrankedShape())}, nil
	}
	// A target dim of 1 keeps the input's dim, so an unknown target dim is
	// no more unknown than broadcastDim makes it.
	s, err := BroadcastShapes(x.Type.Shape, Shape{Ranked: true, Dims: dims})
	if err != nil {
		return nil, err
	}
	return []Type{TensorType(x.Type.DType, s)}, nil
}

func inferTile(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	s := x.Type.Shape
	if !s.Ranked {
		return []Type{x.Type}, nil
	}
	rep, ok := KnownInts(op.Arg(1))
	out := s.Clone()
	if !ok {
		return []Type{TensorType(x.Type.DType, UnknownDims(len(s.Dims)))}, nil
	}
	if len(rep) != len(s.Dims) {
		return nil, fmt.Errorf("repeats has %d entries for rank %d", len(rep), len(s.Dims))
	}
	for i, r := range rep {
		switch {
		case r < 0:
			return nil, fmt.Errorf("repeats[%d] is %d", i, r)
		case r == 1:
		case s.Dims[i].IsStatic():
			out.Dims[i] = Static(s.Dims[i].Size * r)
		default:
			out.Dims[i] = s.Dims[i].Mul(Static(r))
		}
	}
	return []Type{TensorType(x.Type.DType, out)}, nil
}

func inferShapeOp(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	if !x.Type.Shape.Ranked {
		return []Type{TensorType(I64, UnknownDims(1))}, nil
	}
	start, end, _ := shapeOpRange(op, x.Type.Shape.Rank())
	return []Type{TensorType(I64, ShapeOf(int64(end-start)))}, nil
}

func inferConstantOfShape(op *Op) ([]Type, error) {
	sh, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	d := F32
	if v, ok := op.Attr("value"); ok && v.Kind == AttrTensor && v.Tensor != nil {
		d = v.Tensor.Type.DType
		if n := v.Tensor.Type.Shape.NumElements(); n != 1 {
			return nil, fmt.Errorf("value has %d elements, want 1", n)
		}
	}
	dims, ok := shapeOperandDims(sh)
	if !ok {
		return []Type{TensorType(d, UnrankedShape())}, nil
	}
	return []Type{TensorType(d, Shape{Ranked: true, Dims: dims})}, nil
}

// CenterCropAxes resolves CenterCropPad's axes attribute (nil: every
// axis) for a rank and checks there is one size in shape per axis.
func CenterCropAxes(axes []int64, nshape, rank int) ([]int, error) {
	if axes == nil {
		if nshape != rank {
			return nil, fmt.Errorf("shape has %d sizes for rank %d", nshape, rank)
		}
		out := make([]int, rank)
		for i := range out {
			out[i] = i
		}
		return out, nil
	}
	if nshape != len(axes) {
		return nil, fmt.Errorf("shape has %d sizes for %d axes", nshape, len(axes))
	}
	out := make([]int, len(axes))
	seen := make([]bool, rank)
	for i, a := range axes {
		n, err := NormAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if seen[n] {
			return nil, fmt.Errorf("axis %d given twice", a)
		}
		seen[n], out[i] = true, n
	}
	return out, nil
}

func inferCenterCropPad(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	s := x.Type.Shape
	if !s.Ranked {
		return []Type{x.Type}, nil
	}
	var axes []int64
	if op.Has("axes") {
		axes = op.Ints("axes")
	}
	out := s.Clone()
	sizes, ok := KnownInts(op.Arg(1))
	if !ok {
		for _, a := range axes {
			if n, err := NormAxis(a, len(s.Dims)); err == nil {
				out.Dims[n] = Unknown()
			}
		}
		if axes == nil {
			out = UnknownDims(len(s.Dims))
		}
		return []Type{TensorType(x.Type.DType, out)}, nil
	}
	ax, err := CenterCropAxes(axes, len(sizes), len(s.Dims))
	if err != nil {
		return nil, err
	}
	for i, a := range ax {
		if sizes[i] < 0 {
			return nil, fmt.Errorf("shape[%d] is %d", i, sizes[i])
		}
		out.Dims[a] = Static(sizes[i])
	}
	return []Type{TensorType(x.Type.DType, out)}, nil
}

// PadsForAxes expands Pad's pads operand to [begins..., ends...] over all
// rank axes. With an axes operand (hasAxes; Pad-18) pads holds a begin and
// an end for each axis listed, in that order, and the other axes get none.
func PadsForAxes(pads, axes []int64, hasAxes bool, rank int) ([]int64, error) {
	if !hasAxes {
		if len(pads) != 2*rank {
			return nil, fmt.Errorf("pads has %d entries for rank %d", len(pads), rank)
		}
		return pads, nil
	}
	if len(pads) != 2*len(axes) {
		return nil, fmt.Errorf("pads has %d entries for %d axes", len(pads), len(axes))
	}
	full := make([]int64, 2*rank)
	seen := make([]bool, rank)
	for i, a := range axes {
		ax, err := NormAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, fmt.Errorf("axis %d given twice", a)
		}
		seen[ax] = true
		full[ax], full[ax+rank] = pads[i], pads[i+len(axes)]
	}
	return full, nil
}

func inferPad(op *Op) ([]Type, error) {
	x, err := inferOperand(op, 0)
	if err != nil {
		return nil, err
	}
	s := x.Type.Shape
	switch m := op.Str("mode"); m {
	case "constant", "reflect", "edge", "wrap":
	default:
		return nil, fmt.Errorf("unknown mode %q", m)
	}
	if !s.Ranked {
		return []Type{x.Type}, nil
	}
	pads, ok := KnownInts(op.Arg(1))
	var axes []int64
	if a := op.Arg(3); a != nil && ok {
		axes, ok = KnownInts(a)
	}
	if !ok {
		return []Type{TensorType(x.Type.DType, UnknownDims(len(s.Dims)))}, nil
	}
	r := len(s.Dims)
	pads, err = PadsForAxes(pads, axes, op.Arg(3) != nil, r)
	if err != nil {
		return nil, err
	}
	out := s.Clone()
	for i := range out.Dims {
		if p := pads[i] + pads[i+r]; p != 0 {
			if s.Dims[i].IsStatic() {
				n := s.Dims[i].Size + p
				if n < 0 {
					return nil, fmt.Errorf("pads crop dim %d of size %d below zero", i, s.Dims[i].Size)
				}
				out.Dims[i] = Static(n)
			} else {
				out.Dims[i] = s.Dims[i].Add(DimInt(p))
			}
		}
	}
	return []Type{TensorType(x.Type.DType, out)}, nil
}

func inferDepthSpace(toSpace bool) InferFunc {
	return func(op *Op) ([]Type, error) {
		x, err := inferOperand(op, 0)
		if err != nil {
			return nil, err
		}
		b := op.Int("blocksize")
		if b <= 0 {
			return nil, fmt.Errorf("blocksize %d, want > 0", b)
		}
		if toSpace {
			if m := op.Str("mode"); m != "DCR" && m != "CRD" {
				return nil, fmt.Errorf("unknown mode %q", m)
			}
		}
		s := x.Type.Shape
		if !s.Ranked {
			return []Type{TensorType(x.Type.DType, UnknownDims(4))}, nil
		}
		if len(s.Dims) != 4 {
			return nil, fmt.Errorf("input has rank %d, want 4", len(s.Dims))
		}
		out := s.Clone()
		scale := func(i int, mul bool) error {
			dm := s.Dims[i]
			f := b
			if i == 1 {
				var ok bool
				if f, ok = CheckedMul(b, b); !ok {
					return fmt.Errorf("blocksize %d: its square overflows", b)
				}
			}
			if !dm.IsStatic() {
				out.Dims[i] = Unknown()
				if q := dm.FloorDiv(Static(f)); mul {
					out.Dims[i] = dm.Mul(Static(f))
				} else if q.IsKnown() && q.Mul(Static(f)).Equal(dm) {
					out.Dims[i] = q
				}
				return nil
			}
			if mul {
				n, ok := CheckedMul(dm.Size, f)
				if !ok {
					return fmt.Errorf("dim %d of size %d times %d overflows", i, dm.Size, f)
				}
				out.Dims[i] = Static(n)
				return nil
			}
			if dm.Size%f != 0 {
				return fmt.Errorf("dim %d of size %d is not a multiple of %d", i, dm.Size, f)
			}
			out.Dims[i] = Static(dm.Size / f)
			return nil
		}
		for i := 1; i < 4; i++ {
			mul := (i == 1) != toSpace
			if err := scale(i, mul); err != nil {
				return nil, err
			}
		}
		return []Type{TensorType(x.Type.DType, out)}, nil
	}
}

// shapeValueConcat joins the operands' elements (in C order, which is
// their concatenation along axis 0).
func shapeValueConcat(op *Op, arg func(int) ([]Dim, bool)) ([]Dim, bool) {
	if len(op.Results) > 0 && op.Results[0].Type.Shape.Rank() > 1 && op.Int("axis") != 0 {
		return nil, false
	}
	var out []Dim
	for i := range op.Args {
		el, ok := arg(i)
		if !ok {
			return nil, false
		}
		out = append(out, el...)
	}
	return out, true
}

// shapeValueShape reads the operand's dims start..end.
func shapeValueShape(op *Op, arg func(int) ([]Dim, bool)) ([]Dim, bool) {
	in := op.Arg(0)
	if in == nil || !in.Type.IsTensor() || !in.Type.Shape.Ranked {
		return nil, false
	}
	dims := in.Type.Shape.Dims
	start, end, ok := shapeOpRange(op, len(dims))
	if !ok {
		return nil, false
	}
	return append([]Dim(nil), dims[start:end]...), true
}

// shapeValueSize is the product of the operand's dims.
func shapeValueSize(op *Op, arg func(int) ([]Dim, bool)) ([]Dim, bool) {
	in := op.Arg(0)
	if in == nil || !in.Type.IsTensor() || !in.Type.Shape.Ranked {
		return []Dim{Unknown()}, true
	}
	return []Dim{prodDims(in.Type.Shape.Dims)}, true
}

// shapeValueConstantOfShape fills a vector of known length with the value
// attribute.
func shapeValueConstantOfShape(op *Op, arg func(int) ([]Dim, bool)) ([]Dim, bool) {
	n, ok := KnownInts(op.Arg(0))
	if !ok || len(n) > 1 || (len(n) == 1 && (n[0] < 0 || n[0] > maxShapeValueLen)) {
		return nil, false
	}
	fill := Static(0)
	if a, ok := op.Attr("value"); ok && a.Kind == AttrTensor {
		vals, ok := ConstInts(a.Tensor)
		if !ok || len(vals) != 1 {
			return nil, false
		}
		fill = DimInt(vals[0])
	}
	out := []Dim{fill}
	if len(n) == 1 {
		out = make([]Dim, n[0])
		for i := range out {
			out[i] = fill
		}
	}
	return out, true
}

// shapeValueTranspose permutes a small static-shaped shape value (torch
// exports its pad lists through Reshape, Slice and Transpose of a [n,2]
// tensor).
func shapeValueTranspose(op *Op, arg func(int) ([]Dim, bool)) ([]Dim, bool) {
	in := op.Arg(0)
	data, ok := arg(0)
	if !ok || in == nil {
		return nil, false
	}
	sizes, ok := in.Type.Shape.Sizes()
	if !ok {
		return nil, false
	}
	perm, err := TransposePerm(op, len(sizes))
	if err != nil {
		return nil, false
	}
	outSizes := make([]int64, len(perm))
	for i, p := range perm {
		outSizes[i] = sizes[p]
	}
	strides := cStrides(sizes)
	out := make([]Dim, 0, len(data))
	forEachIndex(outSizes, func(idx []int64) {
		var off int64
		for i, p := range perm {
			off += idx[i] * strides[p]
		}
		out = append(out, data[off])
	})
	return out, len(out) == len(data)
}

// cStrides returns the C-order strides of a shape.
func cStrides(sizes []int64) []int64 {
	st := make([]int64, len(sizes))
	n := int64(1)
	for i := len(sizes) - 1; i >= 0; i-- {
		st[i] = n
		n *= sizes[i]
	}
	return st
}

// forEachIndex calls f with every multi-index of sizes in C order.
func forEachIndex(sizes []int64, f func(idx []int64)) {
	for _, n := range sizes {
		if n <= 0 {
			return
		}
	}
	idx := make([]int64, len(sizes))
	for {
		f(idx)
		i := len(idx) - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < sizes[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}
