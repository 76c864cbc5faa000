package passes

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// FoldLimit is the most bytes of results fold computes for one op whose
// operands are small: folding trades a kernel at run time for a constant
// in the weights, which is only a gain while the constant stays small.
// An op that transforms a larger constant that nothing else reads (a
// weight's Transpose or Cast) folds whatever its size, as long as its
// results are no larger than that constant: the original then goes away,
// so no weight is ever held twice.
const FoldLimit = 1 << 20

func init() {
	register(&Pass{
		Name:    "fold",
		Summary: "computes ops whose operands are all constants, and shape values known from types",
		Doc: `Constant folding. An op whose operands are all module constants, with no
regions, side effects or random results, runs once in the interpreter and
its results become new module constants (named fold.<value>), which its
readers read instead. Integer results whose every element the types
determine (Shape of a static shape, the Gather, Slice, Concat and
arithmetic of such shapes) fold the same way without running anything. The
size rule is in FoldLimit's comment. dce removes the folded ops and the
constants only they read.

    before:  %s = Shape(%x)            (x: f32[1,3,224,224])
             %y = Reshape(%z, %s)
    after:   %y = Reshape(%z, @"fold.s")   @"fold.s" = i64[4] [1, 3, 224, 224]`,
		Run: runFold,
	})
}

func runFold(m *ir.Module, st Stats) error {
	uses := ir.ModuleUses(m)
	names := map[string]bool{}
	for _, c := range m.Consts {
		names[c.Const.Name] = true
	}
	in := interp.New(m, interp.Options{MaxMemory: 256 << 20})
	for _, body := range funcsOf(m) {
		rp := replacer{}
		var err error
		rp.walk(body, func(op *ir.Op) {
			if err != nil {
				return
			}
			if op.Name == "Reshape" && constShapeReshape(m, op, names) {
				st.Add("reshape shapes made constant", 1)
				return
			}
			if !foldable(op) {
				return
			}
			var vals []*ir.Value
			if vals, err = shapeFold(m, op, names); err != nil || vals != nil {
				if vals != nil {
					for i, v := range vals {
						rp[op.Results[i]] = v
					}
					st.Add("shape values folded", 1)
				}
				return
			}
			if !allConst(op) || !foldSizeOK(op, uses) {
				return
			}
			var mismatch bool
			if vals, mismatch, err = evalFold(m, in, op, names); err != nil || vals == nil {
				if mismatch {
					st.Add("not folded: result type differs from inference", 1)
				}
				return
			}
			for i, v := range vals {
				rp[op.Results[i]] = v
			}
			st.Add("ops folded", 1)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// constShapeReshape gives a Reshape whose shape operand is computed (an
// exporter's Shape → Gather → Unsqueeze → Concat chain over symbolic dims)
// a constant shape operand with the same meaning, when the types know
// every element of the computed shape: a static element stays, an element
// equal to the input's dim at the same position becomes 0 (copy that dim),
// and at most one other becomes -1 (inferred from the element count). The
// shape subgraph is then dead. It reports whether it rewrote op.
func constShapeReshape(m *ir.Module, op *ir.Op, names map[string]bool) bool {
	x, shape := op.Arg(0), op.Arg(1)
	if x == nil || shape == nil || shape.IsConst() || op.Int("allowzero") != 0 || !x.Type.Shape.Ranked {
		return false
	}
	elems, ok := ir.ShapeValue(shape)
	if !ok {
		return false
	}
	in := x.Type.Shape.Dims
	out := make([]int64, len(elems))
	inferred := false
	for i, d := range elems {
		switch {
		case !d.IsKnown():
			return false
		case d.IsStatic() && d.Size > 0:
			out[i] = d.Size
		case d.IsStatic():
			return false // a literal 0 would mean "copy" here
		case i < len(in) && d.Equal(in[i]):
			out[i] = 0
		case !inferred:
			out[i], inferred = -1, true
		default:
			return false
		}
	}
	b, err := ir.EncodeInt64s(ir.I64, out)
	if err != nil {
		return false
	}
	c := m.AddConst(freshConstName(names, shape), ir.TensorType(ir.I64, ir.ShapeOf(int64(len(out)))), &ir.Constant{Bytes: b})
	old := op.Args[1]
	op.Args[1] = c
	// The new operand must give the same type; if inference disagrees,
	// put the old one back.
	if types, err := ir.InferredTypes(op); err != nil || len(types) != 1 || !types[0].Equal(op.Results[0].Type) {
		op.Args[1] = old
		return false
	}
	return true
}

// foldable reports whether op may be replaced by constants at all.
func foldable(op *ir.Op) bool {
	if len(op.Regions) > 0 || len(op.Results) == 0 || ir.HasSideEffects(op) || !interp.HasKernel(op.Name) {
		return false
	}
	for _, r := range op.Results {
		if !r.Type.IsTensor() || !r.Type.Shape.IsStatic() {
			return false
		}
	}
	return true
}

func allConst(op *ir.Op) bool {
	for _, a := range op.Args {
		if a != nil && !a.IsConst() {
			return false
		}
	}
	return true
}

// foldSizeOK applies FoldLimit's rule.
func foldSizeOK(op *ir.Op, uses ir.UseMap) bool {
	var out int64
	for _, r := range op.Results {
		n, err := r.Type.ByteSize()
		if err != nil {
			return false
		}
		out += n
	}
	if out <= FoldLimit {
		return true
	}
	var sole int64
	for _, a := range op.Args {
		if a == nil {
			continue
		}
		n, err := a.Type.ByteSize()
		if err != nil {
			return false
		}
		if n > FoldLimit {
			if len(uses[a]) != 1 {
				return false
			}
			sole += n
		}
	}
	return out <= sole
}

// shapeFold returns constants for op's results when ir.ShapeValue knows
// every element of every result from the types alone; nil otherwise.
func shapeFold(m *ir.Module, op *ir.Op, names map[string]bool) ([]*ir.Value, error) {
	if allConst(op) {
		return nil, nil // evalFold computes it, exactly
	}
	elems := make([][]int64, len(op.Results))
	for i, r := range op.Results {
		if !r.Type.DType.IsInt() {
			return nil, nil
		}
		dims, ok := ir.ShapeValue(r)
		if !ok || int64(len(dims)) != r.Type.Shape.NumElements() {
			return nil, nil
		}
		for _, d := range dims {
			n, ok := d.Int()
			if !ok {
				return nil, nil
			}
			elems[i] = append(elems[i], n)
		}
	}
	out := make([]*ir.Value, len(op.Results))
	for i, r := range op.Results {
		b, err := ir.EncodeInt64s(r.Type.DType, elems[i])
		if err != nil {
			return nil, fmt.Errorf("folding %s: %w", r.Name, err)
		}
		out[i] = m.AddConst(freshConstName(names, r), r.Type, &ir.Constant{Bytes: b})
	}
	return out, nil
}

// evalFold runs op in the interpreter and returns its results as new
// module constants.
// mismatch reports a result whose computed type differs from the
// inferred one (left unfolded: the run will meet the same disagreement).
func evalFold(m *ir.Module, in *interp.Interp, op *ir.Op, names map[string]bool) (vals []*ir.Value, mismatch bool, err error) {
	res, err := in.EvalOp(op)
	if err != nil {
		// An op that fails on its constants fails at run time too; leave
		// it for the run to report.
		return nil, false, nil
	}
	out := make([]*ir.Value, len(op.Results))
	for i, r := range op.Results {
		t, ok := res[i].(*tensor.Tensor)
		if !ok || t == nil {
			return nil, false, nil
		}
		if !t.Type().Equal(r.Type) {
			return nil, true, nil
		}
		c := &ir.Constant{}
		if t.DType == ir.String {
			c.Strings = append([]string{}, tensor.Data[string](t)...)
		} else if c.Bytes, err = tensor.EncodeBytes(t); err != nil {
			return nil, false, err
		}
		out[i] = m.AddConst(freshConstName(names, r), r.Type, c)
	}
	return out, false, nil
}

// freshConstName names the constant replacing r: fold.<name>, made unique.
func freshConstName(names map[string]bool, r *ir.Value) string {
	base := "fold." + r.Name
	name := base
	for k := 2; names[name]; k++ {
		name = fmt.Sprintf("%s.%d", base, k)
	}
	names[name] = true
	return name
}
