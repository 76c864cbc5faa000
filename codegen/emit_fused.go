package codegen

import (
	"fmt"
	"strings"

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
	// which only plain Conv goes through.
	if op.Name == "kiln.FusedConv" && (len(op.Args) == 0 || op.Args[0] == nil || op.Args[0].Type.Shape.Rank() != 4) {
		return false
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

// emitFused writes the base op's kernel followed by the epilogue loop.
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
	k, err := be(&opCtx{g: c.g, op: base})
	if err != nil {
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
	yname := k.params[len(k.params)-1]
	if k.nout != 1 {
		return nil, fmt.Errorf("%s kernel has %d results", base.Name, k.nout)
	}
	names := map[*ir.Value]string{epi.Params[0]: yname + "[%s]"}
	// The kernel's params are the base kernel's operands, then the extra
	// operands, then its result.
	params := append([]string{}, k.params[:len(k.params)-k.nout]...)
	for i, x := range extras {
		xs, err := c.shape(x)
		if err != nil {
			return nil, err
		}
		shapes = append(shapes, xs)
		p := fmt.Sprintf("ex%d", i)
		params = append(params, p)
		names[epi.Params[i+1]] = p + "[%s]"
	}
	params = append(params, k.params[len(k.params)-k.nout:]...)
	dims, strides := broadcastLoops(ys, shapes...)
	var body strings.Builder
	body.WriteString(k.body)
	for i := range extras {
		fmt.Fprintf(&body, "ex%d = ex%d[:%d]\n", i, i, numel(shapes[i+1]))
	}
	var ops []string
	writeLoops(&body, dims, strides, func(idx []string) string {
		var b strings.Builder
		b.WriteString("var v float32\n")
		vals := map[*ir.Value]string{}
		ref := func(a *ir.Value) string {
			if s, ok := vals[a]; ok {
				return s
			}
			if n, ok := names[a]; ok {
				j := 0
				for pi, p := range epi.Params {
					if p == a {
						j = pi
					}
				}
				return fmt.Sprintf(n, idx[j])
			}
			fs, _ := ir.ConstFloats(a)
			return f32Lit(float32(fs[0]))
		}
		for n, e := range epi.Ops {
			t := fmt.Sprintf("t%d", n)
			if stmt, ok := epilogueStmt(e); ok {
				fmt.Fprintf(&b, "v = %s\n%s\n%s := v\n", ref(e.Args[0]), stmt, t)
			} else {
				fmt.Fprintf(&b, "%s := %s\n", t, fmt.Sprintf(epilogueBinary[e.Name], ref(e.Args[0]), ref(e.Args[1])))
			}
			vals[e.Results[0]] = t
			ops = append(ops, e.Name)
		}
		fmt.Fprintf(&b, "_ = v\n%s[%s] = %s", yname, idx[0], ref(epi.Results[0]))
		return b.String()
	}, "")
	k.in = append(append([]*ir.Value{}, k.in...), extras...)
	k.params = params
	k.body = body.String()
	k.comment += " then " + strings.Join(ops, ", ")
	k.flops += int64(numel(ys) * len(epi.Ops))
	return k, nil
}
