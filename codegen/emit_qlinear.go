package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// The integer and quantized matrix ops call the generic kernels of
// codegen/kernels/generic_qlinear.go and generic_window.go: exact int64 sums of 8-bit operands
// less their zero points, then int32 or a requantized 8-bit result, as the
// interpreter computes them (ir/interp/matmul.go, conv.go).
func init() {
	emitters["MatMulInteger"] = emitMatMulInteger
	emitters["QLinearMatMul"] = emitMatMulInteger
	emitters["ConvInteger"] = emitConvInteger
	emitters["QLinearConv"] = emitConvInteger
}

// is8Bit reports whether d is one of the 8-bit integer types the
// quantized ops take.
func is8Bit(d ir.DType) bool { return d == ir.I8 || d == ir.U8 }

// quantOperands collects the operands of a quantized op that are present,
// with their parameter names, and the argument each passes to the generic
// kernel: its name, or nil when absent. Operand i is named names[i].
func quantOperands(c *opCtx, names []string) (in []*ir.Value, params, args []string) {
	for i, name := range names {
		v := c.op.Arg(i)
		if v == nil {
			args = append(args, "nil")
			continue
		}
		in = append(in, v)
		params = append(params, name)
		args = append(args, name)
	}
	return in, params, args
}

// checkQuantParam checks that operand i, when present, holds one value or
// n values along its one dim (perAxis), as the interpreter requires.
func checkQuantParam(c *opCtx, i, n int, perAxis bool, what string) error {
	if c.op.Arg(i) == nil {
		return nil
	}
	s, err := c.arg(i)
	if err != nil {
		return err
	}
	if numel(s) == 1 || perAxis && len(s) == 1 && s[0] == n {
		return nil
	}
	return fmt.Errorf("%s has shape %v; want a scalar or %d values", what, s, n)
}

// emitMatMulInteger writes MatMulInteger (int32 result, wrapping) and
// QLinearMatMul (requantized to y_zero_point's type, b_scale per tensor or
// per column of B) as calls of matMulInt.
func emitMatMulInteger(c *opCtx) (*kernel, error) {
	as, bs, ys, err := c.binaryQuantShapes()
	if err != nil {
		return nil, err
	}
	q := c.op.Name == "QLinearMatMul"
	names := []string{"a", "b", "az", "bz"}
	if q {
		names = []string{"a", "as", "az", "b", "bs", "bz", "ys", "yz"}
	}
	in, params, args := quantOperands(c, names)
	ai, bi := 0, 1
	if q {
		ai, bi = 0, 3
	}
	da, db := c.op.Args[ai].Type.DType, c.op.Args[bi].Type.DType
	if !is8Bit(da) || !is8Bit(db) {
		return nil, fmt.Errorf("A is %s and B is %s; want int8 or uint8", da, db)
	}
	pa, pb := as, bs
	if len(pa) == 1 {
		pa = []int{1, pa[0]}
	}
	if len(pb) == 1 {
		pb = []int{pb[0], 1}
	}
	if err := sameZeroPointType(c, [][2]int{{ai, 2}, {bi, bzIndex(q)}}); err != nil {
		return nil, err
	}
	if len(pa) < 2 || len(pb) < 2 || pa[len(pa)-1] != pb[len(pb)-2] {
		return nil, fmt.Errorf("inner dims of %v and %v differ", as, bs)
	}
	m, n := pa[len(pa)-2], pb[len(pb)-1]
	batch, err := broadcastBatch(pa[:len(pa)-2], pb[:len(pb)-2])
	if err != nil {
		return nil, err
	}
	if numel(batch)*m*n != numel(ys) {
		return nil, fmt.Errorf("result %v does not hold the product of %v and %v", ys, as, bs)
	}
	azi, bzi := 2, 3
	if q {
		azi, bzi = 2, 5
	}
	if err := checkQuantParam(c, azi, m, true, "a_zero_point"); err != nil {
		return nil, err
	}
	if err := checkQuantParam(c, bzi, n, true, "b_zero_point"); err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "acc := matMulInt(%s, %s, %s, %s, %s, %s, %s)\n", args[ai], args[bi], args[azi], args[bzi], intsLit(pa), intsLit(pb), intsLit(batch))
	shapes := fmt.Sprintf("%s, %s -> %s", dtypeText(da, as), dtypeText(db, bs), dtypeText(c.op.Results[0].Type.DType, ys))
	if !q {
		fmt.Fprintf(&b, "y = y[:%d]\nfor i, v := range acc {\ny[i] = int32(v)\n}\n", numel(ys))
	} else {
		if err := quantScales(c, []int{1, 4, 6}, []int{1, n, 1}); err != nil {
			return nil, err
		}
		if dz := c.op.Args[7].Type.DType; !is8Bit(dz) {
			return nil, fmt.Errorf("y_zero_point is %s; want int8 or uint8", dz)
		}
		fmt.Fprintf(&b, "requantize(acc, y[:%d], 1, as, bs, ys, yz)\n", numel(ys))
	}
	return &kernel{in: in, params: append(params, "y"), nout: 1, shapes: shapes,
		comment: c.op.Name + " " + shapes + ": generic, exact integer sums",
		body:    b.String(), flops: 2 * int64(numel(ys)) * int64(pa[len(pa)-1])}, nil
}

// binaryQuantShapes returns the shapes of a quantized op's two matrix
// operands (0 and 1, or 0 and 3 for the QLinear ops) and its result.
func (c *opCtx) binaryQuantShapes() (a, b, y []int, err error) {
	bi := 1
	if strings.HasPrefix(c.op.Name, "QLinear") {
		bi = 3
	}
	if a, err = c.arg(0); err != nil {
		return nil, nil, nil, err
	}
	if b, err = c.arg(bi); err != nil {
		return nil, nil, nil, err
	}
	y, err = c.out(0)
	return a, b, y, err
}

// quantScales checks the scale operands idx of a QLinear op: floats, each
// one value or (where n is above 1) one per channel, the same type.
func quantScales(c *opCtx, idx, n []int) error {
	d := c.op.Args[idx[0]].Type.DType
	for k, i := range idx {
		v := c.op.Arg(i)
		if v == nil {
			return fmt.Errorf("operand %d (a scale) is missing", i)
		}
		if v.Type.DType != d || d != ir.F32 && d != ir.F64 {
			return fmt.Errorf("scales are %s and %s; want one of f32 or f64", d, v.Type.DType)
		}
		if err := checkQuantParam(c, i, n[k], n[k] > 1, fmt.Sprintf("scale operand %d", i)); err != nil {
			return err
		}
	}
	return nil
}

// bzIndex is the operand index of B's zero point.
func bzIndex(qlinear bool) int {
	if qlinear {
		return 5
	}
	return 3
}

// sameZeroPointType checks that each zero point present (pairs of operand
// index and zero point index) has its operand's element type, as ONNX
// requires.
func sameZeroPointType(c *opCtx, pairs [][2]int) error {
	for _, p := range pairs {
		v, z := c.op.Arg(p[0]), c.op.Arg(p[1])
		if z != nil && z.Type.DType != v.Type.DType {
			return fmt.Errorf("operand %d is %s but its zero point is %s", p[0], v.Type.DType, z.Type.DType)
		}
	}
	return nil
}

// broadcastBatch is the numpy broadcast of two batch shapes.
func broadcastBatch(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := range out {
		x, y := 1, 1
		if j := i - (n - len(a)); j >= 0 {
			x = a[j]
		}
		if j := i - (n - len(b)); j >= 0 {
			y = b[j]
		}
		switch {
		case x == y || y == 1:
			out[i] = x
		case x == 1:
			out[i] = y
		default:
			return nil, fmt.Errorf("batch dims %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// emitConvInteger writes ConvInteger (int32 result, saturating) and
// QLinearConv (requantized, w_scale per tensor or per output channel) of
// any spatial rank as calls of convInt.
func emitConvInteger(c *opCtx) (*kernel, error) {
	q := c.op.Name == "QLinearConv"
	names := []string{"x", "w", "xz", "wz"}
	xi, wi, xzi, wzi := 0, 1, 2, 3
	if q {
		names = []string{"x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "bias"}
		xi, wi, xzi, wzi = 0, 3, 2, 5
	}
	xs, wsh, ys, err := c.binaryQuantShapes()
	if err != nil {
		return nil, err
	}
	dx, dw := c.op.Args[xi].Type.DType, c.op.Args[wi].Type.DType
	if !is8Bit(dx) || !is8Bit(dw) {
		return nil, fmt.Errorf("x is %s and w is %s; want int8 or uint8", dx, dw)
	}
	if len(xs) < 3 || len(wsh) != len(xs) || len(ys) != len(xs) {
		return nil, fmt.Errorf("x %v, w %v: want (N, C, spatial...) and (M, C/group, kernel...)", xs, wsh)
	}
	kernelShape := c.op.Ints("kernel_shape")
	if kernelShape == nil {
		for _, k := range wsh[2:] {
			kernelShape = append(kernelShape, int64(k))
		}
	}
	out, wins, err := windowsND(c.op, kernelShape, xs[2:], false)
	if err != nil {
		return nil, err
	}
	G := int(c.op.Int("group"))
	M := wsh[0]
	if G < 1 || xs[1]%G != 0 || M%G != 0 || wsh[1] != xs[1]/G || ys[0] != xs[0] || ys[1] != M || !sameShape(out, ys[2:]) {
		return nil, fmt.Errorf("inconsistent shapes: x %v, w %v, group %d, y %v", xs, wsh, G, ys)
	}
	if err := sameZeroPointType(c, [][2]int{{xi, xzi}, {wi, wzi}}); err != nil {
		return nil, err
	}
	if err := checkQuantParam(c, xzi, 1, false, "x_zero_point"); err != nil {
		return nil, err
	}
	if err := checkQuantParam(c, wzi, M, true, "w_zero_point"); err != nil {
		return nil, err
	}
	in, params, args := quantOperands(c, names)
	bias := "nil"
	if q {
		if err := quantScales(c, []int{1, 4, 6}, []int{1, M, 1}); err != nil {
			return nil, err
		}
		if dz := c.op.Args[7].Type.DType; !is8Bit(dz) {
			return nil, fmt.Errorf("y_zero_point is %s; want int8 or uint8", dz)
		}
		if v := c.op.Arg(8); v != nil {
			bs, err := c.arg(8)
			if err != nil {
				return nil, err
			}
			if v.Type.DType != ir.I32 || numel(bs) != M {
				return nil, fmt.Errorf("B is %s; want int32 with %d values", dtypeText(v.Type.DType, bs), M)
			}
			bias = "bias"
		}
	}
	stride, dil, pad := windowLists(wins)
	var b strings.Builder
	fmt.Fprintf(&b, "acc := convInt(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %d)\n", args[xi], args[wi], args[xzi], args[wzi], bias, intsLit(xs), intsLit(wsh), intsLit(ys), stride, dil, pad, G)
	if q {
		fmt.Fprintf(&b, "requantize(acc, y[:%d], %d, xs, ws, ys, yz)\n", numel(ys), numel(ys[2:]))
	} else {
		fmt.Fprintf(&b, "saturateInt32(acc, y[:%d])\n", numel(ys))
	}
	shapes := fmt.Sprintf("%s, %s -> %s", dtypeText(dx, xs), dtypeText(dw, wsh), dtypeText(c.op.Results[0].Type.DType, ys))
	return &kernel{in: in, params: append(params, "y"), nout: 1, shapes: shapes,
		comment: fmt.Sprintf("%s %s, group %d, strides %s, dilations %s, leading pads %s: generic, exact integer sums", c.op.Name, shapes, G, stride[5:], dil[5:], pad[5:]),
		body:    b.String(), flops: 2 * int64(numel(ys)) * int64(numel(wsh[1:]))}, nil
}
