package codegen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	extendedEmitters["Resize"] = emitResizeAny
}

// floatsLit is a Go []float64 literal that keeps every bit of v.
func floatsLit(v []float64) string {
	parts := make([]string, len(v))
	for i, f := range v {
		parts[i] = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return "[]float64{" + strings.Join(parts, ", ") + "}"
}

// emitResizeAny writes a Resize the nearest-neighbour kernel does not take
// (linear and cubic modes, scales or roi computed at run time) as a call
// of the generic resizeND (codegen/kernels/generic_resize.go). Scales come
// from the scales operand (at run time, then checked against the compiled
// shape), or from sizes over the input's dims.
func emitResizeAny(c *opCtx) (*kernel, error) {
	base, baseErr := emitters["Resize"](c)
	if baseErr == nil {
		return base, nil
	}
	xs, ys, err := c.unaryShapes()
	if err != nil {
		return nil, err
	}
	dt := c.op.Args[0].Type.DType
	if dt != ir.F32 && dt != ir.F64 {
		return nil, baseErr
	}
	r := len(xs)
	present := func(i int) bool {
		a := c.op.Arg(i)
		return a != nil && a.Type.Kind == ir.TensorKind && a.Type.Shape.NumElements() != 0
	}
	in := []*ir.Value{c.op.Args[0]}
	params := []string{"x"}
	var pre strings.Builder
	scales, fromScales := "", true
	listed := c.op.Has("axes")
	if listed || c.op.Str("keep_aspect_ratio_policy") != "stretch" {
		// Resize-18's axes and aspect policy: the full scales at compile time.
		var sc []float64
		var sizes []int64
		if present(2) {
			fs, ok := ir.ConstFloats(c.op.Args[2])
			if !ok {
				return nil, fmt.Errorf("scales computed at run time with axes or keep_aspect_ratio_policy: not supported")
			}
			sc = fs
		} else if present(3) {
			if sizes, err = c.g.knownInts(c.op.Args[3]); err != nil {
				return nil, err
			}
		}
		dims := make([]int64, r)
		for i, d := range xs {
			dims[i] = int64(d)
		}
		var axes []int64
		if listed {
			axes = c.op.Ints("axes")
		}
		out, full, err := ir.ResizeShape(dims, sc, sizes, axes, c.op.Str("keep_aspect_ratio_policy"))
		if err != nil {
			return nil, err
		}
		for i := range out {
			if int(out[i]) != ys[i] {
				return nil, fmt.Errorf("the scales give %v, the result is %v", out, ys)
			}
		}
		if present(1) {
			return nil, fmt.Errorf("roi with axes: not supported")
		}
		scales, fromScales = floatsLit(full), false
	} else if present(2) {
		if fs, ok := ir.ConstFloats(c.op.Args[2]); ok {
			scales = floatsLit(fs)
		} else {
			in, params = append(in, c.op.Args[2]), append(params, "scalesIn")
			pre.WriteString("scales := make([]float64, len(scalesIn))\nfor i, v := range scalesIn {\nscales[i] = float64(v)\n}\n")
			scales = "scales"
		}
	} else {
		sc := make([]float64, r)
		for i := range sc {
			sc[i] = float64(ys[i]) / float64(xs[i])
		}
		scales, fromScales = floatsLit(sc), false
	}
	roi := "nil"
	if present(1) {
		in, params = append(in, c.op.Args[1]), append(params, "roiIn")
		pre.WriteString("roi := make([]float64, len(roiIn))\nfor i, v := range roiIn {\nroi[i] = float64(v)\n}\n")
		roi = "roi"
	}
	mode, coord := c.op.Str("mode"), c.op.Str("coordinate_transformation_mode")
	body := pre.String() + fmt.Sprintf("if err := resizeND(x[:%d], y[:%d], %s, %s, %s, %v, %s, %q, %q, %q, %s, %v, %v, %s); err != nil {\nreturn err\n}\n",
		numel(xs), numel(ys), intsLit(xs), intsLit(ys), scales, fromScales, roi, mode, coord, c.op.Str("nearest_mode"),
		strconv.FormatFloat(float64(c.op.Float("cubic_coeff_a")), 'g', -1, 64), c.op.Int("exclude_outside") != 0, c.op.Int("antialias") != 0,
		strconv.FormatFloat(float64(c.op.Float("extrapolation_value")), 'g', -1, 64))
	shapes := fmt.Sprintf("%s -> %s", dtypeText(dt, xs), dtypeText(dt, ys))
	return &kernel{in: in, params: append(params, "y"), nout: 1, fails: true, comment: fmt.Sprintf("Resize (%s, %s) %s: generic", mode, coord, shapes), body: body, shapes: shapes}, nil
}
