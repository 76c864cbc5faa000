package interp

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	Register("TopK", kernelTopK)
	Register("Unique", kernelUnique)
	Register("CumSum", kernelCumSum)
	Register("CumProd", kernelCumSum)
	Register("Range", kernelRange)
}

// moveAxisLast returns x transposed so that axis is the last dim, and the
// permutation that undoes it.
func moveAxisLast(x *Tensor, axis int) (*Tensor, []int) {
	r := len(x.Shape)
	perm := make([]int, 0, r)
	for i := range r {
		if i != axis {
			perm = append(perm, i)
		}
	}
	perm = append(perm, axis)
	inv := scratch[int](r)
	for i, p := range perm {
		inv[p] = i
	}
	return permuteDims(x, perm), inv
}

func kernelTopK(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	kv, err := tensorInt64s(ts[1], "K")
	if err != nil {
		return nil, err
	}
	if len(kv) != 1 {
		return nil, fmt.Errorf("K has %d elements, want 1", len(kv))
	}
	ax, err := wrapAxis(op.Int("axis"), len(x.Shape), "axis")
	if err != nil {
		return nil, err
	}
	n := x.Shape[ax]
	k := int(kv[0])
	if k < 0 || k > n {
		return nil, fmt.Errorf("K %d out of range for dim of size %d", k, n)
	}
	largest := op.Int("largest") != 0
	t, inv := moveAxisLast(x, ax)
	cmpf, err := elemOrder(t)
	if err != nil {
		return nil, err
	}
	rows := t.Len() / max(n, 1)
	if n == 0 {
		rows = 0
	}
	var vidx []int
	var ind []int64
	order := scratch[int](n)
	for r := 0; r < rows; r++ {
		for i := range order {
			order[i] = r*n + i
		}
		// Stable sort keeps equal elements in index order: ONNX breaks ties
		// by the lower index for both largest and smallest.
		sort.SliceStable(order, func(i, j int) bool {
			c := cmpf(order[i], order[j])
			if largest {
				return c > 0
			}
			return c < 0
		})
		for _, o := range order[:k] {
			vidx = append(vidx, o)
			ind = append(ind, int64(o-r*n))
		}
	}
	shape := append([]int{}, t.Shape...)
	shape[len(shape)-1] = k
	vals := permuteDims(takeFlat(t, shape, vidx), inv)
	idxs := permuteDims(FromSlice(shape, ind), inv)
	return []Value{vals, idxs}, nil
}

func kernelUnique(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	// View the input as rows: the slices along axis, or single elements.
	var rowsT *Tensor
	var inv []int
	ax := -1
	if op.Has("axis") {
		if ax, err = wrapAxis(op.Int("axis"), len(x.Shape), "axis"); err != nil {
			return nil, err
		}
		perm := []int{ax}
		for i := range x.Shape {
			if i != ax {
				perm = append(perm, i)
			}
		}
		rowsT = permuteDims(x, perm)
		inv = scratch[int](len(perm))
		for i, p := range perm {
			inv[p] = i
		}
	} else {
		rowsT = x.Reshaped([]int{x.Len(), 1})
	}
	n := 0
	if len(rowsT.Shape) > 0 {
		n = rowsT.Shape[0]
	}
	width := 0
	if n > 0 {
		width = rowsT.Len() / n
	}
	cmpf, err := elemOrder(rowsT)
	if err != nil {
		return nil, err
	}
	rowCmp := func(a, b int) int {
		for i := 0; i < width; i++ {
			if c := cmpf(a*width+i, b*width+i); c != 0 {
				return c
			}
		}
		return 0
	}
	// Group equal rows by a stable sort: each group's first member is the
	// row's first occurrence. Unsorted mode orders groups by that
	// occurrence, sorted mode by value.
	byValue := scratch[int](n)
	for i := range byValue {
		byValue[i] = i
	}
	sort.SliceStable(byValue, func(i, j int) bool { return rowCmp(byValue[i], byValue[j]) < 0 })
	var firsts []int
	var counts []int64
	group := scratch[int](n) // row -> group
	for k, row := range byValue {
		if k == 0 || rowCmp(byValue[k-1], row) != 0 {
			firsts = append(firsts, row)
			counts = append(counts, 0)
		}
		group[row] = len(firsts) - 1
		counts[len(counts)-1]++
	}
	order := scratch[int](len(firsts)) // order[j]: the group that is output j
	for i := range order {
		order[i] = i
	}
	if op.Int("sorted") == 0 {
		sort.Slice(order, func(i, j int) bool { return firsts[order[i]] < firsts[order[j]] })
	}
	pos := scratch[int64](len(order)) // group -> output position
	for j, g := range order {
		pos[g] = int64(j)
	}
	inverse := scratch[int64](n)
	for row, g := range group {
		inverse[row] = pos[g]
	}
	var take []int
	indices := scratch[int64](len(order))
	cnt := scratch[int64](len(order))
	for j, u := range order {
		for i := 0; i < width; i++ {
			take = append(take, firsts[u]*width+i)
		}
		indices[j] = int64(firsts[u])
		cnt[j] = counts[u]
	}
	shape := append([]int{}, rowsT.Shape...)
	if len(shape) > 0 {
		shape[0] = len(order)
	}
	y := takeFlat(rowsT, shape, take)
	if ax >= 0 {
		y = permuteDims(y, inv)
	} else {
		y = y.Reshaped([]int{len(order)})
	}
	k := len(order)
	return []Value{y, FromSlice([]int{k}, indices), FromSlice([]int{n}, inverse), FromSlice([]int{k}, cnt)}, nil
}

// cumsumTyped is CumSum, or CumProd when prod is set (the exclusive
// product starts at 1).
func cumsumTyped[T number](x []T, outer, n, inner int, exclusive, reverse, prod bool) []T {
	out := scratch[T](len(x))
	step := func(acc, v T) T { return acc + v }
	var start T
	if prod {
		step = func(acc, v T) T { return acc * v }
		start = 1
	}
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			acc := start
			for s := 0; s < n; s++ {
				j := s
				if reverse {
					j = n - 1 - s
				}
				p := (o*n+j)*inner + i
				if exclusive {
					out[p] = acc
					acc = step(acc, x[p])
				} else {
					acc = step(acc, x[p])
					out[p] = acc
				}
			}
		}
	}
	return out
}

func kernelCumSum(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 2, 2)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	av, err := tensorInt64s(ts[1], "axis")
	if err != nil {
		return nil, err
	}
	if len(av) != 1 {
		return nil, fmt.Errorf("axis has %d elements, want 1", len(av))
	}
	ax, err := wrapAxis(av[0], len(x.Shape), "axis")
	if err != nil {
		return nil, err
	}
	outer, n, inner := NumElements(x.Shape[:ax]), x.Shape[ax], NumElements(x.Shape[ax+1:])
	ex, rev, prod := op.Int("exclusive") != 0, op.Int("reverse") != 0, op.Name == "CumProd"
	var data any
	switch s := x.Data.(type) {
	case []float32:
		data = cumsumTyped(s, outer, n, inner, ex, rev, prod)
	case []float64:
		data = cumsumTyped(s, outer, n, inner, ex, rev, prod)
	case []int32:
		data = cumsumTyped(s, outer, n, inner, ex, rev, prod)
	case []int64:
		data = cumsumTyped(s, outer, n, inner, ex, rev, prod)
	case []uint32:
		data = cumsumTyped(s, outer, n, inner, ex, rev, prod)
	case []uint64:
		data = cumsumTyped(s, outer, n, inner, ex, rev, prod)
	case []int8:
		data = cumsumTyped(s, outer, n, inner, ex, rev, prod)
	case []int16:
		data = cumsumTyped(s, outer, n, inner, ex, rev, prod)
	case []uint8:
		data = cumsumTyped(s, outer, n, inner, ex, rev, prod)
	case []uint16:
		data = cumsumTyped(s, outer, n, inner, ex, rev, prod)
	case []ir.Float16, []ir.BFloat16:
		f := ToF32(x)
		r := &Tensor{DType: ir.F32, Shape: x.Shape, Data: cumsumTyped(Data[float32](f), outer, n, inner, ex, rev, prod)}
		return single(FromF32(r, x.DType)), nil
	default:
		return nil, fmt.Errorf("%s does not support %v", op.Name, x.DType)
	}
	return single(&Tensor{DType: x.DType, Shape: slices.Clone(x.Shape), Data: data}), nil
}

func kernelRange(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 3, 3)
	if err != nil {
		return nil, err
	}
	var vals [3]float64
	var ivals [3]int64
	var d ir.DType
	for i, t := range ts[:3] {
		if t.Len() != 1 {
			return nil, fmt.Errorf("operand %d has %d elements, want a scalar", i, t.Len())
		}
		if i == 0 {
			d = t.DType
		} else if t.DType != d {
			return nil, fmt.Errorf("operand %d is %v, start is %v", i, t.DType, d)
		}
		f, err := elemsAsFloat64(t)
		if err != nil {
			return nil, err
		}
		vals[i] = f[0]
		if d.IsInt() {
			iv, _ := elemsAsInt64(t)
			ivals[i] = iv[0]
		}
	}
	if vals[2] == 0 {
		return nil, fmt.Errorf("delta is zero")
	}
	for i, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("operand %d is %v", i, v)
		}
	}
	n := ir.RangeLen(vals[0], vals[1], vals[2])
	if d.IsInt() {
		n = ir.RangeLenInt(ivals[0], ivals[1], ivals[2])
	}
	if n > 1<<31 {
		return nil, fmt.Errorf("range of %d elements is too large", n)
	}
	if d.IsInt() {
		out := scratch[float64](n)
		iv := scratch[int64](n)
		for i := range iv {
			iv[i] = ivals[0] + int64(i)*ivals[2]
			out[i] = float64(iv[i])
		}
		if d == ir.I64 {
			return single(FromSlice([]int{int(n)}, iv)), nil
		}
		t, err := tensorFromFloat64(d, []int{int(n)}, out)
		if err != nil {
			return nil, err
		}
		return single(t), nil
	}
	out := scratch[float64](n)
	for i := range out {
		out[i] = vals[0] + float64(i)*vals[2]
	}
	if d == ir.F32 {
		// Accumulate in float32 as the spec's reference does (start + i*delta
		// in the input type).
		s, dl := float32(vals[0]), float32(vals[2])
		for i := range out {
			out[i] = float64(s + float32(i)*dl)
		}
	}
	t, err := tensorFromFloat64(d, []int{int(n)}, out)
	if err != nil {
		return nil, err
	}
	return single(t), nil
}
