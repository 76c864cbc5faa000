package onnx

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

func init() {
	// Add-1 and Add-6 broadcast only when the broadcast attribute says so,
	// aligning B to A's dims starting at axis; Add-7 and later broadcast
	// numpy-style, which is kiln's semantics.
	register("Add", 1, 6, legacyBroadcast("Add"))
	register("Add", 7, 0, direct())
	register("Identity", 1, 0, direct())
}

// legacyBroadcast converts a pre-opset-7 binary op. Without broadcast=1 the
// shapes must already match; with it, B of rank k is aligned to A's dims
// axis..axis+k-1 (axis defaults to the trailing dims), which kiln expresses
// by reshaping B so numpy broadcasting lines up the same way.
func legacyBroadcast(name string) convertFunc {
	return func(c *converter, n *node) ([]*ir.Value, error) {
		a, b := n.In(0), n.In(1)
		if a == nil || b == nil {
			return nil, fmt.Errorf("needs two inputs")
		}
		if n.Int("broadcast", 0) == 1 && n.Has("axis") {
			ra, rb := a.Type.Shape.Rank(), b.Type.Shape.Rank()
			if ra < 0 || rb < 0 {
				return nil, fmt.Errorf("broadcast with axis needs operands of known rank")
			}
			axis := n.Int("axis", 0)
			if axis < 0 {
				axis += int64(ra)
			}
			trailing := int64(ra) - axis - int64(rb)
			if axis < 0 || trailing < 0 {
				return nil, fmt.Errorf("axis %d does not fit B of rank %d into A of rank %d", n.Int("axis", 0), rb, ra)
			}
			if trailing > 0 {
				axes := make([]int64, trailing)
				for i := range axes {
					axes[i] = int64(rb) + int64(i)
				}
				ax := c.constI64(string(n.loc())+".axes", []int64{trailing}, axes)
				var err error
				if b, err = c.emit1("Unsqueeze", []*ir.Value{b, ax}); err != nil {
					return nil, err
				}
			}
		}
		return c.emit(name, []*ir.Value{a, b}, nil, 1)
	}
}
