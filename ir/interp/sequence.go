package interp

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("SequenceEmpty", kernelSequenceEmpty)
	Register("SequenceConstruct", kernelSequenceConstruct)
	Register("SequenceInsert", kernelSequenceInsert)
	Register("SequenceAt", kernelSequenceAt)
	Register("SequenceErase", kernelSequenceErase)
	Register("SequenceLength", kernelSequenceLength)
	Register("SplitToSequence", kernelSplitToSequence)
	Register("ConcatFromSequence", kernelConcatFromSequence)
	Register("Optional", kernelOptional)
	Register("OptionalHasElement", kernelOptionalHasElement)
	Register("OptionalGetElement", kernelOptionalGetElement)
}

// seqResultElem is the element type op's result i declares for its sequence or
// optional, falling back to the type of a sample value.
func seqResultElem(op *ir.Op, i int, sample Value) ir.Type {
	if i < len(op.Results) {
		if e := op.Results[i].Type.Elem; e != nil {
			return *e
		}
	}
	if sample != nil {
		return sample.Type()
	}
	return ir.Type{}
}

// seqOptArg returns operand i, or nil when it is absent or beyond the operands
// given (trailing optional operands may be left out).
func seqOptArg(args []Value, i int) Value {
	if i < len(args) {
		return args[i]
	}
	return nil
}

func seqOperand(v Value, what string) (*Sequence, error) {
	s, ok := v.(*Sequence)
	if !ok || s == nil {
		if v == nil {
			return nil, fmt.Errorf("%s is absent, want a sequence", what)
		}
		return nil, fmt.Errorf("%s is %v, want a sequence", what, v.Type())
	}
	return s, nil
}

// seqScalarIndex reads an int32 or int64 tensor holding one element.
func seqScalarIndex(v Value, what string) (int64, error) {
	t, ok := v.(*Tensor)
	if !ok {
		return 0, fmt.Errorf("%s is %v, want an integer tensor", what, v.Type())
	}
	if t.Len() != 1 {
		return 0, fmt.Errorf("%s has shape %v, want a single element", what, t.Shape)
	}
	switch d := t.Data.(type) {
	case []int64:
		return d[0], nil
	case []int32:
		return int64(d[0]), nil
	}
	return 0, fmt.Errorf("%s is %v, want int32 or int64", what, t.DType)
}

// seqPosition normalizes a possibly negative position into [0, n) (or
// [0, n] when end is allowed, for inserts).
func seqPosition(v Value, n int, end bool) (int, error) {
	p, err := seqScalarIndex(v, "position")
	if err != nil {
		return 0, err
	}
	hi := int64(n) - 1
	if end {
		hi = int64(n)
	}
	if p < -int64(n) || p > hi {
		return 0, fmt.Errorf("position %d out of range for a sequence of %d", p, n)
	}
	if p < 0 {
		p += int64(n)
	}
	return int(p), nil
}

func kernelSequenceEmpty(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	e := seqResultElem(op, 0, nil)
	if e.Kind == ir.InvalidKind {
		v, _ := op.Attr("dtype")
		e = ir.TensorType(v.DType, ir.UnrankedShape())
	}
	return []Value{&Sequence{Elem: e}}, nil
}

func kernelSequenceConstruct(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	// SequenceConstruct takes one or more tensors.
	ts, err := tensorOperands(args, max(1, len(args)), 0)
	if err != nil {
		return nil, err
	}
	items := scratch[Value](len(ts))
	for i, t := range ts {
		if t.DType != ts[0].DType {
			return nil, fmt.Errorf("input %d is %v, input 0 is %v", i, t.DType, ts[0].DType)
		}
		items[i] = t
	}
	return []Value{&Sequence{Elem: seqResultElem(op, 0, args[0]), Items: items}}, nil
}

func kernelSequenceInsert(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	s, err := seqOperand(args[0], "input_sequence")
	if err != nil {
		return nil, err
	}
	t, ok := args[1].(*Tensor)
	if !ok {
		return nil, fmt.Errorf("tensor operand is not a tensor")
	}
	if len(s.Items) > 0 {
		if first, ok := s.Items[0].(*Tensor); !ok || first.DType != t.DType {
			return nil, fmt.Errorf("inserting %v into a sequence of %v", t.Type(), s.Items[0].Type())
		}
	}
	pos := len(s.Items)
	if p := seqOptArg(args, 2); p != nil {
		if pos, err = seqPosition(p, len(s.Items), true); err != nil {
			return nil, err
		}
	}
	items := make([]Value, 0, len(s.Items)+1)
	items = append(items, s.Items[:pos]...)
	items = append(items, t)
	items = append(items, s.Items[pos:]...)
	return []Value{&Sequence{Elem: seqResultElem(op, 0, t), Items: items}}, nil
}

func kernelSequenceAt(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	s, err := seqOperand(args[0], "input_sequence")
	if err != nil {
		return nil, err
	}
	pos, err := seqPosition(args[1], len(s.Items), false)
	if err != nil {
		return nil, err
	}
	return []Value{s.Items[pos]}, nil
}

func kernelSequenceErase(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	s, err := seqOperand(args[0], "input_sequence")
	if err != nil {
		return nil, err
	}
	if len(s.Items) == 0 {
		return nil, fmt.Errorf("erasing from an empty sequence")
	}
	pos := len(s.Items) - 1
	if p := seqOptArg(args, 1); p != nil {
		if pos, err = seqPosition(p, len(s.Items), false); err != nil {
			return nil, err
		}
	}
	items := make([]Value, 0, len(s.Items)-1)
	items = append(items, s.Items[:pos]...)
	items = append(items, s.Items[pos+1:]...)
	return []Value{&Sequence{Elem: s.Elem, Items: items}}, nil
}

func kernelSequenceLength(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	s, err := seqOperand(args[0], "input_sequence")
	if err != nil {
		return nil, err
	}
	return []Value{Scalar(int64(len(s.Items)))}, nil
}

func kernelSplitToSequence(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 2)
	if err != nil {
		return nil, err
	}
	t := ts[0]
	axis, err := ir.NormAxis(op.Int("axis"), len(t.Shape))
	if err != nil {
		return nil, err
	}
	n := t.Shape[axis]
	var sizes []int
	drop := false
	switch st := ts[1]; {
	case st == nil:
		// Without split every slice has size 1, and keepdims=0 drops the axis.
		sizes = scratch[int](n)
		for i := range sizes {
			sizes[i] = 1
		}
		drop = op.Int("keepdims") == 0
	default:
		var vals []int64
		switch d := st.Data.(type) {
		case []int64:
			vals = d
		case []int32:
			for _, v := range d {
				vals = append(vals, int64(v))
			}
		default:
			return nil, fmt.Errorf("split is %v, want int32 or int64", st.DType)
		}
		if len(st.Shape) > 1 {
			return nil, fmt.Errorf("split has rank %d, want a scalar or a 1-D list", len(st.Shape))
		}
		// Each size is checked before it becomes an int, so that huge
		// sizes cannot wrap around to a sum that matches the axis.
		for _, v := range vals {
			if v < 0 || v > int64(n) && len(st.Shape) == 1 {
				return nil, fmt.Errorf("split size %d is outside 0..%d (the axis length)", v, n)
			}
		}
		if len(st.Shape) == 0 {
			// A scalar split gives chunks of that size, the last one shorter.
			k := int(vals[0])
			if k <= 0 {
				return nil, fmt.Errorf("split size %d is not positive", k)
			}
			for left := n; left > 0; left -= k {
				sizes = append(sizes, min(k, left))
			}
		} else {
			for _, v := range vals {
				sizes = append(sizes, int(v))
			}
		}
	}
	parts, err := seqSplitAxis(t, axis, sizes, drop)
	if err != nil {
		return nil, err
	}
	items := scratch[Value](len(parts))
	for i, p := range parts {
		items[i] = p
	}
	return []Value{&Sequence{Elem: seqResultElem(op, 0, t), Items: items}}, nil
}

func kernelConcatFromSequence(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	s, err := seqOperand(args[0], "input_sequence")
	if err != nil {
		return nil, err
	}
	if len(s.Items) == 0 {
		return nil, fmt.Errorf("concatenating an empty sequence")
	}
	ts := scratch[*Tensor](len(s.Items))
	for i, it := range s.Items {
		t, ok := it.(*Tensor)
		if !ok {
			return nil, fmt.Errorf("sequence item %d is not a tensor", i)
		}
		ts[i] = t
	}
	r := len(ts[0].Shape)
	if op.Int("new_axis") == 1 {
		axis, err := ir.NormAxis(op.Int("axis"), r+1)
		if err != nil {
			return nil, err
		}
		out, err := seqStackAxis(ts, axis)
		return []Value{out}, err
	}
	axis, err := ir.NormAxis(op.Int("axis"), r)
	if err != nil {
		return nil, err
	}
	out, err := seqConcatAxis(ts, axis)
	return []Value{out}, err
}

func kernelOptional(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	if len(args) == 0 || args[0] == nil {
		e := seqResultElem(op, 0, nil)
		if v, ok := op.Attr("type"); ok && e.Kind == ir.InvalidKind {
			e = v.Type
		}
		return []Value{&Optional{Elem: e}}, nil
	}
	return []Value{&Optional{Elem: seqResultElem(op, 0, args[0]), Value: args[0]}}, nil
}

func kernelOptionalHasElement(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	has := false
	if len(args) > 0 && args[0] != nil {
		if o, ok := args[0].(*Optional); ok {
			has = o.Value != nil
		} else {
			has = true
		}
	}
	return []Value{Scalar(has)}, nil
}

func kernelOptionalGetElement(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	o, ok := args[0].(*Optional)
	if !ok {
		return args[:1], nil
	}
	if o.Value == nil {
		return nil, fmt.Errorf("the optional is empty")
	}
	return []Value{o.Value}, nil
}
