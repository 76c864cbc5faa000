package interp

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

func init() {
	Register("If", kernelIf)
	Register("Loop", kernelLoop)
	Register("Scan", kernelScan)
	Register("SequenceMap", kernelSequenceMap)
}

// ctlScalarBool reads a bool tensor holding one element.
func ctlScalarBool(v Value, what string) (bool, error) {
	t, ok := v.(*Tensor)
	if !ok || t.DType != ir.Bool || t.Len() != 1 {
		return false, fmt.Errorf("%s must be a single bool, got %v", what, v.Type())
	}
	return Data[bool](t)[0], nil
}

func kernelIf(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	cond, err := ctlScalarBool(args[0], "cond")
	if err != nil {
		return nil, err
	}
	r := op.Regions[1]
	if cond {
		r = op.Regions[0]
	}
	out, err := c.RunRegion(r, nil)
	if err != nil {
		return nil, err
	}
	if len(out) < len(op.Results) {
		return nil, fmt.Errorf("%s returned %d values, If has %d results", r.Name, len(out), len(op.Results))
	}
	return out, nil
}

// ctlEmptyStacked is the value of a scan output that received no slices: a
// tensor with a leading 0 dim and the body's declared dims where static.
func ctlEmptyStacked(t ir.Type) *Tensor {
	shape := []int{0}
	if t.IsTensor() && t.Shape.Ranked {
		for _, d := range t.Shape.Dims {
			shape = append(shape, int(max(d.Size, 0)))
		}
	}
	d := t.DType
	if !d.Valid() {
		d = ir.F32
	}
	return NewTensor(d, shape)
}

// ctlStackScanOutput stacks the per-iteration values of one scan output along
// axis (reversed first when reverse is set).
func ctlStackScanOutput(vals []Value, axis int, reverse bool, body ir.Type) (*Tensor, error) {
	if len(vals) == 0 {
		return ctlEmptyStacked(body), nil
	}
	ts := scratch[*Tensor](len(vals))
	for i, v := range vals {
		t, ok := v.(*Tensor)
		if !ok {
			return nil, fmt.Errorf("scan output is %v, want a tensor", v.Type())
		}
		if reverse {
			ts[len(vals)-1-i] = t
		} else {
			ts[i] = t
		}
	}
	if axis < 0 {
		axis += len(ts[0].Shape) + 1
	}
	return seqStackAxis(ts, axis)
}

func kernelLoop(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	body := op.Regions[0]
	trips := int64(-1)
	if len(args) > 0 && args[0] != nil {
		var err error
		if trips, err = seqScalarIndex(args[0], "M"); err != nil {
			return nil, err
		}
	}
	cond := true
	useCond := len(args) > 1 && args[1] != nil
	if useCond {
		var err error
		if cond, err = ctlScalarBool(args[1], "cond"); err != nil {
			return nil, err
		}
	}
	var carried []Value
	if len(args) > 2 {
		carried = append(carried, args[2:]...)
	}
	n := len(carried)
	k := len(body.Results) - 1 - n
	if k < 0 {
		return nil, fmt.Errorf("body returns %d values, want at least %d", len(body.Results), 1+n)
	}
	scans := scratch[[]Value](k)
	// A scan output grows every iteration; once its slices outweigh the
	// memory budget, stacking them would be refused, so stop there rather
	// than hold them all until the loop ends.
	scanBytes := scratch[int64](k)
	for i := int64(0); (trips < 0 || i < trips) && cond; i++ {
		params := append([]Value{Scalar(i), Scalar(cond)}, carried...)
		res, err := c.RunRegion(body, params)
		if err != nil {
			return nil, fmt.Errorf("iteration %d: %w", i, err)
		}
		if len(res) != 1+n+k {
			return nil, fmt.Errorf("body returned %d values, want %d", len(res), 1+n+k)
		}
		// The body always returns a condition, but the ONNX Loop spec
		// ignores it when the cond operand is absent (a plain for loop, or
		// an infinite loop without M).
		if useCond {
			if cond, err = ctlScalarBool(res[0], "body condition"); err != nil {
				return nil, fmt.Errorf("iteration %d: %w", i, err)
			}
		}
		carried = res[1 : 1+n]
		for j := range scans {
			scans[j] = append(scans[j], res[1+n+j])
			if t, ok := res[1+n+j].(*Tensor); ok {
				if b, err := ir.MemBytes(t.DType, int64(t.Len())); err == nil {
					scanBytes[j] += b
				}
				if limit := tensor.MaxBytes(); scanBytes[j] > limit {
					return nil, fmt.Errorf("iteration %d: scan output %d holds %d bytes, over the memory budget of %d bytes", i, j, scanBytes[j], limit)
				}
			}
		}
	}
	out := append([]Value(nil), carried...)
	for j, vals := range scans {
		t, err := ctlStackScanOutput(vals, 0, false, body.Results[1+n+j].Type)
		if err != nil {
			return nil, fmt.Errorf("scan output %d: %w", j, err)
		}
		out = append(out, t)
	}
	return out, nil
}

func kernelScan(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	body := op.Regions[0]
	m := int(op.Int("num_scan_inputs"))
	n := len(args) - m
	if m < 1 || n < 0 {
		return nil, fmt.Errorf("num_scan_inputs %d does not fit %d operands", m, len(args))
	}
	k := len(body.Results) - n
	if k < 0 || len(body.Params) != len(args) {
		return nil, fmt.Errorf("body takes %d params and returns %d values for %d state values and %d scan inputs", len(body.Params), len(body.Results), n, m)
	}
	inAxes, inDirs := op.Ints("scan_input_axes"), op.Ints("scan_input_directions")
	outAxes, outDirs := op.Ints("scan_output_axes"), op.Ints("scan_output_directions")
	pick := func(xs []int64, i int) int64 {
		if i < len(xs) {
			return xs[i]
		}
		return 0
	}
	// Slice every scan input along its axis up front.
	slices := scratch[[]*Tensor](m)
	length := -1
	for j := 0; j < m; j++ {
		t, ok := args[n+j].(*Tensor)
		if !ok {
			return nil, fmt.Errorf("scan input %d is not a tensor", j)
		}
		axis, err := ir.NormAxis(pick(inAxes, j), len(t.Shape))
		if err != nil {
			return nil, fmt.Errorf("scan input %d: %w", j, err)
		}
		if length >= 0 && t.Shape[axis] != length {
			return nil, fmt.Errorf("scan input %d has %d steps along axis %d, scan input 0 has %d", j, t.Shape[axis], axis, length)
		}
		length = t.Shape[axis]
		sizes := scratch[int](length)
		for i := range sizes {
			sizes[i] = 1
		}
		if slices[j], err = seqSplitAxis(t, axis, sizes, true); err != nil {
			return nil, fmt.Errorf("scan input %d: %w", j, err)
		}
	}
	state := append([]Value(nil), args[:n]...)
	scans := scratch[[]Value](k)
	for step := 0; step < length; step++ {
		params := append([]Value(nil), state...)
		for j := 0; j < m; j++ {
			at := step
			if pick(inDirs, j) == 1 {
				at = length - 1 - step
			}
			params = append(params, slices[j][at])
		}
		res, err := c.RunRegion(body, params)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", step, err)
		}
		if len(res) != n+k {
			return nil, fmt.Errorf("body returned %d values, want %d", len(res), n+k)
		}
		state = res[:n]
		for j := range scans {
			scans[j] = append(scans[j], res[n+j])
		}
	}
	out := state
	for j, vals := range scans {
		t, err := ctlStackScanOutput(vals, int(pick(outAxes, j)), pick(outDirs, j) == 1, body.Results[n+j].Type)
		if err != nil {
			return nil, fmt.Errorf("scan output %d: %w", j, err)
		}
		out = append(out, t)
	}
	return out, nil
}

func kernelSequenceMap(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	body := op.Regions[0]
	first, err := seqOperand(args[0], "input_sequence")
	if err != nil {
		return nil, err
	}
	length := len(first.Items)
	for i, a := range args[1:] {
		if s, ok := a.(*Sequence); ok && len(s.Items) != length {
			return nil, fmt.Errorf("additional input %d has %d elements, input_sequence %d", i, len(s.Items), length)
		}
	}
	outs := scratch[[]Value](len(body.Results))
	for e := 0; e < length; e++ {
		params := scratch[Value](len(args))
		for i, a := range args {
			if s, ok := a.(*Sequence); ok {
				params[i] = s.Items[e]
			} else {
				params[i] = a
			}
		}
		res, err := c.RunRegion(body, params)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", e, err)
		}
		for j := range outs {
			outs[j] = append(outs[j], res[j])
		}
	}
	result := scratch[Value](len(outs))
	for j, items := range outs {
		result[j] = &Sequence{Elem: seqResultElem(op, j, seqFirstItem(items)), Items: items}
	}
	return result, nil
}

func seqFirstItem(vs []Value) Value {
	if len(vs) == 0 {
		return nil
	}
	return vs[0]
}
