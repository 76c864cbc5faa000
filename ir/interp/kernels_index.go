package interp

import (
	"fmt"
	"slices"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("Slice", kernelSlice)
	Register("Gather", kernelGather)
	Register("GatherElements", kernelGatherElements)
	Register("GatherND", kernelGatherND)
	Register("ScatterElements", kernelScatterElements)
	Register("ScatterND", kernelScatterND)
	Register("TensorScatter", kernelTensorScatter)
	Register("Trilu", kernelTrilu)
	Register("EyeLike", kernelEyeLike)
	Register("NonZero", kernelNonZero)
	Register("Compress", kernelCompress)
	Register("ReverseSequence", kernelReverseSequence)
	Register("OneHot", kernelOneHot)
}

func kernelSlice(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 3, 5)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	starts, err := tensorInt64s(ts[1], "starts")
	if err != nil {
		return nil, err
	}
	ends, err := tensorInt64s(ts[2], "ends")
	if err != nil {
		return nil, err
	}
	r := len(x.Shape)
	axes := scratch[int64](len(starts))
	for i := range axes {
		axes[i] = int64(i)
	}
	if ts[3] != nil {
		if axes, err = tensorInt64s(ts[3], "axes"); err != nil {
			return nil, err
		}
	}
	steps := scratch[int64](len(starts))
	for i := range steps {
		steps[i] = 1
	}
	if ts[4] != nil {
		if steps, err = tensorInt64s(ts[4], "steps"); err != nil {
			return nil, err
		}
	}
	if len(ends) != len(starts) || len(axes) != len(starts) || len(steps) != len(starts) {
		return nil, fmt.Errorf("starts, ends, axes, steps have lengths %d, %d, %d, %d", len(starts), len(ends), len(axes), len(steps))
	}
	first := scratch[int](r)
	step := scratch[int](r)
	shape := append([]int{}, x.Shape...)
	seen := scratch[bool](r)
	for i := range r {
		step[i] = 1
	}
	for i, a := range axes {
		ax, err := wrapAxis(a, r, "axes")
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, fmt.Errorf("axes %v repeat %d", axes, a)
		}
		seen[ax] = true
		if steps[i] == 0 {
			return nil, fmt.Errorf("steps[%d] is 0", i)
		}
		dim := int64(x.Shape[ax])
		s, _ := ir.SliceBounds(dim, starts[i], ends[i], steps[i])
		first[ax] = int(s)
		step[ax] = int(steps[i])
		shape[ax] = int(ir.SliceLen(dim, starts[i], ends[i], steps[i]))
	}
	idx := gatherIndexMap(shape, Strides(x.Shape), func(coord []int) bool {
		for d := range coord {
			coord[d] = first[d] + coord[d]*step[d]
		}
		return true
	})
	return single(takeFlat(x, shape, idx)), nil
}

// wrapIndex maps a possibly negative index into [0, n).
func wrapIndex(i int64, n int, what string) (int, error) {
	if i < -int64(n) || i >= int64(n) {
		return 0, fmt.Errorf("%s %d out of range for dim of size %d", what, i, n)
	}
	if i < 0 {
		i += int64(n)
	}
	return int(i), nil
}

func kernelGather(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x, it := ts[0], ts[1]
	ind, err := elemsAsInt64(it)
	if err != nil {
		return nil, fmt.Errorf("indices: %w", err)
	}
	ax, err := wrapAxis(op.Int("axis"), len(x.Shape), "axis")
	if err != nil {
		return nil, err
	}
	n := x.Shape[ax]
	norm := scratch[int](len(ind))
	for i, v := range ind {
		if norm[i], err = wrapIndex(v, n, "index"); err != nil {
			return nil, err
		}
	}
	outer := NumElements(x.Shape[:ax])
	inner := NumElements(x.Shape[ax+1:])
	shape := append(append(append([]int{}, x.Shape[:ax]...), it.Shape...), x.Shape[ax+1:]...)
	idx := make([]int, 0, outer*len(norm)*inner)
	for o := 0; o < outer; o++ {
		for _, k := range norm {
			base := (o*n + k) * inner
			for i := 0; i < inner; i++ {
				idx = append(idx, base+i)
			}
		}
	}
	return single(takeFlat(x, shape, idx)), nil
}

// axisElementIndex maps each position of an indices tensor (shape ishape, values
// ind) to the flat index of data (shape dshape) it addresses along axis.
func axisElementIndex(dshape, ishape []int, ind []int64, axis int) ([]int, error) {
	if len(ishape) != len(dshape) {
		return nil, fmt.Errorf("indices have rank %d, data %d", len(ishape), len(dshape))
	}
	dst := Strides(dshape)
	out := scratch[int](len(ind))
	coord := scratch[int](len(ishape))
	for k := range ind {
		p := 0
		for d, cd := range coord {
			if d == axis {
				j, err := wrapIndex(ind[k], dshape[d], "index")
				if err != nil {
					return nil, err
				}
				cd = j
			} else if cd >= dshape[d] {
				return nil, fmt.Errorf("indices shape %v exceeds data shape %v off the axis", ishape, dshape)
			}
			p += cd * dst[d]
		}
		out[k] = p
		for d := len(coord) - 1; d >= 0; d-- {
			coord[d]++
			if coord[d] < ishape[d] {
				break
			}
			coord[d] = 0
		}
	}
	return out, nil
}

func kernelGatherElements(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x, it := ts[0], ts[1]
	ind, err := elemsAsInt64(it)
	if err != nil {
		return nil, fmt.Errorf("indices: %w", err)
	}
	ax, err := wrapAxis(op.Int("axis"), len(x.Shape), "axis")
	if err != nil {
		return nil, err
	}
	idx, err := axisElementIndex(x.Shape, it.Shape, ind, ax)
	if err != nil {
		return nil, err
	}
	return single(takeFlat(x, it.Shape, idx)), nil
}

// ndTupleOffsets resolves GatherND/ScatterND index tuples: for each tuple, the flat
// offset of the addressed slice in data, and the slice's shape. Leading
// batch dims are shared by data and indices.
func ndTupleOffsets(dshape, ishape []int, ind []int64, batch int) (offsets []int, sliceShape []int, err error) {
	if len(ishape) < 1 || batch < 0 || batch >= len(ishape) || batch > len(dshape) {
		return nil, nil, fmt.Errorf("batch_dims %d does not fit indices %v and data %v", batch, ishape, dshape)
	}
	k := ishape[len(ishape)-1]
	if batch+k > len(dshape) {
		return nil, nil, fmt.Errorf("index tuples of length %d exceed data rank %d after %d batch dims", k, len(dshape), batch)
	}
	for d := 0; d < batch; d++ {
		if ishape[d] != dshape[d] {
			return nil, nil, fmt.Errorf("batch dim %d: indices %d, data %d", d, ishape[d], dshape[d])
		}
	}
	sliceShape = dshape[batch+k:]
	dst := Strides(dshape)
	nb := NumElements(ishape[:batch])
	perBatch := NumElements(ishape[batch : len(ishape)-1])
	batchStride := NumElements(dshape[batch:])
	for b := 0; b < nb; b++ {
		for t := 0; t < perBatch; t++ {
			tuple := ind[(b*perBatch+t)*k : (b*perBatch+t+1)*k]
			p := b * batchStride
			for j, v := range tuple {
				i, err := wrapIndex(v, dshape[batch+j], "index")
				if err != nil {
					return nil, nil, err
				}
				p += i * dst[batch+j]
			}
			offsets = append(offsets, p)
		}
	}
	return offsets, sliceShape, nil
}

func kernelGatherND(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x, it := ts[0], ts[1]
	ind, err := elemsAsInt64(it)
	if err != nil {
		return nil, fmt.Errorf("indices: %w", err)
	}
	offs, ss, err := ndTupleOffsets(x.Shape, it.Shape, ind, int(op.Int("batch_dims")))
	if err != nil {
		return nil, err
	}
	sl := NumElements(ss)
	idx := make([]int, 0, len(offs)*sl)
	for _, o := range offs {
		for i := 0; i < sl; i++ {
			idx = append(idx, o+i)
		}
	}
	shape := append(append([]int{}, it.Shape[:len(it.Shape)-1]...), ss...)
	return single(takeFlat(x, shape, idx)), nil
}

// scatterUpdates writes (or reduces) updates into a copy of data at idx.
func scatterUpdates(data, updates *Tensor, idx []int, reduction string) (*Tensor, error) {
	if updates.DType != data.DType {
		return nil, fmt.Errorf("updates are %v, data %v", updates.DType, data.DType)
	}
	out := data.Clone()
	if reduction == "none" || reduction == "" {
		putFlat(out, updates, idx)
		return out, nil
	}
	if err := scatterReduce(out, updates, idx, reduction); err != nil {
		return nil, err
	}
	return out, nil
}

func scatterReduceSlice[T number](dst, src []T, idx []int, f func(a, b T) T) {
	for i, j := range idx {
		dst[j] = f(dst[j], src[i])
	}
}

func scatterReduceTyped[T number](dst, src []T, idx []int, red string) error {
	var f func(a, b T) T
	switch red {
	case "add":
		f = func(a, b T) T { return a + b }
	case "mul":
		f = func(a, b T) T { return a * b }
	case "max":
		f = func(a, b T) T { return max(a, b) }
	case "min":
		f = func(a, b T) T { return min(a, b) }
	default:
		return fmt.Errorf("unknown reduction %q", red)
	}
	scatterReduceSlice(dst, src, idx, f)
	return nil
}

// scatterReduce combines src's elements into dst at idx with reduction red.
func scatterReduce(dst, src *Tensor, idx []int, red string) error {
	switch d := dst.Data.(type) {
	case []float32:
		return scatterReduceTyped(d, src.Data.([]float32), idx, red)
	case []float64:
		return scatterReduceTyped(d, src.Data.([]float64), idx, red)
	case []int8:
		return scatterReduceTyped(d, src.Data.([]int8), idx, red)
	case []int16:
		return scatterReduceTyped(d, src.Data.([]int16), idx, red)
	case []int32:
		return scatterReduceTyped(d, src.Data.([]int32), idx, red)
	case []int64:
		return scatterReduceTyped(d, src.Data.([]int64), idx, red)
	case []uint8:
		return scatterReduceTyped(d, src.Data.([]uint8), idx, red)
	case []uint16:
		return scatterReduceTyped(d, src.Data.([]uint16), idx, red)
	case []uint32:
		return scatterReduceTyped(d, src.Data.([]uint32), idx, red)
	case []uint64:
		return scatterReduceTyped(d, src.Data.([]uint64), idx, red)
	case []ir.Float16, []ir.BFloat16:
		// Reduce one update at a time in float32, rounding after each as a
		// half-precision kernel would.
		a, b := ToF32(dst), ToF32(src)
		if err := scatterReduceTyped(Data[float32](a), Data[float32](b), idx, red); err != nil {
			return err
		}
		copyData(dst.Data, FromF32(a, dst.DType).Data)
		return nil
	}
	return fmt.Errorf("reduction %q on %v", red, dst.DType)
}

func kernelScatterElements(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 3, 3)
	if err != nil {
		return nil, err
	}
	x, it, up := ts[0], ts[1], ts[2]
	if !slices.Equal(it.Shape, up.Shape) {
		return nil, fmt.Errorf("indices %v and updates %v differ in shape", it.Shape, up.Shape)
	}
	ind, err := elemsAsInt64(it)
	if err != nil {
		return nil, fmt.Errorf("indices: %w", err)
	}
	ax, err := wrapAxis(op.Int("axis"), len(x.Shape), "axis")
	if err != nil {
		return nil, err
	}
	idx, err := axisElementIndex(x.Shape, it.Shape, ind, ax)
	if err != nil {
		return nil, err
	}
	out, err := scatterUpdates(x, up, idx, op.Str("reduction"))
	if err != nil {
		return nil, err
	}
	return single(out), nil
}

func kernelScatterND(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 3, 3)
	if err != nil {
		return nil, err
	}
	x, it, up := ts[0], ts[1], ts[2]
	ind, err := elemsAsInt64(it)
	if err != nil {
		return nil, fmt.Errorf("indices: %w", err)
	}
	offs, ss, err := ndTupleOffsets(x.Shape, it.Shape, ind, 0)
	if err != nil {
		return nil, err
	}
	want := append(append([]int{}, it.Shape[:len(it.Shape)-1]...), ss...)
	if !slices.Equal(want, up.Shape) {
		return nil, fmt.Errorf("updates have shape %v, want %v", up.Shape, want)
	}
	sl := NumElements(ss)
	idx := make([]int, 0, len(offs)*sl)
	for _, o := range offs {
		for i := 0; i < sl; i++ {
			idx = append(idx, o+i)
		}
	}
	out, err := scatterUpdates(x, up, idx, op.Str("reduction"))
	if err != nil {
		return nil, err
	}
	return single(out), nil
}

func kernelTrilu(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 2)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if len(x.Shape) < 2 {
		return nil, fmt.Errorf("input has rank %d, want at least 2", len(x.Shape))
	}
	k := int64(0)
	if ts[1] != nil {
		kv, err := tensorInt64s(ts[1], "k")
		if err != nil {
			return nil, err
		}
		if len(kv) != 1 {
			return nil, fmt.Errorf("k has %d elements, want 1", len(kv))
		}
		k = kv[0]
	}
	upper := op.Int("upper") != 0
	r := len(x.Shape)
	rows, cols := x.Shape[r-2], x.Shape[r-1]
	var keep []int
	for i := 0; i < x.Len(); i++ {
		col := int64(i % cols)
		row := int64((i / cols) % rows)
		if (upper && col-row >= k) || (!upper && col-row <= k) {
			keep = append(keep, i)
		}
	}
	out := NewTensor(x.DType, x.Shape)
	putFlat(out, takeFlat(x, []int{len(keep)}, keep), keep)
	return single(out), nil
}

func kernelEyeLike(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if len(x.Shape) != 2 {
		return nil, fmt.Errorf("input has shape %v, want rank 2", x.Shape)
	}
	d := x.DType
	if v, ok := op.Attr("dtype"); ok && v.Kind == ir.AttrDType {
		d = v.DType
	}
	k := int(op.Int("k"))
	vals := scratch[float64](x.Len())
	for i := 0; i < x.Shape[0]; i++ {
		if j := i + k; j >= 0 && j < x.Shape[1] {
			vals[i*x.Shape[1]+j] = 1
		}
	}
	out, err := tensorFromFloat64(d, x.Shape, vals)
	if err != nil {
		return nil, err
	}
	return single(out), nil
}

func kernelNonZero(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	nz, err := elemNonZero(x)
	if err != nil {
		return nil, err
	}
	var flat []int
	for i, b := range nz {
		if b {
			flat = append(flat, i)
		}
	}
	r := len(x.Shape)
	out := scratchOf[int64](r, len(flat))
	st := Strides(x.Shape)
	for j, f := range flat {
		for d := 0; d < r; d++ {
			out[d*len(flat)+j] = int64(f / st[d] % x.Shape[d])
		}
	}
	return single(FromSlice([]int{r, len(flat)}, out)), nil
}

func kernelCompress(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x, ct := ts[0], ts[1]
	cond, err := elemNonZero(ct)
	if err != nil {
		return nil, fmt.Errorf("condition: %w", err)
	}
	if len(ct.Shape) != 1 {
		return nil, fmt.Errorf("condition has shape %v, want rank 1", ct.Shape)
	}
	if !op.Has("axis") {
		x = x.Reshaped([]int{x.Len()})
	}
	ax, err := wrapAxis(op.Int("axis"), len(x.Shape), "axis")
	if err != nil {
		return nil, err
	}
	// A condition shorter than the axis selects only among its length.
	var sel []int64
	for i, b := range cond {
		if i >= x.Shape[ax] {
			if b {
				return nil, fmt.Errorf("condition selects index %d past dim %d", i, x.Shape[ax])
			}
			continue
		}
		if b {
			sel = append(sel, int64(i))
		}
	}
	// Compress's axis attribute (absent: 0 on the flattened input) is what
	// Gather reads from op.
	return kernelGather(c, op, []Value{x, FromSlice([]int{len(sel)}, sel)})
}

func kernelReverseSequence(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	lens, err := tensorInt64s(ts[1], "sequence_lens")
	if err != nil {
		return nil, err
	}
	r := len(x.Shape)
	ba, err := wrapAxis(op.Int("batch_axis"), r, "batch_axis")
	if err != nil {
		return nil, err
	}
	ta, err := wrapAxis(op.Int("time_axis"), r, "time_axis")
	if err != nil {
		return nil, err
	}
	if ba == ta {
		return nil, fmt.Errorf("batch_axis and time_axis are both %d", ba)
	}
	if len(lens) != x.Shape[ba] {
		return nil, fmt.Errorf("sequence_lens has %d entries for batch size %d", len(lens), x.Shape[ba])
	}
	for b, l := range lens {
		if l < 0 || l > int64(x.Shape[ta]) {
			return nil, fmt.Errorf("sequence_lens[%d] = %d out of range [0, %d]", b, l, x.Shape[ta])
		}
	}
	idx := gatherIndexMap(x.Shape, Strides(x.Shape), func(coord []int) bool {
		if l := int(lens[coord[ba]]); coord[ta] < l {
			coord[ta] = l - 1 - coord[ta]
		}
		return true
	})
	return single(takeFlat(x, x.Shape, idx)), nil
}

func kernelOneHot(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 3, 3)
	if err != nil {
		return nil, err
	}
	it, dt, vals := ts[0], ts[1], ts[2]
	ind, err := elemsAsFloat64(it)
	if err != nil {
		return nil, fmt.Errorf("indices: %w", err)
	}
	dv, err := elemsAsFloat64(dt)
	if err != nil || len(dv) != 1 {
		return nil, fmt.Errorf("depth must be one number")
	}
	depth := int(dv[0])
	if depth < 1 {
		return nil, fmt.Errorf("depth %d, want >= 1", depth)
	}
	if vals.Len() != 2 {
		return nil, fmt.Errorf("values has %d elements, want 2", vals.Len())
	}
	r := len(it.Shape) + 1
	ax, err := wrapAxis(op.Int("axis"), r, "axis")
	if err != nil {
		return nil, err
	}
	shape := append(append(append([]int{}, it.Shape[:ax]...), depth), it.Shape[ax:]...)
	if err := checkElemCount(shape, "output shape"); err != nil {
		return nil, err
	}
	inner := NumElements(it.Shape[ax:])
	idx := scratch[int](NumElements(shape))
	for k := range idx {
		o, rest := k/(depth*inner), k%(depth*inner)
		d, i := rest/inner, rest%inner
		v := int64(ind[o*inner+i])
		if v < 0 {
			v += int64(depth) // OneHot-11: negative indices count from the back
		}
		if v == int64(d) {
			idx[k] = 1
		}
	}
	return single(takeFlat(vals, shape, idx)), nil
}

// kernelTensorScatter is TensorScatter-24: update (past_cache's shape with
// a shorter axis) is written into a copy of past_cache along axis,
// starting at write_indices[b] for batch b (0 when absent); in circular
// mode the positions wrap around the axis, in linear mode they must fit.
func kernelTensorScatter(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 3)
	if err != nil {
		return nil, err
	}
	past, up := ts[0], ts[1]
	r := past.Rank()
	ax, err := ir.NormAxis(op.Int("axis"), r)
	if err != nil {
		return nil, err
	}
	if ax == 0 {
		return nil, fmt.Errorf("axis cannot be the batch dim 0")
	}
	if up.DType != past.DType || up.Rank() != r {
		return nil, fmt.Errorf("update %v%v does not match past_cache %v%v", up.DType, up.Shape, past.DType, past.Shape)
	}
	for d := range r {
		if d != ax && up.Shape[d] != past.Shape[d] || d == ax && up.Shape[d] > past.Shape[d] {
			return nil, fmt.Errorf("update %v does not fit past_cache %v along axis %d", up.Shape, past.Shape, ax)
		}
	}
	nb := past.Shape[0]
	wi := scratch[int64](nb)
	if ts[2] != nil {
		v, err := tensorInt64s(ts[2], "write_indices")
		if err != nil {
			return nil, err
		}
		if len(v) != nb {
			return nil, fmt.Errorf("write_indices has %d values for batch %d", len(v), nb)
		}
		copy(wi, v)
	}
	circular := op.Str("mode") == "circular"
	maxLen := int64(past.Shape[ax])
	idx := gatherIndexMap(up.Shape, Strides(past.Shape), func(coord []int) bool {
		p := wi[coord[0]] + int64(coord[ax])
		if circular && maxLen > 0 {
			p = ((p % maxLen) + maxLen) % maxLen
		}
		if p < 0 || p >= maxLen {
			return false
		}
		coord[ax] = int(p)
		return true
	})
	for i, j := range idx {
		if j < 0 {
			return nil, fmt.Errorf("update element %d lands outside the cache's %d positions (linear mode: write_indices + sequence length must fit)", i, maxLen)
		}
	}
	out := past.Clone()
	putFlat(out, up, idx)
	return single(out), nil
}
