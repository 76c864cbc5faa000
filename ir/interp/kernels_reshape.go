package interp

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("Reshape", kernelReshape)
	Register("Flatten", kernelFlatten)
	Register("Squeeze", kernelSqueeze)
	Register("Unsqueeze", kernelUnsqueeze)
	Register("Transpose", kernelTranspose)
	Register("Concat", kernelConcat)
	Register("Split", kernelSplit)
	Register("Expand", kernelExpand)
	Register("Tile", kernelTile)
	Register("Shape", kernelShape)
	Register("Size", kernelSize)
	Register("ConstantOfShape", kernelConstantOfShape)
	Register("Pad", kernelPad)
	Register("CenterCropPad", kernelCenterCropPad)
	Register("DepthToSpace", kernelDepthToSpace)
	Register("SpaceToDepth", kernelSpaceToDepth)
}

func single(t *Tensor) []Value { return []Value{t} }

// ReshapeTarget resolves Reshape's shape operand against the input shape:
// 0 copies the input dim (unless allowzero), one -1 takes what is left.
func ReshapeTarget(in []int, shape []int64, allowzero bool) ([]int, error) {
	out := scratch[int](len(shape))
	infer := -1
	known := 1
	for i, s := range shape {
		switch {
		case s == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", shape)
			}
			infer = i
			continue
		case s == 0 && !allowzero:
			if i >= len(in) {
				return nil, fmt.Errorf("shape %v: 0 at %d copies a dim the input %v lacks", shape, i, in)
			}
			out[i] = in[i]
		case s < 0:
			return nil, fmt.Errorf("shape %v has negative dim %d", shape, s)
		default:
			out[i] = int(s)
		}
		known *= out[i]
	}
	n := NumElements(in)
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v to %v", in, shape)
		}
		out[infer] = n / known
	} else if known != n {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, n, shape)
	}
	return out, nil
}

func kernelReshape(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	shape, err := tensorInt64s(ts[1], "shape")
	if err != nil {
		return nil, err
	}
	out, err := ReshapeTarget(x.Shape, shape, op.Int("allowzero") != 0)
	if err != nil {
		return nil, err
	}
	return single(x.Reshaped(out)), nil
}

func kernelFlatten(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	r := len(x.Shape)
	axis := op.Int("axis")
	if axis < -int64(r) || axis > int64(r) {
		return nil, fmt.Errorf("axis %d out of range for rank %d", axis, r)
	}
	if axis < 0 {
		axis += int64(r)
	}
	return single(x.Reshaped([]int{NumElements(x.Shape[:axis]), NumElements(x.Shape[axis:])})), nil
}

func kernelSqueeze(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 2)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	drop := scratch[bool](len(x.Shape))
	if ts[1] != nil {
		axes, err := tensorInt64s(ts[1], "axes")
		if err != nil {
			return nil, err
		}
		for _, a := range axes {
			ax, err := wrapAxis(a, len(x.Shape), "axes")
			if err != nil {
				return nil, err
			}
			if x.Shape[ax] != 1 {
				return nil, fmt.Errorf("cannot squeeze dim %d of size %d", ax, x.Shape[ax])
			}
			drop[ax] = true
		}
	} else {
		for i, d := range x.Shape {
			drop[i] = d == 1
		}
	}
	out := []int{}
	for i, d := range x.Shape {
		if !drop[i] {
			out = append(out, d)
		}
	}
	return single(x.Reshaped(out)), nil
}

func kernelUnsqueeze(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	axes, err := tensorInt64s(ts[1], "axes")
	if err != nil {
		return nil, err
	}
	r := len(x.Shape) + len(axes)
	ins := scratch[bool](r)
	for _, a := range axes {
		ax, err := wrapAxis(a, r, "axes")
		if err != nil {
			return nil, err
		}
		if ins[ax] {
			return nil, fmt.Errorf("axes %v repeat %d", axes, a)
		}
		ins[ax] = true
	}
	out := make([]int, 0, r)
	j := 0
	for i := 0; i < r; i++ {
		if ins[i] {
			out = append(out, 1)
		} else {
			out = append(out, x.Shape[j])
			j++
		}
	}
	return single(x.Reshaped(out)), nil
}

// permuteDims permutes x's dims: output dim i is input dim perm[i].
func permuteDims(x *Tensor, perm []int) *Tensor {
	out := scratch[int](len(perm))
	st := Strides(x.Shape)
	pst := scratch[int](len(perm))
	for i, p := range perm {
		out[i] = x.Shape[p]
		pst[i] = st[p]
	}
	idx := gatherIndexMap(out, pst, func([]int) bool { return true })
	return takeFlat(x, out, idx)
}

func kernelTranspose(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	perm, err := ir.TransposePerm(op, len(x.Shape))
	if err != nil {
		return nil, err
	}
	return single(permuteDims(x, perm)), nil
}

func kernelConcat(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, len(args), 0)
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("no operands")
	}
	r := len(ts[0].Shape)
	ax, err := wrapAxis(op.Int("axis"), r, "axis")
	if err != nil {
		return nil, err
	}
	shape := append([]int{}, ts[0].Shape...)
	shape[ax] = 0
	for i, t := range ts {
		if t.DType != ts[0].DType || len(t.Shape) != r {
			return nil, fmt.Errorf("operand %d is %v%v, operand 0 is %v%v", i, t.DType, t.Shape, ts[0].DType, ts[0].Shape)
		}
		for k := range t.Shape {
			if k != ax && t.Shape[k] != ts[0].Shape[k] {
				return nil, fmt.Errorf("operand %d has shape %v, operand 0 %v (differ off axis %d)", i, t.Shape, ts[0].Shape, ax)
			}
		}
		shape[ax] += t.Shape[ax]
	}
	out := NewTensor(ts[0].DType, shape)
	ost := Strides(shape)
	off := 0
	for _, t := range ts {
		o := off
		idx := gatherIndexMap(t.Shape, ost, func(coord []int) bool { coord[ax] += o; return true })
		putFlat(out, t, idx)
		off += t.Shape[ax]
	}
	return single(out), nil
}

// sliceAlongAxis copies x[..., start:start+n, ...] along axis.
func sliceAlongAxis(x *Tensor, axis, start, n int) *Tensor {
	shape := append([]int{}, x.Shape...)
	shape[axis] = n
	idx := gatherIndexMap(shape, Strides(x.Shape), func(coord []int) bool { coord[axis] += start; return true })
	return takeFlat(x, shape, idx)
}

func kernelSplit(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 2)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	ax, err := wrapAxis(op.Int("axis"), len(x.Shape), "axis")
	if err != nil {
		return nil, err
	}
	n := len(op.Results)
	var sizes []int
	if ts[1] != nil {
		sp, err := tensorInt64s(ts[1], "split")
		if err != nil {
			return nil, err
		}
		if sizes, err = dimsFromInt64(sp, "split"); err != nil {
			return nil, err
		}
		if len(sizes) != n || sumSplitSizes(sizes) != x.Shape[ax] {
			return nil, fmt.Errorf("split %v does not divide dim %d (%d) into %d outputs", sp, ax, x.Shape[ax], n)
		}
	} else {
		parts, err := ir.SplitParts(int64(x.Shape[ax]), int64(n), op.Has("num_outputs"))
		if err != nil {
			return nil, fmt.Errorf("dim %d: %w", ax, err)
		}
		for _, p := range parts {
			sizes = append(sizes, int(p))
		}
	}
	out := scratch[Value](n)
	off := 0
	for i, s := range sizes {
		out[i] = sliceAlongAxis(x, ax, off, s)
		off += s
	}
	return out, nil
}

func sumSplitSizes(v []int) int {
	s := 0
	for _, x := range v {
		s += x
	}
	return s
}

func kernelExpand(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	sv, err := tensorInt64s(ts[1], "shape")
	if err != nil {
		return nil, err
	}
	target, err := dimsFromInt64(sv, "shape")
	if err != nil {
		return nil, err
	}
	shape, err := BroadcastShape(x.Shape, target)
	if err != nil {
		return nil, err
	}
	if err := checkElemCount(shape, "output shape"); err != nil {
		return nil, err
	}
	return single(takeFlat(x, shape, BroadcastIndex(x.Shape, shape))), nil
}

func kernelTile(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	rv, err := tensorInt64s(ts[1], "repeats")
	if err != nil {
		return nil, err
	}
	rep, err := dimsFromInt64(rv, "repeats")
	if err != nil {
		return nil, err
	}
	if len(rep) != len(x.Shape) {
		return nil, fmt.Errorf("repeats has %d entries for rank %d", len(rep), len(x.Shape))
	}
	shape := scratch[int](len(rep))
	for i, r := range rep {
		shape[i] = x.Shape[i] * r
	}
	if err := checkElemCount(shape, "output shape"); err != nil {
		return nil, err
	}
	idx := gatherIndexMap(shape, Strides(x.Shape), func(coord []int) bool {
		for i := range coord {
			coord[i] %= x.Shape[i]
		}
		return true
	})
	return single(takeFlat(x, shape, idx)), nil
}

func kernelShape(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	start, end := ir.ShapeRange(op, len(x.Shape))
	out := make([]int64, 0, end-start)
	for _, d := range x.Shape[start:end] {
		out = append(out, int64(d))
	}
	return single(FromSlice([]int{len(out)}, out)), nil
}

func kernelSize(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	return single(Scalar(int64(x.Len()))), nil
}

func kernelConstantOfShape(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	sv, err := tensorInt64s(ts[0], "input")
	if err != nil {
		return nil, err
	}
	shape, err := dimsFromInt64(sv, "input")
	if err != nil {
		return nil, err
	}
	if err := checkElemCount(shape, "shape"); err != nil {
		return nil, err
	}
	if v, ok := op.Attr("value"); ok && v.Kind == ir.AttrTensor && v.Tensor != nil {
		val, err := c.in.constant(v.Tensor)
		if err != nil {
			return nil, err
		}
		if val.Len() != 1 {
			return nil, fmt.Errorf("value has %d elements, want 1", val.Len())
		}
		return single(filledWith(val, shape)), nil
	}
	return single(NewTensor(ir.F32, shape)), nil
}

// padSource maps one output coordinate along a dim of size n padded by
// `before` to its input coordinate; ok is false where constant mode fills.
func padSource(o, before, n int, mode string) (int, bool) {
	i := o - before
	if i >= 0 && i < n {
		return i, true
	}
	switch mode {
	case "edge":
		return min(max(i, 0), n-1), true
	case "reflect":
		if n == 1 {
			return 0, true
		}
		// Reflect without repeating the edge, period 2(n-1).
		p := 2 * (n - 1)
		i %= p
		if i < 0 {
			i += p
		}
		if i >= n {
			i = p - i
		}
		return i, true
	}
	return 0, false
}

// kernelCenterCropPad crops or zero-pads each listed axis to its size in
// shape around the centre: the output starts (in - out)/2 into the input
// when cropping, the input (out - in)/2 into the output when padding,
// rounding down both ways as ONNX's reference does.
func kernelCenterCropPad(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	sizes, err := tensorInt64s(ts[1], "shape")
	if err != nil {
		return nil, err
	}
	var axes []int64
	if op.Has("axes") {
		axes = op.Ints("axes")
	}
	r := len(x.Shape)
	ax, err := ir.CenterCropAxes(axes, len(sizes), r)
	if err != nil {
		return nil, err
	}
	shape := append([]int{}, x.Shape...)
	shift := scratch[int](r) // input index = output index + shift
	for i, a := range ax {
		if sizes[i] < 0 || sizes[i] > maxKernelElements {
			return nil, fmt.Errorf("shape[%d] is %d", i, sizes[i])
		}
		n := int(sizes[i])
		shift[a] = (x.Shape[a] - n) / 2
		if n > x.Shape[a] {
			shift[a] = -((n - x.Shape[a]) / 2)
		}
		shape[a] = n
	}
	if err := checkElemCount(shape, "output shape"); err != nil {
		return nil, err
	}
	idx := gatherIndexMap(shape, Strides(x.Shape), func(coord []int) bool {
		for d := range coord {
			coord[d] += shift[d]
			if coord[d] < 0 || coord[d] >= x.Shape[d] {
				return false
			}
		}
		return true
	})
	out := NewTensor(x.DType, shape)
	var dst, src []int
	for k, j := range idx {
		if j >= 0 {
			dst = append(dst, k)
			src = append(src, j)
		}
	}
	putFlat(out, takeFlat(x, []int{len(src)}, src), dst)
	return single(out), nil
}

// wrapSource maps output index o of a wrap-padded dim of size n to its
// source (Pad-19). Negative pads crop first, and the padding repeats the
// cropped window [lo, hi) circularly, as ONNX's definition crops before it
// pads. The caller checked the window is not empty.
func wrapSource(o, before, after, n int) int {
	lo, hi := max(0, -before), n-max(0, -after)
	i := o - before - lo
	l := hi - lo
	i %= l
	if i < 0 {
		i += l
	}
	return lo + i
}

func kernelPad(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 4)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	pads, err := tensorInt64s(ts[1], "pads")
	if err != nil {
		return nil, err
	}
	var axes []int64
	if ts[3] != nil {
		if axes, err = tensorInt64s(ts[3], "axes"); err != nil {
			return nil, err
		}
	}
	r := len(x.Shape)
	if pads, err = ir.PadsForAxes(pads, axes, ts[3] != nil, r); err != nil {
		return nil, err
	}
	mode := op.Str("mode")
	if mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap" {
		return nil, fmt.Errorf("unknown mode %q", mode)
	}
	shape := scratch[int](r)
	for i := range shape {
		shape[i] = x.Shape[i] + int(pads[i]+pads[i+r])
		if shape[i] < 0 {
			return nil, fmt.Errorf("pads %v crop dim %d (%d) below zero", pads, i, x.Shape[i])
		}
		if mode != "constant" && x.Shape[i] == 0 && shape[i] > 0 {
			return nil, fmt.Errorf("%s padding of an empty dim %d", mode, i)
		}
		if mode == "wrap" && shape[i] > 0 && x.Shape[i]+int(min(pads[i], 0)+min(pads[i+r], 0)) <= 0 {
			return nil, fmt.Errorf("wrap padding of dim %d, cropped to nothing by pads %v", i, pads)
		}
	}
	if err := checkElemCount(shape, "output shape"); err != nil {
		return nil, err
	}
	idx := gatherIndexMap(shape, Strides(x.Shape), func(coord []int) bool {
		for d := range coord {
			if mode == "wrap" {
				coord[d] = wrapSource(coord[d], int(pads[d]), int(pads[d+r]), x.Shape[d])
				continue
			}
			s, ok := padSource(coord[d], int(pads[d]), x.Shape[d], mode)
			if !ok {
				return false
			}
			coord[d] = s
		}
		return true
	})
	if mode != "constant" {
		return single(takeFlat(x, shape, idx)), nil
	}
	var out *Tensor
	if cv := ts[2]; cv != nil && cv.Len() > 0 {
		if cv.DType != x.DType {
			return nil, fmt.Errorf("constant_value is %v, data %v", cv.DType, x.DType)
		}
		out = filledWith(cv, shape)
	} else {
		out = NewTensor(x.DType, shape)
	}
	var dst, src []int
	for k, j := range idx {
		if j >= 0 {
			dst = append(dst, k)
			src = append(src, j)
		}
	}
	putFlat(out, takeFlat(x, []int{len(src)}, src), dst)
	return single(out), nil
}

func depthSpaceArgs(op *ir.Op, args []Value) (*Tensor, int, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, 0, err
	}
	x := ts[0]
	b := int(op.Int("blocksize"))
	if b <= 0 {
		return nil, 0, fmt.Errorf("blocksize %d, want > 0", b)
	}
	if len(x.Shape) != 4 {
		return nil, 0, fmt.Errorf("input has shape %v, want rank 4", x.Shape)
	}
	return x, b, nil
}

func kernelDepthToSpace(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	x, b, err := depthSpaceArgs(op, args)
	if err != nil {
		return nil, err
	}
	n, ch, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	if ch%(b*b) != 0 {
		return nil, fmt.Errorf("channels %d not divisible by blocksize² %d", ch, b*b)
	}
	cc := ch / (b * b)
	var t *Tensor
	if op.Str("mode") == "CRD" {
		t = permuteDims(x.Reshaped([]int{n, cc, b, b, h, w}), []int{0, 1, 4, 2, 5, 3})
	} else {
		t = permuteDims(x.Reshaped([]int{n, b, b, cc, h, w}), []int{0, 3, 4, 1, 5, 2})
	}
	return single(t.Reshaped([]int{n, cc, h * b, w * b})), nil
}

func kernelSpaceToDepth(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	x, b, err := depthSpaceArgs(op, args)
	if err != nil {
		return nil, err
	}
	n, ch, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	if h%b != 0 || w%b != 0 {
		return nil, fmt.Errorf("spatial dims %dx%d not divisible by blocksize %d", h, w, b)
	}
	t := permuteDims(x.Reshaped([]int{n, ch, h / b, b, w / b, b}), []int{0, 3, 5, 1, 2, 4})
	return single(t.Reshaped([]int{n, ch * b * b, h / b, w / b})), nil
}
