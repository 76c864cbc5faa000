package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// The long tail of ops: rare in deployed models, each written here as a
// plain loop over static shapes or as a call of a generic kernel.
func init() {
	emitters["BitShift"] = emitBitShift
	emitters["IsInf"] = emitIsInf
	emitters["IsNaN"] = emitIsNaN
	emitters["Hardmax"] = emitHardmax
	emitters["GlobalMaxPool"] = emitGlobalMaxPool
	emitters["EyeLike"] = emitEyeLike
	emitters["CumSum"] = emitCumSum
	extendedEmitters["Trilu"] = emitTriluRuntimeK
	emitters["GridSample"] = emitGridSample
}

// numericType reports whether codegen computes on element type d: a
// stored number that is not a half float.
func numericType(d ir.DType) bool {
	return goElem[d] != "" && d != ir.Bool && d != ir.String && !isHalf(d)
}

// emitBitShift writes BitShift of unsigned integers; Go's shifts give 0
// for a count of the width or more, as ONNX's reference does.
func emitBitShift(c *opCtx) (*kernel, error) {
	op := "<<"
	if c.op.Str("direction") == "RIGHT" {
		op = ">>"
	}
	return emitBroadcast(c, "BitShift "+op, func(v []string) string {
		return fmt.Sprintf("y[i] = %s %s %s", v[0], op, v[1])
	})
}

// emitIsInf writes IsInf for the signs the attributes select.
func emitIsInf(c *opCtx) (*kernel, error) {
	neg, pos := c.op.Int("detect_negative") != 0, c.op.Int("detect_positive") != 0
	return emitBroadcast(c, fmt.Sprintf("IsInf (negative %v, positive %v)", neg, pos), func(v []string) string {
		var conds []string
		if neg {
			conds = append(conds, fmt.Sprintf("math.IsInf(float64(%s), -1)", v[0]))
		}
		if pos {
			conds = append(conds, fmt.Sprintf("math.IsInf(float64(%s), 1)", v[0]))
		}
		if len(conds) == 0 {
			conds = []string{"false"}
		}
		return "y[i] = " + strings.Join(conds, " || ")
	})
}

// emitIsNaN writes IsNaN: only NaN differs from itself.
func emitIsNaN(c *opCtx) (*kernel, error) {
	return emitBroadcast(c, "IsNaN", func(v []string) string {
		return fmt.Sprintf("y[i] = %[1]s != %[1]s", v[0])
	})
}

// emitHardmax writes Hardmax along one axis (opset-13 semantics): 1 at
// the first maximum of each line, 0 elsewhere.
func emitHardmax(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	if !numericType(dt) || !dt.IsFloat() {
		return nil, fmt.Errorf("Hardmax of %s: not supported", dt)
	}
	ax, err := ir.NormAxis(c.op.Int("axis"), len(xs))
	if err != nil {
		return nil, err
	}
	outer, n, inner := numel(xs[:ax]), xs[ax], numel(xs[ax+1:])
	body := fmt.Sprintf(`x = x[:%[1]d]
y = y[:%[1]d]
clear(y)
for o := 0; o < %[2]d; o++ {
for in := 0; in < %[4]d; in++ {
base := o*%[5]d + in
at := 0
for i := 1; i < %[3]d; i++ {
if x[base+i*%[4]d] > x[base+at*%[4]d] {
at = i
}
}
y[base+at*%[4]d] = 1
}
}
`, numel(xs), outer, n, inner, n*inner)
	if n == 0 {
		body = fmt.Sprintf("clear(y[:%d])\n", numel(xs))
	}
	shapes := dtypeText(dt, xs)
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("Hardmax over axis %d of %s", ax, shapes), body: body, shapes: shapes}, nil
}

// emitGlobalMaxPool writes the maximum over every spatial position.
func emitGlobalMaxPool(c *opCtx) (*kernel, error) {
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	if !numericType(dt) || len(xs) < 3 {
		return nil, fmt.Errorf("X is %s: want a number tensor of rank 3 or more", dtypeText(dt, xs))
	}
	planes, size := xs[0]*xs[1], numel(xs[2:])
	if size == 0 {
		return nil, fmt.Errorf("X %s has no spatial positions", dtypeText(dt, xs))
	}
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(dt, ys))
	body := fmt.Sprintf("x = x[:%d]\ny = y[:%d]\nfor p := range y {\nrow := x[p*%d : (p+1)*%d]\nm := row[0]\nfor _, v := range row[1:] {\nm = max(m, v)\n}\ny[p] = m\n}\n", planes*size, planes, size, size)
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: "GlobalMaxPool " + shapes, body: body, shapes: shapes}, nil
}

// emitEyeLike writes EyeLike: ones on diagonal k of a matrix of the
// input's shape, zeros elsewhere; the input's values are not read.
func emitEyeLike(c *opCtx) (*kernel, error) {
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	if len(ys) != 2 {
		return nil, fmt.Errorf("result is %s, want a matrix", typeText(ys))
	}
	dt := c.op.Results[0].Type.DType
	one := "1"
	if dt == ir.Bool {
		one = "true"
	} else if !numericType(dt) {
		return nil, fmt.Errorf("EyeLike of %s: not supported", dt)
	}
	k := int(c.op.Int("k"))
	body := fmt.Sprintf("y = y[:%d]\nclear(y)\nfor i := 0; i < %d; i++ {\nif j := i + %d; j >= 0 && j < %d {\ny[i*%d+j] = %s\n}\n}\n", numel(ys), ys[0], k, ys[1], ys[1], one)
	shapes := dtypeText(dt, ys)
	return &kernel{in: nil, params: []string{"y"}, nout: 1, comment: fmt.Sprintf("EyeLike %s, diagonal %d", shapes, k), body: body, shapes: shapes}, nil
}

// emitCumSum writes CumSum as a call of the generic cumSum
// (codegen/kernels/generic_math.go): the axis is an operand, read at run
// time.
func emitCumSum(c *opCtx) (*kernel, error) {
	xs, as, _, err := c.binaryShapes()
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	switch dt {
	case ir.I32, ir.I64, ir.U32, ir.U64, ir.F32, ir.F64:
	default:
		return nil, fmt.Errorf("CumSum of %s: not supported", dt)
	}
	if numel(as) != 1 {
		return nil, fmt.Errorf("axis has shape %v, want one element", as)
	}
	ex, rev := c.op.Int("exclusive") != 0, c.op.Int("reverse") != 0
	body := fmt.Sprintf("if err := cumSum(x[:%d], y[:%d], %s, int64(axis[0]), %v, %v); err != nil {\nreturn err\n}\n", numel(xs), numel(xs), intsLit(xs), ex, rev)
	shapes := dtypeText(dt, xs)
	return &kernel{in: c.op.Args[:2], params: []string{"x", "axis", "y"}, nout: 1, fails: true, comment: fmt.Sprintf("CumSum of %s (exclusive %v, reverse %v)", shapes, ex, rev), body: body, shapes: shapes}, nil
}

// emitTriluRuntimeK writes Trilu whose diagonal offset k is computed at
// run time; a k known at compile time takes the base kernel.
func emitTriluRuntimeK(c *opCtx) (*kernel, error) {
	a := c.op.Arg(1)
	if a == nil {
		return emitters["Trilu"](c)
	}
	if v, err := c.g.knownInts(a); err == nil && len(v) == 1 {
		return emitters["Trilu"](c)
	}
	xs, ks, _, err := c.binaryShapes()
	if err != nil {
		return nil, err
	}
	if len(xs) < 2 || numel(ks) != 1 {
		return nil, fmt.Errorf("input %s, k %v: want rank 2 or more and one k", typeText(xs), ks)
	}
	r := len(xs)
	rows, cols := xs[r-2], xs[r-1]
	keep := "j-i >= k"
	if c.op.Int("upper") == 0 {
		keep = "j-i <= k"
	}
	zero := "0"
	if c.op.Args[0].Type.DType == ir.Bool {
		zero = "false"
	}
	body := fmt.Sprintf(`x = x[:%[1]d]
y = y[:%[1]d]
k := kk[0]
for m := 0; m < %[2]d; m++ {
for i := 0; i < %[3]d; i++ {
for j := 0; j < %[4]d; j++ {
at := (m*%[3]d+i)*%[4]d + j
if int64(%[5]s {
y[at] = x[at]
} else {
y[at] = %[6]s
}
}
}
}
`, numel(xs), numel(xs[:r-2]), rows, cols, strings.Replace(keep, " ", ") ", 1), zero)
	dt := c.op.Args[0].Type.DType
	shapes := dtypeText(dt, xs)
	return &kernel{in: c.op.Args[:2], params: []string{"x", "kk", "y"}, nout: 1, comment: fmt.Sprintf("Trilu (upper %d) of %s, k read at run time", c.op.Int("upper"), shapes), body: body, shapes: shapes}, nil
}

// emitGridSample writes 4-D GridSample as a call of the generic
// gridSample (codegen/kernels/generic_sample.go).
func emitGridSample(c *opCtx) (*kernel, error) {
	xs, gs, ys, err := c.binaryShapes()
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	if dt != ir.F32 && dt != ir.F64 || c.op.Args[1].Type.DType != dt {
		return nil, fmt.Errorf("GridSample of %s by %s: not supported", dt, c.op.Args[1].Type.DType)
	}
	if len(xs) != 4 || len(gs) != 4 || gs[0] != xs[0] || gs[3] != 2 || !sameShape(ys, []int{xs[0], xs[1], gs[1], gs[2]}) {
		return nil, fmt.Errorf("X %v and grid %v: want [N,C,H,W] and [N,Ho,Wo,2]", xs, gs)
	}
	mode, pad := c.op.Str("mode"), c.op.Str("padding_mode")
	align := c.op.Int("align_corners") != 0
	body := fmt.Sprintf("gridSample(x[:%d], grid[:%d], y[:%d], %d, %d, %d, %d, %d, %d, %q, %q, %v)\n", numel(xs), numel(gs), numel(ys), xs[0], xs[1], xs[2], xs[3], gs[1], gs[2], mode, pad, align)
	shapes := fmt.Sprintf("%s, %s -> %s", dtypeText(dt, xs), dtypeText(dt, gs), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:2], params: []string{"x", "grid", "y"}, nout: 1, comment: fmt.Sprintf("GridSample (%s, padding %s, align_corners %v): %s", mode, pad, align, shapes), body: body, shapes: shapes}, nil
}
