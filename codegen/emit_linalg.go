package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// Det and Einsum call the generic kernels of
// codegen/kernels/generic_linalg.go.
func init() {
	emitters["Det"] = emitDet
	emitters["Einsum"] = emitEinsum
}

// emitDet writes Det: the determinant of each square matrix of the last
// two dims.
func emitDet(c *opCtx) (*kernel, error) {
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	r := len(xs)
	if !isDraw(dt) || r < 2 || xs[r-1] != xs[r-2] || numel(ys) != numel(xs[:r-2]) {
		return nil, fmt.Errorf("X is %s; want f32 or f64 square matrices in the last two dims", dtypeText(dt, xs))
	}
	n := xs[r-1]
	body := fmt.Sprintf("det(x[:%d], y[:%d], %d)\n", numel(xs), numel(ys), n)
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: "Det " + shapes + ": generic, partial pivoting", body: body, shapes: shapes, flops: int64(numel(ys)) * int64(n*n*n)}, nil
}

// emitEinsum writes Einsum as a call of the generic einsum, with each
// label's size and the stride it contributes to each operand and to the
// result resolved here.
func emitEinsum(c *opCtx) (*kernel, error) {
	if len(c.op.Args) == 0 {
		return nil, fmt.Errorf("no operands")
	}
	dt := c.op.Args[0].Type.DType
	if dt != ir.F32 && dt != ir.F64 && dt != ir.I32 && dt != ir.I64 {
		return nil, fmt.Errorf("Einsum of %s: not supported", dt)
	}
	shapes := make([][]int, len(c.op.Args))
	ranks := make([]int, len(c.op.Args))
	var texts []string
	for i, v := range c.op.Args {
		if v == nil || v.Type.DType != dt {
			return nil, fmt.Errorf("operand %d is missing or not %s", i, dt)
		}
		s, err := c.shape(v)
		if err != nil {
			return nil, err
		}
		shapes[i], ranks[i] = s, len(s)
		texts = append(texts, dtypeText(dt, s))
	}
	p, err := ir.PlanEinsum(c.op.Str("equation"), ranks)
	if err != nil {
		return nil, err
	}
	size := make([]int, p.NumLabels)
	for i := range size {
		size[i] = 1
	}
	for i, labels := range p.Inputs {
		for k, l := range labels {
			switch n := shapes[i][k]; {
			case n == size[l] || n == 1:
			case size[l] == 1:
				size[l] = n
			default:
				return nil, fmt.Errorf("label sizes disagree: operand %d dim %d is %d, elsewhere %d", i, k, n, size[l])
			}
		}
	}
	var strideLits []string
	for i, labels := range p.Inputs {
		st := make([]int, p.NumLabels)
		rs := rowMajorStrides(shapes[i])
		for k, l := range labels {
			if shapes[i][k] != 1 {
				st[l] += rs[k]
			}
		}
		strideLits = append(strideLits, "{"+shapeList(st)+"}")
	}
	outShape := make([]int, len(p.Output))
	for i, l := range p.Output {
		outShape[i] = size[l]
	}
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	if !sameShape(ys, outShape) {
		return nil, fmt.Errorf("result %v, the equation gives %v", ys, outShape)
	}
	outSt := make([]int, p.NumLabels)
	for i, st := range rowMajorStrides(outShape) {
		outSt[p.Output[i]] = st
	}
	var params []string
	for i := range c.op.Args {
		params = append(params, fmt.Sprintf("x%d", i))
	}
	body := fmt.Sprintf("einsum([][]%s{%s}, [][]int{%s}, %s, %s, y[:%d])\n", goElem[dt], strings.Join(params, ", "), strings.Join(strideLits, ", "), intsLit(outSt), intsLit(size), numel(ys))
	text := fmt.Sprintf("%s -> %s", strings.Join(texts, ", "), dtypeText(dt, ys))
	return &kernel{in: c.op.Args, params: append(params, "y"), nout: 1, comment: fmt.Sprintf("Einsum %q: %s: generic, every label assignment", c.op.Str("equation"), text), body: body, shapes: text, flops: int64(numel(size)) * int64(len(c.op.Args))}, nil
}
