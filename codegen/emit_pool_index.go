package codegen

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// The window ops the specialized kernels leave out call the generic
// kernels of codegen/kernels/generic_window.go and generic_pool.go:
// ConvTranspose of 1 or 3 spatial dims (or of f64), MaxPool with its
// indices output or on 8-bit integers (emitPoolAnyRank hands them over),
// and MaxUnpool.
func init() {
	extendedEmitters["ConvTranspose"] = emitConvTransposeAnyRank
	emitters["MaxUnpool"] = emitMaxUnpool
}

// emitConvTransposeAnyRank writes a ConvTranspose the 2-D f32 kernel does
// not take as a call of convTransposeND.
func emitConvTransposeAnyRank(c *opCtx) (*kernel, error) {
	xs, wsh, ys, err := c.binaryShapes()
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	if len(xs) == 4 && dt == ir.F32 {
		return emitters["ConvTranspose"](c)
	}
	if !isDraw(dt) || c.op.Args[1].Type.DType != dt {
		return nil, fmt.Errorf("X is %s and W %s; want f32 or f64, the same", dt, c.op.Args[1].Type.DType)
	}
	if len(xs) < 3 || len(wsh) != len(xs) || len(ys) != len(xs) {
		return nil, fmt.Errorf("X %s, W %s: want (N, C, spatial...) and (C, M/group, kernel...)", dtypeText(dt, xs), dtypeText(dt, wsh))
	}
	G := int(c.op.Int("group"))
	if G < 1 || xs[1]%G != 0 || wsh[0] != xs[1] {
		return nil, fmt.Errorf("W %s does not fit X %s with group %d", dtypeText(dt, wsh), dtypeText(dt, xs), G)
	}
	var in, kern []int64
	for i := range xs[2:] {
		in, kern = append(in, int64(xs[2+i])), append(kern, int64(wsh[2+i]))
	}
	if ks := c.op.Ints("kernel_shape"); ks != nil && fmt.Sprint(ks) != fmt.Sprint(kern) {
		return nil, fmt.Errorf("kernel_shape %v does not match W %s", ks, dtypeText(dt, wsh))
	}
	outs, wins, err := ir.ConvTransposeWindows(c.op, in, kern)
	if err != nil {
		return nil, err
	}
	want := []int{xs[0], wsh[1] * G}
	for _, o := range outs {
		want = append(want, int(o))
	}
	if !sameShape(ys, want) {
		return nil, fmt.Errorf("Y %s, but the windows give %v", dtypeText(dt, ys), want)
	}
	params := []string{"x", "w"}
	bias := "nil"
	if c.op.Arg(2) != nil {
		bs, err := c.arg(2)
		if err != nil {
			return nil, err
		}
		if numel(bs) != want[1] || c.op.Args[2].Type.DType != dt {
			return nil, fmt.Errorf("B is %s; want %s with %d values", dtypeText(c.op.Args[2].Type.DType, bs), dt, want[1])
		}
		params, bias = append(params, "b"), "b"
	}
	stride, dil, pad := windowLists(wins)
	body := fmt.Sprintf("convTransposeND(x, w, %s, y, %s, %s, %s, %s, %s, %s, %d)\n", bias, intsLit(xs), intsLit(wsh), intsLit(ys), stride, dil, pad, G)
	shapes := fmt.Sprintf("%s, %s -> %s", dtypeText(dt, xs), dtypeText(dt, wsh), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:len(params)], params: append(params, "y"), nout: 1, shapes: shapes,
		comment: fmt.Sprintf("ConvTranspose %s, group %d, strides %s, dilations %s, leading pads %s: generic scatter", shapes, G, stride[5:], dil[5:], pad[5:]),
		body:    body, flops: 2 * int64(numel(xs)) * int64(numel(wsh[1:]))}, nil
}

// maxPoolNeedsIndex reports whether a MaxPool goes to maxPoolIdx: its
// indices are read, or its elements are not f32 (maxPoolIdx refuses the
// types it does not take).
func maxPoolNeedsIndex(c *opCtx) bool {
	return c.op.Name == "MaxPool" && (len(c.op.Results) > 1 || c.op.Args[0].Type.DType != ir.F32)
}

// emitMaxPoolIndexed writes a MaxPool of any spatial rank as a call of
// maxPoolIdx, with the indices output when there is one.
func emitMaxPoolIndexed(c *opCtx) (*kernel, error) {
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	if dt != ir.F32 && dt != ir.F64 && dt != ir.U8 && dt != ir.I8 {
		return nil, fmt.Errorf("MaxPool of %s: not supported", dt)
	}
	if len(xs) < 3 || len(ys) != len(xs) {
		return nil, fmt.Errorf("X %s: want (N, C, spatial...)", dtypeText(dt, xs))
	}
	out, wins, err := windowsND(c.op, c.op.Ints("kernel_shape"), xs[2:], c.op.Int("ceil_mode") != 0)
	if err != nil {
		return nil, err
	}
	if !sameShape(out, ys[2:]) || ys[0] != xs[0] || ys[1] != xs[1] {
		return nil, fmt.Errorf("result %s, want windows %v", dtypeText(dt, ys), out)
	}
	var kern []int
	for _, w := range wins {
		kern = append(kern, int(w.Kernel))
	}
	params := []string{"x", "y"}
	idx := "nil"
	if len(c.op.Results) > 1 {
		if d := c.op.Results[1].Type.DType; d != ir.I64 {
			return nil, fmt.Errorf("indices are %s; want i64", d)
		}
		params, idx = append(params, "idx"), fmt.Sprintf("idx[:%d]", numel(ys))
	}
	colMajor := c.op.Int("storage_order") != 0
	stride, dil, pad := windowLists(wins)
	body := fmt.Sprintf("maxPoolIdx(x[:%d], y[:%d], %s, %s, %s, %s, %s, %s, %s, %t)\n", numel(xs), numel(ys), idx, intsLit(xs), intsLit(ys), intsLit(kern), stride, dil, pad, colMajor)
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:1], params: params, nout: len(params) - 1, shapes: shapes,
		comment: fmt.Sprintf("MaxPool %s with indices, window %v, strides %s, dilations %s, leading pads %s: generic", shapes, kern, stride[5:], dil[5:], pad[5:]),
		body:    body, flops: int64(numel(ys)) * int64(numel(kern))}, nil
}

// emitMaxUnpool writes MaxUnpool: the result's shape (the default one, or
// output_shape's, known at compile time) is static; the indices are
// checked at run time.
func emitMaxUnpool(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	is, err := c.arg(1)
	if err != nil {
		return nil, err
	}
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	if !isDraw(dt) || c.op.Args[1].Type.DType != ir.I64 || !sameShape(is, xs) || len(xs) < 3 || len(ys) != len(xs) {
		return nil, fmt.Errorf("X %s and I %s: want f32 or f64 and i64 of one shape, rank 3 or more", dtypeText(dt, xs), dtypeText(c.op.Args[1].Type.DType, is))
	}
	var in []int64
	for _, n := range xs[2:] {
		in = append(in, int64(n))
	}
	sp, err := ir.MaxUnpoolShape(in, c.op.Ints("kernel_shape"), c.op.Ints("strides"), c.op.Ints("pads"))
	if err != nil {
		return nil, err
	}
	var pooled []int
	for _, n := range sp {
		pooled = append(pooled, int(n))
	}
	if ys[0] != xs[0] || ys[1] != xs[1] {
		return nil, fmt.Errorf("result %v does not keep X's N and C %v", ys, xs[:2])
	}
	body := fmt.Sprintf("if err := maxUnpool(x[:%d], ind[:%d], y[:%d], %d, %s, %s, %d); err != nil {\nreturn err\n}\n", numel(xs), numel(xs), numel(ys), xs[0]*xs[1], intsLit(pooled), intsLit(ys[2:]), numel(xs[2:]))
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:2], params: []string{"x", "ind", "y"}, nout: 1, fails: true, comment: "MaxUnpool " + shapes + ": generic", body: body, shapes: shapes}, nil
}
