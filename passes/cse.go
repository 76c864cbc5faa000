package passes

import (
	"fmt"
	"strings"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	register(&Pass{
		Name:    "cse",
		Summary: "merges identical constants and ops that compute the same value",
		Doc: `Common subexpression elimination. Two module constants of one type with
the same bytes become one. Two ops with the same name, operands, attributes
and result types compute the same values, so readers of the later one read
the earlier one's results instead (dce removes the later op). Ops with
regions, side effects (SideEffect trait) or random results (Random trait)
are never merged. An op inside a nested region may be replaced by an
identical op of an enclosing region that comes before it, never by one of a
sibling region.

    before:  %a = Relu(%x)          after:  %a = Relu(%x)
             %b = Relu(%x)                  %c = Add(%a, %a)
             %c = Add(%a, %b)`,
		Run: runCSE,
	})
}

func runCSE(m *ir.Module, st Stats) error {
	rp := replacer{}
	mergeConsts(m, rp, st)
	for _, body := range funcsOf(m) {
		cseRegion(body, &scope{seen: map[string]*ir.Op{}}, rp, st)
	}
	return nil
}

// mergeConsts maps every module constant equal to an earlier one onto it.
func mergeConsts(m *ir.Module, rp replacer, st Stats) {
	first := map[string]*ir.Value{}
	for _, c := range m.Consts {
		var key string
		if c.Type.DType == ir.String {
			key = c.Type.String() + "|" + strings.Join(c.Const.Strings, "\x00") + fmt.Sprintf("|%d", len(c.Const.Strings))
		} else {
			key = fmt.Sprintf("%s|%x", c.Type, c.Const.SHA256())
		}
		if k, ok := first[key]; ok {
			rp[c] = k
			st.Add("constants merged", 1)
			continue
		}
		first[key] = c
	}
}

// scope is the table of ops seen in one region, falling back to those of
// the regions enclosing it.
type scope struct {
	seen   map[string]*ir.Op
	parent *scope
}

func (s *scope) lookup(key string) *ir.Op {
	for ; s != nil; s = s.parent {
		if op, ok := s.seen[key]; ok {
			return op
		}
	}
	return nil
}

func cseRegion(r *ir.Region, sc *scope, rp replacer, st Stats) {
	for _, op := range r.Ops {
		for i, a := range op.Args {
			op.Args[i] = rp.resolve(a)
		}
		for i := range op.Attrs {
			if v := &op.Attrs[i].Value; v.Kind == ir.AttrTensor {
				v.Tensor = rp.resolve(v.Tensor)
			}
		}
		for _, sub := range op.Regions {
			cseRegion(sub, &scope{seen: map[string]*ir.Op{}, parent: sc}, rp, st)
		}
		key, ok := cseKey(op)
		if !ok {
			continue
		}
		if prev := sc.lookup(key); prev != nil {
			for i, res := range op.Results {
				rp[res] = prev.Results[i]
			}
			st.Add("ops merged", 1)
			continue
		}
		sc.seen[key] = op
	}
	for i, v := range r.Results {
		r.Results[i] = rp.resolve(v)
	}
}

// cseKey spells what op computes; ok is false for ops that must not merge.
func cseKey(op *ir.Op) (string, bool) {
	if len(op.Regions) > 0 || len(op.Results) == 0 || ir.HasSideEffects(op) {
		return "", false
	}
	if d := ir.Lookup(op.Name); d == nil || d.Has(ir.Random) {
		return "", false
	}
	var b strings.Builder
	b.WriteString(op.Name)
	for _, a := range op.Args {
		fmt.Fprintf(&b, "|%p", a)
	}
	for _, a := range op.Attrs {
		fmt.Fprintf(&b, "|%s=", a.Name)
		switch a.Value.Kind {
		case ir.AttrTensor:
			fmt.Fprintf(&b, "%p", a.Value.Tensor)
		case ir.AttrType:
			b.WriteString(a.Value.Type.String())
		default:
			fmt.Fprintf(&b, "%d:%v:%v:%q:%v:%v:%q:%v", a.Value.Kind, a.Value.Int, a.Value.Float, a.Value.Str, a.Value.Ints, a.Value.Floats, a.Value.Strings, a.Value.DType)
		}
	}
	for _, r := range op.Results {
		fmt.Fprintf(&b, "|%s", r.Type)
	}
	return b.String(), true
}
