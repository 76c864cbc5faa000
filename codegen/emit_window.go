package codegen

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	extendedEmitters["Conv"] = emitConvAnyRank
	extendedEmitters["MaxPool"] = emitPoolAnyRank
	extendedEmitters["AveragePool"] = emitPoolAnyRank
}

// windowsND resolves the spatial windows of a Conv or pooling op over the
// spatial sizes in; it returns the output sizes and the resolved windows.
func windowsND(op *ir.Op, kernel []int64, in []int, ceil bool) ([]int, []ir.Window, error) {
	wins, err := ir.Windows(len(in), kernel, op.Ints("strides"), ir.WindowDilations(op), op.Ints("pads"))
	if err != nil {
		return nil, nil, err
	}
	out := make([]int, len(in))
	for i, n := range in {
		o, w, err := wins[i].Resolve(int64(n), op.Str("auto_pad"), ceil)
		if err != nil {
			return nil, nil, err
		}
		out[i], wins[i] = int(o), w
	}
	return out, wins, nil
}

// windowLists spells the strides, dilations and leading pads of windows
// as Go slice literals.
func windowLists(wins []ir.Window) (stride, dil, pad string) {
	var s, d, p []int
	for _, w := range wins {
		s, d, p = append(s, int(w.Stride)), append(d, int(w.Dilation)), append(p, int(w.PadBegin))
	}
	return intsLit(s), intsLit(d), intsLit(p)
}

// intsLit is a Go []int literal.
func intsLit(v []int) string { return "[]int{" + shapeList(v) + "}" }

// emitConvAnyRank writes a Conv the specialized 2-D kernel does not take
// (3-D and higher, or 1-D left unlowered) as a call of the generic direct
// convolution convND (codegen/kernels/generic_window.go).
func emitConvAnyRank(c *opCtx) (*kernel, error) {
	xs, wsh, ys, err := c.binaryShapes()
	if err != nil {
		return nil, err
	}
	if len(xs) == 4 && len(wsh) == 4 {
		return emitters["Conv"](c)
	}
	if len(xs) < 3 || len(wsh) != len(xs) || len(ys) != len(xs) {
		return nil, fmt.Errorf("X %s, W %s: want (N, C, spatial...) and (M, C/group, kernel...)", typeText(xs), typeText(wsh))
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
	if G < 1 || xs[1]%G != 0 || wsh[0]%G != 0 || wsh[1] != xs[1]/G || ys[0] != xs[0] || ys[1] != wsh[0] || !sameShape(out, ys[2:]) {
		return nil, fmt.Errorf("inconsistent shapes: X %s, W %s, group %d, Y %s", typeText(xs), typeText(wsh), G, typeText(ys))
	}
	in := []*ir.Value{c.op.Args[0], c.op.Args[1]}
	params := []string{"x", "w"}
	bias := "nil"
	if len(c.op.Args) > 2 && c.op.Args[2] != nil {
		in = append(in, c.op.Args[2])
		params = append(params, "b")
		bias = "b"
	}
	stride, dil, pad := windowLists(wins)
	shapes := fmt.Sprintf("%s, %s -> %s", typeText(xs), typeText(wsh), typeText(ys))
	body := fmt.Sprintf("convND(x, w, %s, y, %s, %s, %s, %s, %s, %s, %d)\n", bias, intsLit(xs), intsLit(wsh), intsLit(ys), stride, dil, pad, G)
	return &kernel{in: in, params: append(params, "y"), nout: 1, shapes: shapes,
		comment: fmt.Sprintf("Conv %s, group %d, strides %s, dilations %s, leading pads %s: generic, direct", shapes, G, stride[5:], dil[5:], pad[5:]),
		body:    body, flops: 2 * int64(numel(ys)) * int64(numel(wsh[1:]))}, nil
}

// emitPoolAnyRank writes a MaxPool or AveragePool the specialized 2-D
// kernel does not take as a call of the generic poolND.
func emitPoolAnyRank(c *opCtx) (*kernel, error) {
	if maxPoolNeedsIndex(c) {
		return emitMaxPoolIndexed(c)
	}
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	if len(xs) == 4 {
		return emitters[c.op.Name](c)
	}
	if len(xs) < 3 || len(ys) != len(xs) {
		return nil, fmt.Errorf("X %s: want (N, C, spatial...)", typeText(xs))
	}
	ceil := c.op.Int("ceil_mode") != 0
	out, wins, err := windowsND(c.op, c.op.Ints("kernel_shape"), xs[2:], ceil)
	if err != nil {
		return nil, err
	}
	if !sameShape(out, ys[2:]) || ys[0] != xs[0] || ys[1] != xs[1] {
		return nil, fmt.Errorf("result %s, want windows %v", typeText(ys), out)
	}
	// count_include_pad counts the explicitly padded extent, not the
	// positions ceil_mode reaches beyond it.
	_, floorWins, err := windowsND(c.op, c.op.Ints("kernel_shape"), xs[2:], false)
	if err != nil {
		return nil, err
	}
	var kern, padEnd []int
	for i, w := range wins {
		kern = append(kern, int(w.Kernel))
		padEnd = append(padEnd, int(floorWins[i].PadEnd))
	}
	isMax := c.op.Name == "MaxPool"
	countPad := !isMax && c.op.Int("count_include_pad") != 0
	stride, dil, pad := windowLists(wins)
	shapes := fmt.Sprintf("%s -> %s", typeText(xs), typeText(ys))
	body := fmt.Sprintf("poolND(x, y, %s, %s, %s, %s, %s, %s, %s, %v, %v)\n", intsLit(xs), intsLit(ys), intsLit(kern), stride, dil, pad, intsLit(padEnd), isMax, countPad)
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, shapes: shapes,
		comment: fmt.Sprintf("%s %s, window %v, strides %s, dilations %s, leading pads %s: generic", c.op.Name, shapes, kern, stride[5:], dil[5:], pad[5:]),
		body:    body, flops: int64(numel(ys)) * int64(numel(kern))}, nil
}
