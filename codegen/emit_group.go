package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

// The elementwise groups of the group pass (kiln.FusedElementwise): one
// loop over the output computes each element from the operands' elements
// (broadcast operands read through their strides, as emitBinary reads
// them) with the element region's ops as scalar Go statements, instead of
// one kernel and one buffer per op. A group with an op outside
// groupUnary, unaryStmts and epilogueBinary, or of another element type
// than float32, compiles as its definition (ir.UnfuseOp, before anything
// else; see groupEmittable).

func init() {
	emitters["kiln.FusedElementwise"] = emitGroup
}

// groupUnary are the unary ops a group writes with a float32 function of
// mathf.go that the one-op kernels do not use: Log, which emit_math.go
// computes in float64 through package math.
var groupUnary = map[string]string{
	"Log": "v = logf(v)",
}

// groupStmt returns the statement on v of a unary region op, or false.
func groupStmt(op *ir.Op) (string, bool) {
	if s, ok := groupUnary[op.Name]; ok && len(op.Args) == 1 {
		return s, true
	}
	return epilogueStmt(op)
}

// groupEmittable reports whether codegen writes the group op as one loop:
// a float32 kiln.FusedElementwise whose region ops all have a scalar form
// (groupStmt or epilogueBinary) reading the region's params, earlier
// results or rank-0 constants.
func groupEmittable(op *ir.Op) bool {
	if op.Name != "kiln.FusedElementwise" || len(op.Regions) != 1 || len(op.Results) != 1 || op.Results[0].Type.DType != ir.F32 {
		return false
	}
	for _, a := range op.Args {
		if a == nil || a.Type.DType != ir.F32 {
			return false
		}
	}
	el := op.Regions[0]
	if len(el.Params) != len(op.Args) || len(el.Results) != 1 {
		return false
	}
	known := map[*ir.Value]bool{}
	for _, p := range el.Params {
		known[p] = true
	}
	for _, e := range el.Ops {
		if len(e.Results) != 1 || len(e.Args) == 0 {
			return false
		}
		if _, ok := groupStmt(e); ok {
			if !known[e.Args[0]] {
				return false
			}
		} else if _, ok := epilogueBinary[e.Name]; ok && len(e.Args) == 2 {
			for _, a := range e.Args {
				if !known[a] && !isScalarConst(a) {
					return false
				}
			}
		} else {
			return false
		}
		known[e.Results[0]] = true
	}
	return known[el.Results[0]]
}

// groupStmts writes the statements of region el for one element: param i
// reads in[i]; the result is stored to out.
func groupStmts(el *ir.Region, in []string, out string) string {
	var b strings.Builder
	vals := map[*ir.Value]string{}
	for i, p := range el.Params {
		vals[p] = in[i]
	}
	ref := func(a *ir.Value) string {
		if s, ok := vals[a]; ok {
			return s
		}
		fs, _ := ir.ConstFloats(a)
		return f32Lit(float32(fs[0]))
	}
	usesV := false
	for n, e := range el.Ops {
		t := fmt.Sprintf("t%d", n)
		if s, ok := groupStmt(e); ok {
			fmt.Fprintf(&b, "v = %s\n%s\n%s := v\n", ref(e.Args[0]), s, t)
			usesV = true
		} else {
			fmt.Fprintf(&b, "%s := %s\n", t, fmt.Sprintf(epilogueBinary[e.Name], ref(e.Args[0]), ref(e.Args[1])))
		}
		vals[e.Results[0]] = t
	}
	fmt.Fprintf(&b, "%s = %s", out, ref(el.Results[0]))
	if usesV {
		return "var v float32\n" + b.String()
	}
	return b.String()
}

// emitGroup writes a kiln.FusedElementwise as one loop nest over its
// output, dims that every operand walks alike merged (broadcastLoops).
func emitGroup(c *opCtx) (*kernel, error) {
	if !groupEmittable(c.op) {
		return nil, fmt.Errorf("the element region has an op codegen has no scalar form for")
	}
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	shapes := [][]int{ys}
	var params, texts, names []string
	var body strings.Builder
	for i, a := range c.op.Args {
		xs, err := c.shape(a)
		if err != nil {
			return nil, err
		}
		shapes = append(shapes, xs)
		p := fmt.Sprintf("x%d", i)
		params = append(params, p)
		texts = append(texts, typeText(xs))
		fmt.Fprintf(&body, "%s = %s[:%d]\n", p, p, numel(xs))
	}
	n := numel(ys)
	fmt.Fprintf(&body, "y = y[:%d]\n", n)
	el := c.op.Regions[0]
	for _, e := range el.Ops {
		names = append(names, e.Name)
	}
	dims, strides := broadcastLoops(ys, shapes...)
	elem := func(idx []string) string {
		in := make([]string, len(c.op.Args))
		for i := range in {
			in[i] = fmt.Sprintf("x%d[%s]", i, idx[i+1])
		}
		return groupStmts(el, in, "y["+idx[0]+"]")
	}
	par := false
	contiguous := len(dims) == 1
	for _, st := range strides {
		contiguous = contiguous && st[0] <= 1
	}
	if contiguous && c.parallel(n) {
		// Chunks of the one loop; each element is computed the same way
		// whatever the split.
		par = true
		idx := []string{"i"}
		for _, st := range strides[1:] {
			if st[0] == 0 {
				idx = append(idx, "0")
			} else {
				idx = append(idx, "i")
			}
		}
		fmt.Fprintf(&body, "parallelFor(%d, threads, func(lo, hi int) {\nfor i := lo; i < hi; i++ {\n%s\n}\n})\n", n, elem(idx))
	} else {
		writeLoops(&body, dims, strides, elem, "")
	}
	shapeText := fmt.Sprintf("%s -> %s", strings.Join(texts, ", "), typeText(ys))
	return &kernel{
		in:      c.op.Args,
		params:  append(params, "y"),
		nout:    1,
		comment: fmt.Sprintf("y = %s, elementwise in one loop: %s", strings.Join(names, ", "), shapeText),
		body:    body.String(),
		shapes:  shapeText,
		flops:   int64(n * len(el.Ops)),
		par:     par,
	}, nil
}
