package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	emitters["Cast"] = emitCast
	emitters["Gather"] = emitGather
	emitters["LayerNormalization"] = emitLayerNorm
}

// emitCast writes a conversion between the element types codegen stores.
// float32 to int64 truncates toward zero, as ONNX's Cast does for values
// in range; to bool is "not zero", from bool 0 or 1.
func emitCast(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	from, to := c.op.Args[0].Type.DType, c.op.Results[0].Type.DType
	if goElem[from] == "" || goElem[to] == "" {
		return nil, fmt.Errorf("cast from %s to %s: codegen handles numbers and bool only so far", from, to)
	}
	if isHalf(from) || isHalf(to) {
		return emitCastHalf(c, xs, from, to)
	}
	n := numel(xs)
	shapes := fmt.Sprintf("%s -> %s", dtypeText(from, xs), dtypeText(to, xs))
	conv := fmt.Sprintf("y[i] = %s(v)", goElem[to])
	switch {
	case from.IsFloat() && to.IsInt() && to != ir.I64 && to != ir.U64:
		// Through int64, so that out-of-range values wrap as the
		// interpreter's (and C's) casts do.
		conv = fmt.Sprintf("y[i] = %s(int64(v))", goElem[to])
	case from == to:
		conv = "y[i] = v"
	case to == ir.Bool:
		conv = "y[i] = v != 0"
	case from == ir.Bool:
		conv = "y[i] = 0\nif v {\ny[i] = 1\n}"
	}
	body := fmt.Sprintf("x = x[:%d]\ny = y[:%d]\nfor i, v := range x {\n%s\n}\n", n, n, conv)
	return &kernel{in: c.op.Args[:1], params: []string{"x", "y"}, nout: 1, comment: "Cast " + shapes, body: body, shapes: shapes}, nil
}

// emitGather writes Gather along one axis as block copies. Indices known
// at compile time are checked there and written into the kernel; indices
// computed at run time are checked as they are read, and one out of range
// is an error of Run.
func emitGather(c *opCtx) (*kernel, error) {
	xs, is, ys, err := c.binaryShapes()
	if err != nil {
		return nil, err
	}
	ax, err := ir.NormAxis(c.op.Int("axis"), len(xs))
	if err != nil {
		return nil, err
	}
	outer, axLen, inner, nidx := numel(xs[:ax]), xs[ax], numel(xs[ax+1:]), numel(is)
	if outer*nidx*inner != numel(ys) {
		return nil, fmt.Errorf("result %v does not match data %v and indices %v", ys, xs, is)
	}
	shapes := fmt.Sprintf("%s, %s -> %s", dtypeText(c.op.Args[0].Type.DType, xs), dtypeText(c.op.Args[1].Type.DType, is), dtypeText(c.op.Results[0].Type.DType, ys))
	k := &kernel{nout: 1, shapes: shapes, comment: fmt.Sprintf("Gather on axis %d: %s", ax, shapes)}
	var b strings.Builder
	fmt.Fprintf(&b, "x = x[:%d]\ny = y[:%d]\n", numel(xs), numel(ys))
	copyRow := fmt.Sprintf("copy(y[(o*%[1]d+j)*%[2]d:(o*%[1]d+j+1)*%[2]d], x[(o*%[3]d+int(k))*%[2]d:(o*%[3]d+int(k)+1)*%[2]d])\n", nidx, inner, axLen)
	if known, err := c.g.knownInts(c.op.Args[1]); err == nil {
		lits := make([]string, len(known))
		for i, v := range known {
			if v < -int64(axLen) || v >= int64(axLen) {
				return nil, fmt.Errorf("index %d out of range for axis %d of size %d", v, ax, axLen)
			}
			if v < 0 {
				v += int64(axLen)
			}
			lits[i] = fmt.Sprint(v)
		}
		k.in = c.op.Args[:1]
		k.params = []string{"x", "y"}
		fmt.Fprintf(&b, "for o := 0; o < %d; o++ {\nfor j, k := range [...]int{%s} {\n%s}\n}\n", outer, strings.Join(lits, ", "), copyRow)
	} else {
		k.in = c.op.Args[:2]
		k.params = []string{"x", "idx", "y"}
		k.fails = true
		fmt.Fprintf(&b, "idx = idx[:%d]\nfor o := 0; o < %d; o++ {\nfor j, k := range idx {\nif k < 0 {\nk += %d\n}\nif k < 0 || k >= %d {\nreturn fmt.Errorf(\"index %%d out of range [-%d, %d)\", idx[j])\n}\n%s}\n}\n", nidx, outer, axLen, axLen, axLen, axLen, copyRow)
	}
	k.body = b.String()
	return k, nil
}

// emitLayerNorm writes LayerNormalization over the dims from axis on, the
// moments in float64, each summed in four partial sums added in a fixed
// order (one chain of dependent float64 additions per row was most of
// the kernel's time).
func emitLayerNorm(c *opCtx) (*kernel, error) {
	xs, err := c.arg(0)
	if err != nil {
		return nil, err
	}
	ax, err := ir.NormAxis(c.op.Int("axis"), len(xs))
	if err != nil {
		return nil, err
	}
	outer, n := numel(xs[:ax]), numel(xs[ax:])
	in := []*ir.Value{c.op.Args[0], c.op.Args[1]}
	params := []string{"x", "scale"}
	bias := ""
	for i := 1; i < len(c.op.Args); i++ {
		if c.op.Args[i] == nil {
			continue
		}
		s, err := c.arg(i)
		if err != nil {
			return nil, err
		}
		if numel(s) != n {
			return nil, fmt.Errorf("operand %d is %s, want %d elements (codegen does not broadcast them yet)", i, typeText(s), n)
		}
		if i == 2 {
			in = append(in, c.op.Args[2])
			params = append(params, "bias")
			bias = " + bias[i]"
		}
	}
	shapes := typeText(xs)
	// The optional Mean and InvStdDev results, one per normalized row.
	outs := []string{"y"}
	stats := ""
	for i, name := range []string{"meanOut", "invStdOut"} {
		if i+1 < len(c.op.Results) && c.op.Results[i+1] != nil {
			if t := c.op.Results[i+1].Type.DType; t != ir.F32 {
				return nil, fmt.Errorf("result %d is %s; codegen computes f32 statistics only", i+1, t)
			}
			outs = append(outs, name)
			stats += fmt.Sprintf("%s[o] = float32(%s)\n", name, []string{"mean", "inv"}[i])
		}
	}
	body := fmt.Sprintf(`x = x[:%[1]d]
y = y[:%[1]d]
scale = scale[:%[3]d]
for o := 0; o < %[2]d; o++ {
row := x[o*%[3]d : (o+1)*%[3]d]
dst := y[o*%[3]d : (o+1)*%[3]d]
var s0, s1, s2, s3 float64
r := row
for len(r) >= 4 {
s0 += float64(r[0])
s1 += float64(r[1])
s2 += float64(r[2])
s3 += float64(r[3])
r = r[4:]
}
for _, v := range r {
s0 += float64(v)
}
mean := ((s0 + s1) + (s2 + s3)) / %[3]d
s0, s1, s2, s3 = 0, 0, 0, 0
r = row
for len(r) >= 4 {
d0, d1, d2, d3 := float64(r[0])-mean, float64(r[1])-mean, float64(r[2])-mean, float64(r[3])-mean
s0 += d0 * d0
s1 += d1 * d1
s2 += d2 * d2
s3 += d3 * d3
r = r[4:]
}
for _, v := range r {
d := float64(v) - mean
s0 += d * d
}
sq := (s0 + s1) + (s2 + s3)
inv := 1 / math.Sqrt(sq/%[3]d+%[4]v)
for i, v := range row {
dst[i] = float32((float64(v)-mean)*inv)*scale[i]%[5]s
}
%[6]s}
`, numel(xs), outer, n, float64(c.op.Float("epsilon")), bias, stats)
	return &kernel{in: in, params: append(params, outs...), nout: len(outs), comment: fmt.Sprintf("LayerNormalization over the last %d elements of %s", n, shapes), body: body, shapes: shapes, flops: 8 * int64(numel(xs))}, nil
}
