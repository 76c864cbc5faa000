package interp

import (
	"fmt"
	"math"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	for _, name := range []string{"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
		"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"} {
		Register(name, kernelReduce)
	}
	Register("ArgMax", kernelArgReduce)
	Register("ArgMin", kernelArgReduce)
}

// reduceGroups maps every element of a tensor of shape shape to the flat
// index of the output element it reduces into, and returns the output shape
// (with kept 1-dims when keep) and output length.
func reduceGroups(shape []int, mask []bool, keep bool) (group []int, outShape []int, outLen int) {
	var kept []int // input dims that survive, in order
	for i, d := range shape {
		if !mask[i] {
			kept = append(kept, i)
			outShape = append(outShape, d)
		} else if keep {
			outShape = append(outShape, 1)
		}
	}
	outLen = NumElements(outShape)
	n := NumElements(shape)
	group = scratch[int](n)
	idx := scratch[int](len(shape))
	for flat := 0; flat < n; flat++ {
		o := 0
		for _, k := range kept {
			o = o*shape[k] + idx[k]
		}
		group[flat] = o
		for k := len(shape) - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	if outShape == nil {
		outShape = []int{}
	}
	return group, outShape, outLen
}

// numericFromF64 converts float64 results to a tensor of dtype d, rounding
// to the nearest value for floats and truncating toward zero for ints (as
// numpy's astype does).
func numericFromF64(d ir.DType, shape []int, v []float64) (*Tensor, error) {
	t := &Tensor{DType: ir.F64, Shape: shape, Data: v}
	switch {
	case d == ir.F16 || d == ir.BF16:
		return FromF32(castNumeric(t, ir.F32), d), nil
	case d.IsFloat() || d.IsInt():
		return castNumeric(t, d), nil
	}
	return nil, fmt.Errorf("cannot produce %v", d)
}

// reduceAxesOperand reads a Reduce* op's axes operand (nil: absent).
func reduceAxesOperand(t *Tensor) ([]int64, error) {
	if t == nil {
		return nil, nil
	}
	if t.DType != ir.I64 {
		return nil, fmt.Errorf("axes must be int64, got %v", t.DType)
	}
	if len(t.Shape) > 1 {
		return nil, fmt.Errorf("axes must be 1-D, got shape %v", t.Shape)
	}
	return Data[int64](t), nil
}

func kernelReduce(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 2)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	axes, err := reduceAxesOperand(ts[1])
	if err != nil {
		return nil, err
	}
	// With noop_with_empty_axes and no axes the op reduces over the empty
	// set (mask all false): each element is its own group, so the plain
	// reductions return the input while the composite ones still apply
	// their elementwise steps (ReduceLogSum gives log(x), ReduceSumSquare
	// x*x, ReduceL1 |x|), as ONNX's spec text and ONNX Runtime have it.
	mask, _, err := ir.ReduceAxes(axes, x.Rank(), op.Int("noop_with_empty_axes") != 0)
	if err != nil {
		return nil, err
	}
	keep := op.Int("keepdims") != 0
	group, outShape, outLen := reduceGroups(x.Shape, mask, keep)
	switch x.DType {
	case ir.Bool:
		out, err := reduceBool(op.Name, x, group, outShape)
		if err != nil {
			return nil, err
		}
		return []Value{out}, nil
	case ir.I8, ir.I16, ir.I32, ir.I64:
		if out, ok := reduceExactInt[int64](op.Name, x, group, outShape, outLen); ok {
			return []Value{out}, nil
		}
	case ir.U8, ir.U16, ir.U32, ir.U64:
		if out, ok := reduceExactInt[uint64](op.Name, x, group, outShape, outLen); ok {
			return []Value{out}, nil
		}
	}
	v, err := numericAsF64(x)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.Name, err)
	}
	res, err := reduceF64(op.Name, v, group, outLen)
	if err != nil {
		return nil, err
	}
	out, err := numericFromF64(x.DType, outShape, res)
	if err != nil {
		return nil, err
	}
	return []Value{out}, nil
}

// reduceF64 computes a Reduce* op in float64. Empty groups keep the
// identity of the reduction, which is what ONNX defines for reducing an
// empty set (0, 1, -inf, +inf; NaN for the mean).
func reduceF64(name string, v []float64, group []int, outLen int) ([]float64, error) {
	acc := scratch[float64](outLen)
	count := scratch[int](outLen)
	for _, g := range group {
		count[g]++
	}
	fill := func(x float64) {
		for i := range acc {
			acc[i] = x
		}
	}
	switch name {
	case "ReduceSum", "ReduceMean", "ReduceLogSum":
		for i, x := range v {
			acc[group[i]] += x
		}
		switch name {
		case "ReduceMean":
			for i := range acc {
				acc[i] /= float64(count[i])
			}
		case "ReduceLogSum":
			for i := range acc {
				acc[i] = math.Log(acc[i])
			}
		}
	case "ReduceMax":
		fill(math.Inf(-1))
		for i, x := range v {
			if x > acc[group[i]] || math.IsNaN(x) {
				acc[group[i]] = x
			}
		}
	case "ReduceMin":
		fill(math.Inf(1))
		for i, x := range v {
			if x < acc[group[i]] || math.IsNaN(x) {
				acc[group[i]] = x
			}
		}
	case "ReduceProd":
		fill(1)
		for i, x := range v {
			acc[group[i]] *= x
		}
	case "ReduceL1":
		for i, x := range v {
			acc[group[i]] += math.Abs(x)
		}
	case "ReduceL2", "ReduceSumSquare":
		for i, x := range v {
			acc[group[i]] += x * x
		}
		if name == "ReduceL2" {
			for i := range acc {
				acc[i] = math.Sqrt(acc[i])
			}
		}
	case "ReduceLogSumExp":
		mx, err := reduceF64("ReduceMax", v, group, outLen)
		if err != nil {
			return nil, err
		}
		for i, x := range v {
			if m := mx[group[i]]; !math.IsInf(m, 0) {
				acc[group[i]] += math.Exp(x - m)
			}
		}
		for i := range acc {
			if math.IsInf(mx[i], 0) {
				// All -inf (or empty: -inf too), or some +inf: the max is
				// the answer and subtracting it would give NaN.
				acc[i] = mx[i]
				continue
			}
			acc[i] = mx[i] + math.Log(acc[i])
		}
	default:
		return nil, fmt.Errorf("no reduction named %s", name)
	}
	return acc, nil
}

// reduceBool computes ReduceMax (any) and ReduceMin (all) of a bool
// tensor (ONNX opset 20); an empty group keeps the identity, false for
// the maximum and true for the minimum, as false < true.
func reduceBool(name string, x *Tensor, group []int, outShape []int) (*Tensor, error) {
	isMax := name == "ReduceMax"
	if !isMax && name != "ReduceMin" {
		return nil, fmt.Errorf("%s does not take bool", name)
	}
	out := NewTensor(ir.Bool, outShape)
	acc := Data[bool](out)
	for i := range acc {
		acc[i] = !isMax
	}
	for i, e := range Data[bool](x) {
		if isMax {
			acc[group[i]] = acc[group[i]] || e
		} else {
			acc[group[i]] = acc[group[i]] && e
		}
	}
	return out, nil
}

// reduceExactInt computes the reductions whose integer results float64
// could round (sums, products, extremes, means of 64-bit values) with
// wrapping integer arithmetic as the integer types do. ok is false for the
// reductions that go through float64 (L2, LogSum, LogSumExp).
func reduceExactInt[T int64 | uint64](name string, x *Tensor, group []int, outShape []int, outLen int) (*Tensor, bool) {
	switch name {
	case "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceSumSquare":
	default:
		return nil, false
	}
	v := widenIntTensor[T](x)
	acc := scratch[T](outLen)
	count := scratch[int](outLen)
	for _, g := range group {
		count[g]++
	}
	minV, maxV := intDTypeBounds(x.DType)
	switch name {
	case "ReduceMax":
		for i := range acc {
			acc[i] = T(minV)
		}
		for i, e := range v {
			if e > acc[group[i]] {
				acc[group[i]] = e
			}
		}
	case "ReduceMin":
		for i := range acc {
			acc[i] = T(maxV)
		}
		for i, e := range v {
			if e < acc[group[i]] {
				acc[group[i]] = e
			}
		}
	case "ReduceProd":
		for i := range acc {
			acc[i] = 1
		}
		for i, e := range v {
			acc[group[i]] *= e
		}
	default:
		for i, e := range v {
			switch name {
			case "ReduceL1":
				if e < 0 {
					e = -e
				}
			case "ReduceSumSquare":
				e *= e
			}
			acc[group[i]] += e
		}
		if name == "ReduceMean" {
			for i := range acc {
				if count[i] > 0 {
					acc[i] /= T(count[i])
				}
			}
		}
	}
	// Narrowing wraps, as Go's integer conversions do.
	return castNumeric(FromSlice(outShape, acc), x.DType), true
}

// intDTypeBounds returns the smallest and largest value of integer dtype d as
// int64 bit patterns (uint64's maximum is all ones).
func intDTypeBounds(d ir.DType) (lo, hi int64) {
	switch d {
	case ir.I8:
		return math.MinInt8, math.MaxInt8
	case ir.I16:
		return math.MinInt16, math.MaxInt16
	case ir.I32:
		return math.MinInt32, math.MaxInt32
	case ir.I64:
		return math.MinInt64, math.MaxInt64
	case ir.U8:
		return 0, math.MaxUint8
	case ir.U16:
		return 0, math.MaxUint16
	case ir.U32:
		return 0, math.MaxUint32
	}
	return 0, -1
}

// widenIntTensor widens an integer tensor's elements to T.
func widenIntTensor[T int64 | uint64](t *Tensor) []T {
	return Data[T](castNumeric(t, dtypeOf([]T(nil))))
}

func kernelArgReduce(c *Ctx, op *ir.Op, args []Value) ([]Value, error) {
	ts, err := tensorOperands(args, 1, 1)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	if x.Rank() == 0 {
		return nil, fmt.Errorf("input must have rank >= 1")
	}
	ax, err := ir.NormAxis(op.Int("axis"), x.Rank())
	if err != nil {
		return nil, err
	}
	if x.Shape[ax] == 0 {
		return nil, fmt.Errorf("axis %d has size 0: no element to pick", ax)
	}
	last := op.Int("select_last_index") != 0
	wantMax := op.Name == "ArgMax"
	// better(a, b) reports whether a should replace the current pick b.
	var better func(i, j int) bool
	switch x.DType {
	case ir.I64:
		v := Data[int64](x)
		better = func(i, j int) bool { return argBetter(v[i], v[j], wantMax, last) }
	case ir.U64:
		v := Data[uint64](x)
		better = func(i, j int) bool { return argBetter(v[i], v[j], wantMax, last) }
	default:
		v, err := numericAsF64(x)
		if err != nil {
			return nil, err
		}
		// numpy's argmax and argmin both pick a NaN when there is one.
		better = func(i, j int) bool {
			switch a, b := math.IsNaN(v[i]), math.IsNaN(v[j]); {
			case a && b:
				return last
			case a || b:
				return a
			}
			return argBetter(v[i], v[j], wantMax, last)
		}
	}
	outer := NumElements(x.Shape[:ax])
	n := x.Shape[ax]
	inner := NumElements(x.Shape[ax+1:])
	res := scratchOf[int64](outer, inner)
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			base := o*n*inner + in
			best := 0
			for k := 1; k < n; k++ {
				if better(base+k*inner, base+best*inner) {
					best = k
				}
			}
			res[o*inner+in] = int64(best)
		}
	}
	var outShape []int
	for i, d := range x.Shape {
		if i != ax {
			outShape = append(outShape, d)
		} else if op.Int("keepdims") != 0 {
			outShape = append(outShape, 1)
		}
	}
	return []Value{FromSlice(outShape, res)}, nil
}

func argBetter[T int64 | uint64 | float64](a, b T, wantMax, last bool) bool {
	if a == b {
		return last
	}
	if wantMax {
		return a > b
	}
	return a < b
}
