package passes

import "github.com/kiln-ml/kiln/ir"

func init() {
	register(&Pass{
		Name:    "dce",
		Summary: "removes ops whose results nothing reads, and constants nothing reads",
		Doc: `Dead code elimination. An op is dead when no op, region result or function
output reads any of its results and it has no side effect (the op table's
SideEffect trait); removing one can make its operands' producers dead in
turn, inside nested regions too. Module constants no op reads go last.

    before:  %a = Relu(%x)        after:  %b = Sigmoid(%x)
             %b = Sigmoid(%x)             return %b
             return %b`,
		Run: func(m *ir.Module, st Stats) error {
			for _, r := range funcsOf(m) {
				st.Add("ops removed", ir.RemoveDeadOps(r))
			}
			st.Add("constants removed", ir.RemoveUnusedConsts(m))
			return nil
		},
	})
}
