package passes

import (
	"slices"

	"github.com/kiln-ml/kiln/ir"
)

// replacer rewrites a function in one walk: each op's operands (and each
// region's results) are redirected through a map of replaced values before
// the op is shown to visit, which may add replacements for the op's own
// results. Because SSA defines a value before its uses, one walk in op
// order sees every use after its replacement was decided, chains included.
// The replaced ops stay in place, unused, for dce to remove.
type replacer map[*ir.Value]*ir.Value

// resolve follows v through the replacements.
func (rp replacer) resolve(v *ir.Value) *ir.Value {
	for v != nil {
		w, ok := rp[v]
		if !ok {
			return v
		}
		v = w
	}
	return v
}

// walk visits every op of r and its nested regions in order. visit sees an
// op after its operands were redirected and before its regions are walked.
func (rp replacer) walk(r *ir.Region, visit func(op *ir.Op)) {
	// A copy: visit may insert ops (which it has built from resolved
	// operands already) before the one it is shown.
	for _, op := range slices.Clone(r.Ops) {
		for i, a := range op.Args {
			op.Args[i] = rp.resolve(a)
		}
		for i := range op.Attrs {
			if v := &op.Attrs[i].Value; v.Kind == ir.AttrTensor {
				v.Tensor = rp.resolve(v.Tensor)
			}
		}
		visit(op)
		for _, sub := range op.Regions {
			rp.walk(sub, visit)
		}
	}
	for i, v := range r.Results {
		r.Results[i] = rp.resolve(v)
	}
}

// funcsOf returns every function body of m.
func funcsOf(m *ir.Module) []*ir.Region {
	rs := make([]*ir.Region, len(m.Funcs))
	for i, f := range m.Funcs {
		rs[i] = f.Body
	}
	return rs
}
