package codegen

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// Index and layout ops of the long tail: block moves and index-driven
// copies over static shapes, the data-dependent ones through the generic
// kernels of codegen/kernels/generic_index.go.
func init() {
	emitters["TopK"] = emitTopK
	emitters["ScatterElements"] = emitScatterElements
	emitters["ScatterND"] = emitScatterND
	emitters["GatherND"] = emitGatherND
	emitters["DepthToSpace"] = emitDepthSpace
	emitters["SpaceToDepth"] = emitDepthSpace
	emitters["Tile"] = emitTile
	emitters["OneHot"] = emitOneHot
	emitters["ReverseSequence"] = emitReverseSequence
}

// sortableType reports whether the generic index kernels' ordered
// element constraint holds d.
func sortableType(d ir.DType) bool {
	return d == ir.I32 || d == ir.I64 || d == ir.F32 || d == ir.F64
}

// indexType reports whether d is an index type the generic kernels take.
func indexType(d ir.DType) bool { return d == ir.I32 || d == ir.I64 }

// emitTopK writes TopK as a call of the generic topK; K is fixed by the
// result's static shape.
func emitTopK(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	if !sortableType(dt) {
		return nil, fmt.Errorf("TopK of %s: not supported", dt)
	}
	ax, err := ir.NormAxis(c.op.Int("axis"), len(xs))
	if err != nil {
		return nil, err
	}
	outer, n, inner, k := numel(xs[:ax]), xs[ax], numel(xs[ax+1:]), ys[ax]
	largest := c.op.Int("largest") != 0
	body := fmt.Sprintf("topK(x[:%d], vals[:%d], idx[:%d], %d, %d, %d, %d, %v)\n", numel(xs), numel(ys), numel(ys), outer, n, inner, k, largest)
	shapes := fmt.Sprintf("%s -> %s, %s", dtypeText(dt, xs), dtypeText(dt, ys), dtypeText(ir.I64, ys))
	return &kernel{in: c.op.Args[:1], params: []string{"x", "vals", "idx"}, nout: 2, comment: fmt.Sprintf("TopK %d along axis %d (largest %v): %s", k, ax, largest, shapes), body: body, shapes: shapes}, nil
}

// scatterOperands returns the shapes of a Scatter op's data, indices and
// updates after checking their element types.
func scatterOperands(c *opCtx) (ds, is, us []int, err error) {
	if ds, err = c.arg(0); err != nil {
		return
	}
	if is, err = c.arg(1); err != nil {
		return
	}
	if us, err = c.arg(2); err != nil {
		return
	}
	if dt := c.op.Args[0].Type.DType; !sortableType(dt) {
		err = fmt.Errorf("%s of %s: not supported", c.op.Name, dt)
	} else if it := c.op.Args[1].Type.DType; !indexType(it) {
		err = fmt.Errorf("indices of %s: want i32 or i64", it)
	}
	return
}

// emitScatterElements writes ScatterElements as a call of the generic
// scatterElements; an index out of range is an error of Run.
func emitScatterElements(c *opCtx) (*kernel, error) {
	ds, is, us, err := scatterOperands(c)
	if err != nil {
		return nil, err
	}
	if !sameShape(is, us) || len(is) != len(ds) {
		return nil, fmt.Errorf("indices %v and updates %v do not fit data %v", is, us, ds)
	}
	ax, err := ir.NormAxis(c.op.Int("axis"), len(ds))
	if err != nil {
		return nil, err
	}
	red := c.op.Str("reduction")
	body := fmt.Sprintf("if err := scatterElements(data[:%d], idx[:%d], upd[:%d], y[:%d], %s, %s, %d, %q); err != nil {\nreturn err\n}\n", numel(ds), numel(is), numel(us), numel(ds), intsLit(ds), intsLit(is), ax, red)
	dt := c.op.Args[0].Type.DType
	shapes := fmt.Sprintf("%s, %s, %s", dtypeText(dt, ds), dtypeText(c.op.Args[1].Type.DType, is), dtypeText(dt, us))
	return &kernel{in: c.op.Args[:3], params: []string{"data", "idx", "upd", "y"}, nout: 1, fails: true, comment: fmt.Sprintf("ScatterElements on axis %d (reduction %s): %s", ax, red, shapes), body: body, shapes: shapes}, nil
}

// emitScatterND writes ScatterND as a call of the generic scatterND.
func emitScatterND(c *opCtx) (*kernel, error) {
	ds, is, us, err := scatterOperands(c)
	if err != nil {
		return nil, err
	}
	if len(is) == 0 || is[len(is)-1] > len(ds) {
		return nil, fmt.Errorf("indices %v do not fit data %v", is, ds)
	}
	k := is[len(is)-1]
	if numel(us) != numel(is[:len(is)-1])*numel(ds[k:]) {
		return nil, fmt.Errorf("updates %v do not fit indices %v and data %v", us, is, ds)
	}
	red := c.op.Str("reduction")
	body := fmt.Sprintf("if err := scatterND(data[:%d], idx[:%d], upd[:%d], y[:%d], %s, %d, %q); err != nil {\nreturn err\n}\n", numel(ds), numel(is), numel(us), numel(ds), intsLit(ds), k, red)
	dt := c.op.Args[0].Type.DType
	shapes := fmt.Sprintf("%s, %s, %s", dtypeText(dt, ds), dtypeText(c.op.Args[1].Type.DType, is), dtypeText(dt, us))
	return &kernel{in: c.op.Args[:3], params: []string{"data", "idx", "upd", "y"}, nout: 1, fails: true, comment: fmt.Sprintf("ScatterND (reduction %s): %s", red, shapes), body: body, shapes: shapes}, nil
}

// emitGatherND writes GatherND as a call of the generic gatherND.
func emitGatherND(c *opCtx) (*kernel, error) {
	ds, is, ys, err := c.binaryShapes()
	if err != nil {
		return nil, err
	}
	dt, it := c.op.Args[0].Type.DType, c.op.Args[1].Type.DType
	if goElem[dt] == "" || !indexType(it) {
		return nil, fmt.Errorf("GatherND of %s by %s: not supported", dt, it)
	}
	b := int(c.op.Int("batch_dims"))
	if len(is) == 0 || b >= len(is) || b >= len(ds) || b+is[len(is)-1] > len(ds) {
		return nil, fmt.Errorf("indices %v, batch_dims %d do not fit data %v", is, b, ds)
	}
	k := is[len(is)-1]
	body := fmt.Sprintf("if err := gatherND(data[:%d], idx[:%d], y[:%d], %d, %s, %d); err != nil {\nreturn err\n}\n", numel(ds), numel(is), numel(ys), numel(ds[:b]), intsLit(ds[b:]), k)
	shapes := fmt.Sprintf("%s, %s -> %s", dtypeText(dt, ds), dtypeText(it, is), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:2], params: []string{"data", "idx", "y"}, nout: 1, fails: true, comment: fmt.Sprintf("GatherND (batch_dims %d): %s", b, shapes), body: body, shapes: shapes}, nil
}

// emitDepthSpace writes DepthToSpace (DCR or CRD order) or SpaceToDepth
// as one loop over the NCHW output reading the input at the moved
// coordinates.
func emitDepthSpace(c *opCtx) (*kernel, error) {
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	if len(xs) != 4 || len(ys) != 4 {
		return nil, fmt.Errorf("X is %s, want 4-D", typeText(xs))
	}
	bs := int(c.op.Int("blocksize"))
	N, C, H, W := ys[0], ys[1], ys[2], ys[3]
	XC, XH, XW := xs[1], xs[2], xs[3]
	// src is the input offset of output (n, c, h, w).
	var src string
	switch {
	case c.op.Name == "SpaceToDepth":
		// Output channel c = (i*bs + j)*XC + xc reads x[n, xc, h*bs+i, w*bs+j].
		src = fmt.Sprintf("blk, xc := c/%[1]d, c%%%[1]d\ni, j := blk/%[2]d, blk%%%[2]d\nsrc := ((n*%[1]d+xc)*%[3]d+h*%[2]d+i)*%[4]d + w*%[2]d + j", XC, bs, XH, XW)
	case c.op.Str("mode") == "CRD":
		src = fmt.Sprintf("i, j := h%%%[2]d, w%%%[2]d\nsrc := ((n*%[1]d+c*%[5]d+i*%[2]d+j)*%[3]d+h/%[2]d)*%[4]d + w/%[2]d", XC, bs, XH, XW, bs*bs)
	default: // DCR
		src = fmt.Sprintf("i, j := h%%%[2]d, w%%%[2]d\nsrc := ((n*%[1]d+(i*%[2]d+j)*%[5]d+c)*%[3]d+h/%[2]d)*%[4]d + w/%[2]d", XC, bs, XH, XW, C)
	}
	body := fmt.Sprintf("x = x[:%d]\ny = y[:%d]\nat := 0\nfor n := 0; n < %d; n++ {\nfor c := 0; c < %d; c++ {\nfor h := 0; h < %d; h++ {\nfor w := 0; w < %d; w++ {\n%s\ny[at] = x[src]\nat++\n}\n}\n}\n}\n", numel(xs), numel(ys), N, C, H, W, src)
	dt := c.op.Args[0].Type.DType
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(dt, ys))
	what := fmt.Sprintf("%s (blocksize %d", c.op.Name, bs)
	if c.op.Name == "DepthToSpace" {
		what += ", mode " + c.op.Str("mode")
	}
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: fmt.Sprintf("%s): %s", what, shapes), body: body, shapes: shapes}, nil
}

// rowMajorStrides returns the strides of shape in row-major order.
func rowMajorStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// emitTile writes Tile: each output coordinate reads the input at itself
// modulo the input's dim; the repeats are fixed by the static shapes.
func emitTile(c *opCtx) (*kernel, error) {
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	if len(xs) != len(ys) {
		return nil, fmt.Errorf("input %v and result %v differ in rank", xs, ys)
	}
	for i := range xs {
		if xs[i] == 0 && ys[i] != 0 || xs[i] != 0 && ys[i]%xs[i] != 0 {
			return nil, fmt.Errorf("result %v is no tiling of input %v", ys, xs)
		}
	}
	yst, xst := rowMajorStrides(ys), rowMajorStrides(xs)
	body := fmt.Sprintf("x = x[:%d]\ny = y[:%d]\nfor i := range y {\nsrc := 0\n", numel(xs), numel(ys))
	for d := range ys {
		body += fmt.Sprintf("src += (i / %d %% %d %% %d) * %d\n", yst[d], ys[d], max(xs[d], 1), xst[d])
	}
	body += "y[i] = x[src]\n}\n"
	dt := c.op.Args[0].Type.DType
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(dt, ys))
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: "Tile " + shapes, body: body, shapes: shapes}, nil
}

// emitOneHot writes OneHot: values[1] where the inserted axis's
// coordinate equals the index (negative ones counting from the end),
// values[0] elsewhere; depth is fixed by the static result shape.
func emitOneHot(c *opCtx) (*kernel, error) {
	is, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	ax, err := ir.NormAxis(c.op.Int("axis"), len(is)+1)
	if err != nil {
		return nil, err
	}
	it, vt := c.op.Args[0].Type.DType, c.op.Args[2].Type.DType
	if !numericType(it) || goElem[vt] == "" {
		return nil, fmt.Errorf("OneHot of %s indices into %s: not supported", it, vt)
	}
	depth, inner := ys[ax], numel(is[ax:])
	body := fmt.Sprintf(`idx = idx[:%[1]d]
values = values[:2]
y = y[:%[2]d]
for i := range y {
o, rest := i/%[3]d, i%%%[3]d
d, in := rest/%[4]d, rest%%%[4]d
k := int64(idx[o*%[4]d+in])
if k < 0 {
k += %[5]d
}
if k == int64(d) {
y[i] = values[1]
} else {
y[i] = values[0]
}
}
`, numel(is), numel(ys), depth*inner, inner, depth)
	shapes := fmt.Sprintf("%s -> %s", dtypeText(it, is), dtypeText(vt, ys))
	return &kernel{in: []*ir.Value{c.op.Args[0], c.op.Args[2]}, params: []string{"idx", "values", "y"}, nout: 1, comment: fmt.Sprintf("OneHot on axis %d, depth %d: %s", ax, depth, shapes), body: body, shapes: shapes}, nil
}

// emitReverseSequence writes ReverseSequence: along time_axis, each batch
// b's first sequence_lens[b] elements reversed, the rest copied. A length
// past the time axis is an error of Run.
func emitReverseSequence(c *opCtx) (*kernel, error) {
	xs, ls, _, err := c.binaryShapes()
	if err != nil {
		return nil, err
	}
	if len(xs) < 2 {
		return nil, fmt.Errorf("input %v: want rank 2 or more", xs)
	}
	ba, ta := int(c.op.Int("batch_axis")), int(c.op.Int("time_axis"))
	if ba < 0 || ba > 1 || ta < 0 || ta > 1 || ba == ta || numel(ls) != xs[ba] {
		return nil, fmt.Errorf("batch_axis %d, time_axis %d, sequence_lens %v do not fit input %v", ba, ta, ls, xs)
	}
	st := rowMajorStrides(xs)
	inner := numel(xs[2:])
	body := fmt.Sprintf(`x = x[:%[1]d]
y = y[:%[1]d]
copy(y, x)
for b := 0; b < %[2]d; b++ {
n := int(lens[b])
if n < 0 || n > %[3]d {
return fmt.Errorf("sequence length %%d of batch %%d is outside [0, %[3]d]", n, b)
}
for t := 0; t < n; t++ {
dst, src := b*%[4]d+t*%[5]d, b*%[4]d+(n-1-t)*%[5]d
copy(y[dst:dst+%[6]d], x[src:src+%[6]d])
}
}
`, numel(xs), xs[ba], xs[ta], st[ba], st[ta], inner)
	dt := c.op.Args[0].Type.DType
	shapes := dtypeText(dt, xs)
	return &kernel{in: c.op.Args[:2], params: []string{"x", "lens", "y"}, nout: 1, fails: true, comment: fmt.Sprintf("ReverseSequence (batch axis %d, time axis %d) of %s", ba, ta, shapes), body: body, shapes: shapes}, nil
}
