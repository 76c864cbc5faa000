package codegen

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/codegen/kernels"
	"github.com/kiln-ml/kiln/ir"
)

// The fused producers of the epilogue pass: the base op's kernel, then
// one loop over its output that applies the epilogue's ops to each
// element while it is still in cache, instead of one kernel and one
// buffer per elementwise op. Epilogues with an op outside unaryStmts and
// epilogueBinary,
// or a non-float32 producer, are compiled as their definition instead
// (ir.UnfuseOp, before anything else; see fusedEmittable).

func init() {
	for _, name := range []string{"kiln.FusedConv", "kiln.FusedGemm", "kiln.FusedMatMul"} {
		emitters[name] = emitFused
	}
}

// epilogueStmt returns the statement on v of a unary epilogue op (one of
// unaryStmts), or false.
func epilogueStmt(op *ir.Op) (string, bool) {
	f := unaryStmts[op.Name]
	if f == nil {
		return "", false
	}
	s, err := f(&opCtx{op: op})
	return s, err == nil
}

// epilogueBinary are the binary epilogue ops: an expression of two
// float32 operands.
var epilogueBinary = map[string]string{"Add": "%s + %s", "Sub": "%s - %s", "Mul": "%s * %s", "Div": "%s / %s"}

// fusedEmittable reports whether codegen writes op's epilogue itself:
// a float32 producer whose epilogue ops are all in the tables above, each
// reading the epilogue's params, earlier results or rank-0 constants.
func fusedEmittable(op *ir.Op) bool {
	if _, _, ok := ir.FusedBase(op.Name); !ok || len(op.Regions) != 1 || len(op.Results) != 1 || op.Results[0].Type.DType != ir.F32 {
		return false
	}
	// 1-D convolutions are lowered to 2-D ones before emission (lower.go),
	// fused ones too when their extra operands can take the same view.
	if op.Name == "kiln.FusedConv" {
		if len(op.Args) == 0 || op.Args[0] == nil {
			return false
		}
		switch op.Args[0].Type.Shape.Rank() {
		case 4:
		case 3:
			if !lower1DExtrasOK(op) {
				return false
			}
		default:
			return false
		}
	}
	epi := op.Regions[0]
	known := map[*ir.Value]bool{}
	for _, p := range epi.Params {
		known[p] = true
	}
	for _, e := range epi.Ops {
		if len(e.Results) != 1 {
			return false
		}
		if _, ok := epilogueStmt(e); ok {
			if len(e.Args) == 0 || !known[e.Args[0]] {
				return false
			}
		} else if _, ok := epilogueBinary[e.Name]; ok {
			if len(e.Args) != 2 {
				return false
			}
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
	return len(epi.Results) == 1 && known[epi.Results[0]]
}

// isScalarConst reports whether v is a rank-0 float constant.
func isScalarConst(v *ir.Value) bool {
	if v == nil || !v.IsConst() || !v.Type.Shape.Ranked || v.Type.Shape.Rank() != 0 {
		return false
	}
	fs, ok := ir.ConstFloats(v)
	return ok && len(fs) == 1
}

// epilogue is a fused op's epilogue as its base kernel may write it into
// its own loops (opCtx.epi): the statements for one element of the output,
// given how to read it, its extras and where to store it. A base kernel
// that writes it sets kernel.epiDone; otherwise emitFused writes its own
// loop over the output after the kernel.
type epilogue struct {
	// strides[i][d] is extra i's stride along output dim d (0 where it
	// broadcasts); the extras are the kernel's params ex0, ex1, ...
	strides [][]int
	// stmt returns the statements that compute the epilogue of the
	// element read by in (the base op's value, an expression), with
	// extra i's element at ex[i], storing the result to out.
	stmt func(in, out string, ex []string) string
	// A kernel that applies the epilogue row by row writes rowStmt for
	// each element of a row, then, when rowFn is set, the call it formats
	// with the row (vecRowCall): a vector loop of the library taking the
	// epilogue's last op, which rowStmt then leaves out.
	rowStmt func(in, out string, ex []string) string
	rowFn   string
	// region, rowOps and rowResult are what rowStmt computes, for the
	// vector form (emit_epivec.go).
	region    *ir.Region
	rowOps    []*ir.Op
	rowResult *ir.Value
	last      *ir.Op // the op rowFn computes, when set
}

// rowLoop writes, for the row slice row of a kernel's output just
// computed, the loop applying rowStmt to each element (index variable j,
// the base op's value in, row[j] when empty, the extras' elements at ex)
// and the rowFn call.
func (e *epilogue) rowLoop(row, j, in string, ex []string) string {
	y := fmt.Sprintf("%s[%s]", row, j)
	if in == "" {
		in = y
	}
	s := fmt.Sprintf("for %s := range %s {\n%s}\n", j, row, e.rowStmt(in, y, ex))
	if e.rowFn != "" {
		s += fmt.Sprintf(e.rowFn, row) + "\n"
	}
	return s
}

// bcastStrides is the stride of an operand of shape xs along each dim of
// the output shape ys it broadcasts to (0 where it broadcasts).
func bcastStrides(ys, xs []int) []int {
	st := make([]int, len(ys))
	acc := 1
	for i := len(ys) - 1; i >= 0; i-- {
		if j := i - (len(ys) - len(xs)); j >= 0 && xs[j] != 1 {
			st[i] = acc
			acc *= xs[j]
		}
	}
	return st
}

// indexExpr is the Go expression sum of vars[i]*strides[i] (terms with a
// zero stride dropped; "0" when none is left).
func indexExpr(vars []string, strides []int) string {
	var terms []string
	for i, v := range vars {
		switch strides[i] {
		case 0:
		case 1:
			terms = append(terms, v)
		default:
			terms = append(terms, fmt.Sprintf("%s*%d", v, strides[i]))
		}
	}
	if len(terms) == 0 {
		return "0"
	}
	return strings.Join(terms, "+")
}

// emitFused writes the base op's kernel with the epilogue written into its
// loops when the base kernel can (convolutions and matrix products apply
// it to each block of their output while in cache), else followed by one
// loop over the output.
func emitFused(c *opCtx) (*kernel, error) {
	base, err := ir.BaseOp(c.op)
	if err != nil {
		return nil, err
	}
	be := emitters[base.Name]
	if be == nil {
		return nil, fmt.Errorf("no kernel for %s", base.Name)
	}
	if err := checkKernelTypes(base); err != nil {
		return nil, err
	}
	ys, err := c.out(0)
	if err != nil {
		return nil, err
	}
	_, nb, _ := ir.FusedBase(c.op.Name)
	var extras []*ir.Value
	if len(c.op.Args) > nb {
		extras = c.op.Args[nb:]
	}
	epi := c.op.Regions[0]
	shapes := [][]int{ys}
	for _, x := range extras {
		xs, err := c.shape(x)
		if err != nil {
			return nil, err
		}
		shapes = append(shapes, xs)
	}
	// stmt writes the epilogue ops on in and the extras' elements.
	var ops []string
	for _, e := range epi.Ops {
		ops = append(ops, e.Name)
	}
	// With the vector units, an epilogue ending in an op the vector math
	// unit has a row loop for (vecRowCall), of the value before it, leaves
	// that op to the row loop.
	ops0 := epi.Ops
	rowFn := ""
	if n := len(epi.Ops); c.g.tile == kernels.SIMDTile && n > 0 {
		last := epi.Ops[n-1]
		prev := epi.Params[0]
		if n > 1 {
			prev = epi.Ops[n-2].Results[0]
		}
		if len(last.Args) > 0 && last.Args[0] == prev && epi.Results[0] == last.Results[0] {
			if rowFn = vecRowCall(last); rowFn != "" {
				ops0 = epi.Ops[:n-1]
			}
		}
	}
	gen := func(ops []*ir.Op, result *ir.Value) func(in, out string, ex []string) string {
		return func(in, out string, ex []string) string {
			return epilogueStmts(epi, ops, result, in, out, ex)
		}
	}
	stmt := gen(epi.Ops, epi.Results[0])
	rowResult := epi.Results[0]
	if rowFn != "" {
		rowResult = epi.Params[0]
		if len(ops0) > 0 {
			rowResult = ops0[len(ops0)-1].Results[0]
		}
	}
	ep := &epilogue{stmt: stmt, rowStmt: gen(ops0, rowResult), rowFn: rowFn, region: epi, rowOps: ops0, rowResult: rowResult}
	if rowFn != "" {
		ep.last = epi.Ops[len(epi.Ops)-1]
	}
	for _, xs := range shapes[1:] {
		ep.strides = append(ep.strides, bcastStrides(ys, xs))
	}
	k, err := be(&opCtx{g: c.g, op: base, epi: ep})
	if err != nil {
		return nil, err
	}
	yname := k.params[len(k.params)-1]
	if k.nout != 1 {
		return nil, fmt.Errorf("%s kernel has %d results", base.Name, k.nout)
	}
	// The kernel's params are the base kernel's operands, then the extra
	// operands, then its result.
	params := append([]string{}, k.params[:len(k.params)-k.nout]...)
	var reslice strings.Builder
	for i := range extras {
		params = append(params, fmt.Sprintf("ex%d", i))
		fmt.Fprintf(&reslice, "ex%d = ex%d[:%d]\n", i, i, numel(shapes[i+1]))
	}
	params = append(params, k.params[len(k.params)-k.nout:]...)
	var body strings.Builder
	if k.epiDone {
		body.WriteString(reslice.String())
		body.WriteString(k.body)
	} else {
		body.WriteString(k.body)
		body.WriteString(reslice.String())
		dims, strides := broadcastLoops(ys, shapes...)
		writeLoops(&body, dims, strides, func(idx []string) string {
			var ex []string
			for i := range extras {
				ex = append(ex, fmt.Sprintf("ex%d[%s]", i, idx[i+1]))
			}
			y := fmt.Sprintf("%s[%s]", yname, idx[0])
			return strings.TrimSuffix(stmt(y, y, ex), "\n")
		}, "")
	}
	k.in = append(append([]*ir.Value{}, k.in...), extras...)
	k.params = params
	k.body = body.String()
	k.comment += " then " + strings.Join(ops, ", ")
	k.flops += int64(numel(ys) * len(epi.Ops))
	return k, nil
}

// epilogueStmts writes the statements of the epilogue ops ops of region
// epi on the element read by in (epi's first param), extra i's element at
// ex[i], storing result's value to out.
func epilogueStmts(epi *ir.Region, ops []*ir.Op, result *ir.Value, in, out string, ex []string) string {
	var b strings.Builder
	b.WriteString("var v float32\n")
	vals := map[*ir.Value]string{}
	ref := func(a *ir.Value) string {
		if s, ok := vals[a]; ok {
			return s
		}
		for pi, p := range epi.Params {
			if p == a {
				if pi == 0 {
					return in
				}
				return ex[pi-1]
			}
		}
		fs, _ := ir.ConstFloats(a)
		return f32Lit(float32(fs[0]))
	}
	for n, e := range ops {
		t := fmt.Sprintf("t%d", n)
		if s, ok := epilogueStmt(e); ok {
			fmt.Fprintf(&b, "v = %s\n%s\n%s := v\n", ref(e.Args[0]), s, t)
		} else {
			fmt.Fprintf(&b, "%s := %s\n", t, fmt.Sprintf(epilogueBinary[e.Name], ref(e.Args[0]), ref(e.Args[1])))
		}
		vals[e.Results[0]] = t
	}
	fmt.Fprintf(&b, "_ = v\n%s = %s\n", out, ref(result))
	return b.String()
}

// vecRowCall is the call of the vector math unit's row loop computing op
// over a row (a format with one %s for the row), or "": GELU (erf form),
// Clip with both bounds constant, Relu.
func vecRowCall(op *ir.Op) string {
	switch op.Name {
	case "Gelu":
		if op.Str("approximate") != "tanh" && len(op.Args) == 1 {
			return "geluRow(%s)"
		}
	case "Relu":
		if len(op.Args) == 1 {
			return "reluRow(%s)"
		}
	case "Clip":
		if len(op.Args) == 3 && op.Args[1] != nil && op.Args[2] != nil {
			lo, ok1 := ir.ConstFloats(op.Args[1])
			hi, ok2 := ir.ConstFloats(op.Args[2])
			if ok1 && ok2 && len(lo) == 1 && len(hi) == 1 {
				return "clampRow(%s, " + f32Lit(float32(lo[0])) + ", " + f32Lit(float32(hi[0])) + ")"
			}
		}
	}
	return ""
}
