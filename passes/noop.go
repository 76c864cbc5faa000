package passes

import (
	"github.com/kiln-ml/kiln/ir"
)

func init() {
	register(&Pass{
		Name:    "noop",
		Summary: "removes ops that return their input unchanged and shortens reshape and transpose chains",
		Doc: `No-op removal. Readers of these ops read the op's input instead (dce then
removes the op):
  - Identity; Dropout at inference (no training_mode operand, or a constant
    false one) whose mask nothing reads;
  - Cast to the element type the input already has;
  - Expand, and chains of Reshape, Flatten, Squeeze and Unsqueeze, whose
    result type equals the type of their input (or of the input of the
    chain, as for an Unsqueeze undoing a Squeeze), all dims known;
  - Transpose by the identity permutation.
Chains are shortened: a Reshape of a Reshape (or Flatten, Squeeze,
Unsqueeze) reads the inner op's input directly when its shape operand is a
constant with no 0 (copy) entries; a Transpose of a Transpose becomes one
Transpose by the composed permutation.

    before:  %a = Unsqueeze(%x, @axes0)    after:  %c = Relu(%x)
             %b = Squeeze(%a, @axes0)
             %c = Relu(%b)`,
		Run: runNoop,
	})
}

// reshapeLike reports whether op only reinterprets its operand 0's
// elements, in order, under another shape.
func reshapeLike(op *ir.Op) bool {
	switch op.Name {
	case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity":
		return len(op.Args) > 0 && op.Args[0] != nil && len(op.Results) == 1
	}
	return false
}

// knownType reports whether t is a tensor type whose dims are all known
// (static, symbolic or expressions), so that two equal types mean equal
// shapes at run time.
func knownType(t ir.Type) bool {
	if !t.IsTensor() || !t.Shape.Ranked {
		return false
	}
	for _, d := range t.Shape.Dims {
		if !d.IsKnown() {
			return false
		}
	}
	return true
}

func runNoop(m *ir.Module, st Stats) error {
	for _, body := range funcsOf(m) {
		uses := ir.Uses(body)
		rp := replacer{}
		var err error
		// Dropouts carry the Random trait (they draw when training), so
		// dce keeps them: the ones found to be no-ops go here.
		var dropouts []*ir.Op
		rp.walk(body, func(op *ir.Op) {
			if err != nil || len(op.Results) == 0 {
				return
			}
			if x := noopInput(op, uses); x != nil {
				rp[op.Results[0]] = x
				st.Add("removed "+op.Name, 1)
				if op.Name == "Dropout" {
					dropouts = append(dropouts, op)
				}
				return
			}
			switch op.Name {
			case "Reshape":
				if in := op.Args[0].Def; in != nil && reshapeLike(in) && in.Name != "Identity" && !copiesDims(op) {
					op.Args[0] = in.Args[0]
					st.Add("reshape chains shortened", 1)
				}
			case "Transpose":
				var nop *ir.Op
				if nop, err = composeTransposes(op); nop != nil {
					if x := noopInput(nop, uses); x != nil {
						rp[op.Results[0]] = x
						st.Add("transpose pairs cancelled", 1)
					} else {
						rp[op.Results[0]] = nop.Results[0]
						st.Add("transpose chains shortened", 1)
					}
				}
			}
		})
		if err != nil {
			return err
		}
		for _, op := range dropouts {
			// Nothing reads the op now: its output was redirected and
			// its mask was unread.
			if err := ir.EraseOp(op); err != nil {
				return err
			}
		}
	}
	return nil
}

// noopInput returns the value op's result equals, or nil.
func noopInput(op *ir.Op, uses ir.UseMap) *ir.Value {
	if len(op.Args) == 0 || op.Args[0] == nil {
		return nil
	}
	x, res := op.Args[0], op.Results[0]
	switch op.Name {
	case "Identity":
		return x
	case "Dropout":
		if len(op.Results) > 1 && len(uses[op.Results[1]]) > 0 {
			return nil
		}
		if tm := op.Arg(2); tm != nil {
			v, ok := constInts(tm)
			if !ok || len(v) != 1 || v[0] != 0 {
				return nil
			}
		}
		return x
	case "Cast":
		if x.Type.IsTensor() && res.Type.IsTensor() && x.Type.DType == res.Type.DType {
			return x
		}
	case "Expand":
		if knownType(res.Type) && res.Type.Equal(x.Type) {
			return x
		}
	case "Transpose":
		if !knownType(x.Type) {
			return nil
		}
		perm := transposePerm(op, x.Type.Shape.Rank())
		for i, p := range perm {
			if int(p) != i {
				return nil
			}
		}
		return x
	}
	if reshapeLike(op) && knownType(res.Type) {
		// Walk up the chain of reshape-like ops: any value on it with the
		// result's type holds the same elements in the same order.
		for v := x; v != nil; {
			if v.Type.Equal(res.Type) {
				return v
			}
			if v.Def == nil || !reshapeLike(v.Def) {
				break
			}
			v = v.Def.Args[0]
		}
	}
	return nil
}

// copiesDims reports whether a Reshape's shape operand may hold 0 entries
// that copy dims of its input (allowzero unset): then its input cannot be
// swapped for another of a different shape. A shape that is not a
// constant counts as copying.
func copiesDims(op *ir.Op) bool {
	shape, ok := constInts(op.Arg(1))
	if !ok {
		return true
	}
	if op.Int("allowzero") != 0 {
		return false
	}
	for _, s := range shape {
		if s == 0 {
			return true
		}
	}
	return false
}

// transposePerm returns op's permutation for an operand of rank r: perm,
// or the reversal of the dims when perm is absent.
func transposePerm(op *ir.Op, r int) []int64 {
	if op.Has("perm") {
		return op.Ints("perm")
	}
	perm := make([]int64, r)
	for i := range perm {
		perm[i] = int64(r - 1 - i)
	}
	return perm
}

// composeTransposes builds, before op, one Transpose equal to op applied
// to the Transpose that produces its operand, and returns it; nil when
// op's operand comes from elsewhere or a rank is unknown.
func composeTransposes(op *ir.Op) (*ir.Op, error) {
	inner := op.Args[0].Def
	if inner == nil || inner.Name != "Transpose" || !op.Args[0].Type.Shape.Ranked || !inner.Args[0].Type.Shape.Ranked {
		return nil, nil
	}
	r := op.Args[0].Type.Shape.Rank()
	p1, p2 := transposePerm(inner, r), transposePerm(op, r)
	if len(p1) != r || len(p2) != r {
		return nil, nil
	}
	// out[i] = mid[p2[i]] = x[p1[p2[i]]].
	q := make([]int64, r)
	for i := range q {
		if p2[i] < 0 || int(p2[i]) >= r {
			return nil, nil
		}
		q[i] = p1[p2[i]]
	}
	nop, err := ir.BuildBefore(op).Build("Transpose", []*ir.Value{inner.Args[0]}, []ir.Attr{{Name: "perm", Value: ir.IntsAttr(q)}}, 1)
	if err != nil {
		return nil, err
	}
	nop.Loc = ir.MergeLocs(inner, op)
	return nop, nil
}

// constInts returns the elements of an integer or bool module constant.
func constInts(v *ir.Value) ([]int64, bool) {
	if v == nil || !v.IsConst() || !v.Type.IsTensor() {
		return nil, false
	}
	xs, err := ir.DecodeInt64s(v.Type.DType, v.Const.Bytes)
	return xs, err == nil
}
