package codegen

import (
	"fmt"
	"math"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// Upsampling: transposed convolution and nearest-neighbour Resize, the
// decoder half of segmentation models (PaddleOCR's detector).
func init() {
	emitters["ConvTranspose"] = emitConvTranspose
	emitters["Resize"] = emitResize
}

// emitConvTranspose writes a 2-D ConvTranspose as a scatter: each input
// element adds its products with the kernel taps into the outputs it
// reaches, y[oh] for oh = ih*stride - pad + kh*dilation. The output starts
// as the bias. Pads are those ir.ConvTransposeWindows resolves (the
// attribute, or with auto_pad or output_shape the total padding ONNX
// defines).
func emitConvTranspose(c *opCtx) (*kernel, error) {
	xs, wsh, ys, err := c.binaryShapes()
	if err != nil {
		return nil, err
	}
	if len(xs) != 4 || len(wsh) != 4 || len(ys) != 4 {
		return nil, fmt.Errorf("codegen handles 2-D transposed convolutions only; X is %s", typeText(xs))
	}
	if c.op.Args[0].Type.DType != ir.F32 {
		return nil, fmt.Errorf("X is %s; codegen handles f32 only", c.op.Args[0].Type.DType)
	}
	N, C, H, W := xs[0], xs[1], xs[2], xs[3]
	G := int(c.op.Int("group"))
	if G < 1 || C%G != 0 || wsh[0] != C {
		return nil, fmt.Errorf("W %s does not fit X %s with group %d", typeText(wsh), typeText(xs), G)
	}
	Mg, KH, KW := wsh[1], wsh[2], wsh[3]
	M, OH, OW := Mg*G, ys[2], ys[3]
	if ys[0] != N || ys[1] != M {
		return nil, fmt.Errorf("Y %s does not fit X %s and W %s", typeText(ys), typeText(xs), typeText(wsh))
	}
	if ks := c.op.Ints("kernel_shape"); len(ks) == 2 && (int(ks[0]) != KH || int(ks[1]) != KW) {
		return nil, fmt.Errorf("kernel_shape %v does not match W %s", ks, typeText(wsh))
	}
	// The pads as the op table resolves them (auto_pad, output_shape).
	outs, win, err := ir.ConvTransposeWindows(c.op, []int64{int64(H), int64(W)}, []int64{int64(KH), int64(KW)})
	if err != nil {
		return nil, err
	}
	if int(outs[0]) != OH || int(outs[1]) != OW {
		return nil, fmt.Errorf("Y %s, but the windows give %dx%d", typeText(ys), outs[0], outs[1])
	}
	var stride, dil, padBegin [2]int
	for i, w := range win {
		stride[i], dil[i], padBegin[i] = int(w.Stride), int(w.Dilation), int(w.PadBegin)
	}
	hasBias := c.op.Arg(2) != nil
	in2 := []*ir.Value{c.op.Args[0], c.op.Args[1]}
	params := []string{"x", "w"}
	if hasBias {
		in2 = append(in2, c.op.Args[2])
		params = append(params, "b")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "x = x[:%d]\nw = w[:%d]\ny = y[:%d]\n", numel(xs), numel(wsh), numel(ys))
	fill := "0"
	if hasBias {
		fmt.Fprintf(&b, "b = b[:%d]\n", M)
		fill = "b[m]"
	}
	fmt.Fprintf(&b, `for n := 0; n < %[1]d; n++ {
for m := 0; m < %[2]d; m++ {
yp := y[(n*%[2]d+m)*%[3]d : (n*%[2]d+m+1)*%[3]d]
for i := range yp {
yp[i] = %[4]s
}
}
for c := 0; c < %[5]d; c++ {
g := c / %[6]d
xp := x[(n*%[5]d+c)*%[7]d : (n*%[5]d+c+1)*%[7]d]
for mm := 0; mm < %[8]d; mm++ {
m := g*%[8]d + mm
yp := y[(n*%[2]d+m)*%[3]d : (n*%[2]d+m+1)*%[3]d]
wk := w[(c*%[8]d+mm)*%[9]d : (c*%[8]d+mm+1)*%[9]d]
for ih := 0; ih < %[10]d; ih++ {
for kh := 0; kh < %[11]d; kh++ {
oh := ih*%[12]d - %[13]d + kh*%[14]d
if oh < 0 || oh >= %[15]d {
continue
}
yr := yp[oh*%[16]d : (oh+1)*%[16]d]
for iw := 0; iw < %[17]d; iw++ {
v := xp[ih*%[17]d+iw]
for kw := 0; kw < %[18]d; kw++ {
ow := iw*%[19]d - %[20]d + kw*%[21]d
if ow >= 0 && ow < %[16]d {
yr[ow] += v * wk[kh*%[18]d+kw]
}
}
}
}
}
}
}
}
`, N, M, OH*OW, fill, C, C/G, H*W, Mg, KH*KW, H, KH, stride[0], padBegin[0], dil[0], OH, OW, W, KW, stride[1], padBegin[1], dil[1])
	shapes := fmt.Sprintf("%s, %s -> %s", typeText(xs), typeText(wsh), typeText(ys))
	return &kernel{
		in:      in2,
		params:  append(params, "y"),
		nout:    1,
		comment: fmt.Sprintf("ConvTranspose %s, group %d, stride %dx%d, pads begin %d,%d", shapes, G, stride[0], stride[1], padBegin[0], padBegin[1]),
		body:    b.String(),
		shapes:  shapes,
		flops:   2 * int64(N) * int64(C) * int64(H*W) * int64(Mg*KH*KW),
	}, nil
}

// emitResize writes Resize in nearest mode with its scales or sizes known
// at compile time: a table per axis gives the input offset each output
// index reads (the coordinate mapping and rounding ONNX Resize-13
// specifies, as the interpreter computes them), and the kernel gathers.
func emitResize(c *opCtx) (*kernel, error) {
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	if m := c.op.Str("mode"); m != "nearest" {
		return nil, fmt.Errorf("mode %q: codegen handles nearest only so far", m)
	}
	coord := c.op.Str("coordinate_transformation_mode")
	if coord == "tf_crop_and_resize" {
		return nil, fmt.Errorf("coordinate_transformation_mode tf_crop_and_resize: not supported yet")
	}
	r := len(xs)
	scales := make([]float64, r)
	if s := c.op.Arg(2); s != nil && s.Type.Shape.NumElements() != 0 {
		fs, ok := ir.ConstFloats(s)
		if !ok || len(fs) != r {
			return nil, fmt.Errorf("scales are not %d constants; codegen needs them at compile time", r)
		}
		copy(scales, fs)
	} else {
		for i := range scales {
			scales[i] = float64(ys[i]) / float64(xs[i])
		}
	}
	stride := 1
	tables := make([][]int, r)
	for k := r - 1; k >= 0; k-- {
		if xs[k] == 0 && ys[k] > 0 {
			return nil, fmt.Errorf("cannot resize empty dim %d to %d", k, ys[k])
		}
		t := make([]int, ys[k])
		for o := range t {
			j, err := nearestIndex(coord, c.op.Str("nearest_mode"), o, scales[k], xs[k], ys[k])
			if err != nil {
				return nil, err
			}
			t[o] = j * stride
		}
		tables[k] = t
		stride *= xs[k]
	}
	dt := c.op.Args[0].Type.DType
	var b strings.Builder
	fmt.Fprintf(&b, "x = x[:%d]\ny = y[:%d]\n", numel(xs), numel(ys))
	for k, t := range tables {
		fmt.Fprintf(&b, "m%d := [%d]int{%s}\n", k, len(t), joinInts(t))
	}
	b.WriteString("i := 0\n")
	var offs []string
	for k := range tables {
		fmt.Fprintf(&b, "for _, o%d := range m%d {\n", k, k)
		offs = append(offs, fmt.Sprintf("o%d", k))
	}
	if r == 0 {
		b.WriteString("{\n")
		offs = []string{"0"}
	}
	fmt.Fprintf(&b, "y[i] = x[%s]\ni++\n", strings.Join(offs, "+"))
	for range max(r, 1) {
		b.WriteString("}\n")
	}
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("Resize (nearest, %s) %s", coord, shapes), body: b.String(), shapes: shapes}, nil
}

// nearestIndex maps output index o of an axis resized from inLen to outLen
// by scale to the input index nearest mode reads, clamped to the axis.
func nearestIndex(coord, nearest string, o int, scale float64, inLen, outLen int) (int, error) {
	x := float64(o)
	in := float64(inLen)
	floatOut := scale * in
	var xo float64
	switch coord {
	case "half_pixel":
		xo = (x+0.5)/scale - 0.5
	case "pytorch_half_pixel":
		if floatOut > 1 {
			xo = (x+0.5)/scale - 0.5
		}
	case "align_corners":
		if floatOut != 1 {
			xo = x * (in - 1) / (floatOut - 1)
		}
	case "asymmetric":
		xo = x / scale
	case "tf_half_pixel_for_nn":
		xo = (x + 0.5) / scale
	default:
		return 0, fmt.Errorf("coordinate_transformation_mode %q not supported", coord)
	}
	f := math.Floor(xo)
	t := xo - f
	j := int(f)
	if t != 0 {
		switch nearest {
		case "round_prefer_floor":
			if t > 0.5 {
				j++
			}
		case "round_prefer_ceil":
			if t >= 0.5 {
				j++
			}
		case "floor":
		case "ceil":
			j++
		default:
			return 0, fmt.Errorf("nearest_mode %q not supported", nearest)
		}
	}
	return min(max(j, 0), inLen-1), nil
}
