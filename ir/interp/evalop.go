package interp

import (
	"context"
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// EvalOp runs op, whose operands must all be module constants or absent,
// outside any function and returns its results: constant folding's way
// into the interpreter's kernels. It refuses ops with regions, since their
// bodies may read values of the enclosing function.
func (in *Interp) EvalOp(op *ir.Op) ([]Value, error) {
	if len(op.Regions) > 0 {
		return nil, fmt.Errorf("EvalOp: %s has regions", op.Name)
	}
	for i, a := range op.Args {
		if a != nil && !a.IsConst() {
			return nil, fmt.Errorf("EvalOp: %s operand %d is not a constant", op.Name, i)
		}
	}
	e := &env{vals: map[*ir.Value]Value{}, ctx: context.Background()}
	if err := in.op(op, e); err != nil {
		return nil, err
	}
	out := make([]Value, len(op.Results))
	for i, r := range op.Results {
		out[i] = e.vals[r]
	}
	return out, nil
}
