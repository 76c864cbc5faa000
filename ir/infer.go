package ir

import "fmt"

// Helpers shared by the ops' InferFuncs.

// BroadcastShapes returns the numpy-style broadcast of shapes, or an error
// naming the first pair of static dims that cannot broadcast.
func BroadcastShapes(shapes ...Shape) (Shape, error) {
	rank := 0
	for _, s := range shapes {
		if !s.Ranked {
			return UnrankedShape(), nil
		}
		rank = max(rank, len(s.Dims))
	}
	out := make([]Dim, rank)
	for i := range out {
		out[i] = Static(1)
	}
	for _, s := range shapes {
		off := rank - len(s.Dims)
		for i, d := range s.Dims {
			r, err := broadcastDim(out[off+i], d)
			if err != nil {
				return Shape{}, fmt.Errorf("cannot broadcast %v with %v: %w", shapes[0], s, err)
			}
			out[off+i] = r
		}
	}
	return Shape{Ranked: true, Dims: out}, nil
}

func broadcastDim(a, b Dim) (Dim, error) {
	switch {
	case a.Equal(b):
		return a, nil
	case a.Size == 1:
		return b, nil
	case b.Size == 1:
		return a, nil
	case a.IsStatic() && b.IsStatic():
		return Dim{}, fmt.Errorf("dims %d and %d", a.Size, b.Size)
	case a.IsStatic():
		return a, nil // b must be 1 or equal to a at run time
	case b.IsStatic():
		return b, nil
	case atLeast(a, 2):
		return a, nil // b must be 1 or equal to a
	case atLeast(b, 2):
		return b, nil
	}
	return Unknown(), nil
}

// atLeast reports whether d is provably ≥ n, symbols taken as ≥ 0.
func atLeast(d Dim, n int64) bool {
	lo, ok := d.LowerBound(nil)
	return ok && lo >= n
}

// InferSameAsInput returns the type of operand 0 for every result.
func InferSameAsInput(op *Op) ([]Type, error) {
	if len(op.Args) == 0 || op.Args[0] == nil {
		return nil, fmt.Errorf("missing operand 0")
	}
	out := make([]Type, max(1, len(op.Results)))
	for i := range out {
		out[i] = op.Args[0].Type
	}
	return out, nil
}

// InferBroadcast returns the broadcast of all present tensor operands, with
// the element type of operand 0.
func InferBroadcast(op *Op) ([]Type, error) {
	return inferBroadcastAs(op, InvalidDType)
}

// InferBroadcastBool is InferBroadcast with a bool result (comparisons).
func InferBroadcastBool(op *Op) ([]Type, error) { return inferBroadcastAs(op, Bool) }

func inferBroadcastAs(op *Op, d DType) ([]Type, error) {
	var shapes []Shape
	var first *Value
	for _, a := range op.Args {
		if a == nil {
			continue
		}
		if !a.Type.IsTensor() {
			return nil, fmt.Errorf("operand is %v, want a tensor", a.Type)
		}
		if first == nil {
			first = a
		}
		shapes = append(shapes, a.Type.Shape)
	}
	if first == nil {
		return nil, fmt.Errorf("no operands")
	}
	s, err := BroadcastShapes(shapes...)
	if err != nil {
		return nil, err
	}
	if d == InvalidDType {
		d = first.Type.DType
	}
	return []Type{TensorType(d, s)}, nil
}

// NormAxis maps a possibly negative axis into [0, rank).
func NormAxis(axis int64, rank int) (int, error) {
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}

// UnknownDims returns a ranked shape of n unknown dims.
func UnknownDims(n int) Shape {
	s := Shape{Ranked: true, Dims: make([]Dim, n)}
	for i := range s.Dims {
		s.Dims[i] = Unknown()
	}
	return s
}

// wholePayload reports whether constant v holds exactly the bytes its type
// needs.
func wholePayload(v *Value) bool {
	n, err := v.Type.ByteSize()
	return err == nil && n == int64(len(v.Const.Bytes))
}

// ConstInts returns the values of v as int64s when v is a module constant of
// an integer type (or bool), for inference that depends on constant operands.
func ConstInts(v *Value) ([]int64, bool) {
	if !v.IsConst() || !wholePayload(v) {
		return nil, false
	}
	out, err := DecodeInt64s(v.Type.DType, v.Const.Bytes)
	if err != nil {
		return nil, false
	}
	return out, true
}

// ConstFloats returns the values of v as float64s when v is a module constant
// of a real floating-point type.
func ConstFloats(v *Value) ([]float64, bool) {
	if !v.IsConst() || !wholePayload(v) {
		return nil, false
	}
	out, err := DecodeFloat64s(v.Type.DType, v.Const.Bytes)
	if err != nil {
		return nil, false
	}
	return out, true
}
