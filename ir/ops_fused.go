package ir

import "fmt"

// Fused producers: Conv, Gemm and MatMul with an elementwise epilogue, as
// docs/ir.md's namespace policy describes them. kiln.FusedX takes X's
// operands (optional ones as nil when absent), then any number of extra
// operands, and owns one region, "epilogue", whose params are scalars of
// X's element type: the accumulator element first, then one element of
// each extra operand broadcast to the output. The region's ops must be
// elementwise or broadcast in kind; its one result is the output element.
// The result type is X's; extra operands must broadcast to it without
// changing it.

// fusedBases maps each fused op to the op it extends.
var fusedBases = map[string]string{
	"kiln.FusedConv":   "Conv",
	"kiln.FusedGemm":   "Gemm",
	"kiln.FusedMatMul": "MatMul",
}

// FusedBase returns the op a kiln.Fused* op extends and how many leading
// operands are that op's; ok is false for other ops.
func FusedBase(name string) (base string, n int, ok bool) {
	base, ok = fusedBases[name]
	if !ok {
		return "", 0, false
	}
	return base, len(Lookup(base).Inputs), true
}

// IsFused reports whether op name is one of kiln's fused ops, whose region
// (epilogue, prologue or element region) is part of its one kernel:
// kiln.FusedConv, kiln.FusedGemm, kiln.FusedMatMul, kiln.FusedLayerNorm
// and kiln.FusedElementwise. Each has a definition in plain ops
// (UnfuseOp).
func IsFused(name string) bool {
	_, ok := fusedBases[name]
	return ok || name == fusedLayerNorm || name == fusedElementwise
}

// fusedLayerNorm is the name of LayerNormalization with a prologue.
const fusedLayerNorm = "kiln.FusedLayerNorm"

func init() {
	// The operands, types and attributes repeat the base ops' (ops_conv.go,
	// ops_matmul.go) with the extra operands after them; TestFusedMirrorsBase
	// checks that they stay in step.
	fused := func(name, base string, inputs []Operand, types []TypeConstraint, attrs []AttrDef) {
		Register(&OpDef{
			Name:      name,
			Doc:       base + " followed by the elementwise epilogue region, applied to each output element in the kernel's write-out",
			Kind:      Opaque,
			Inputs:    append(inputs, VarOpt("extra:T")),
			Outputs:   In("Y:T"),
			Types:     types,
			Attrs:     attrs,
			Regions:   []string{"epilogue"},
			RegionSig: fusedSignature,
			Infer:     inferFused,
		})
	}
	fused("kiln.FusedConv", "Conv", []Operand{Req("X:T"), Req("W:T"), Opt("B:T")}, []TypeConstraint{TC("T", FloatNoBF16)}, convAttrs())
	fused("kiln.FusedGemm", "Gemm", []Operand{Req("A:T"), Req("B:T"), Opt("C:T")}, []TypeConstraint{TC("T", matmulTypes)},
		[]AttrDef{AFloat("alpha", 1), AFloat("beta", 1), ABool("transA", 0), ABool("transB", 0)})
	fused("kiln.FusedMatMul", "MatMul", In("A:T", "B:T"), []TypeConstraint{TC("T", matmulTypes)}, nil)
}

// BaseOp returns a copy of the fused op f as its base op (name, leading
// operands, attributes and results), for inference and kernels that
// compute the producer alone.
func BaseOp(f *Op) (*Op, error) {
	base, n, ok := FusedBase(f.Name)
	if !ok {
		return nil, fmt.Errorf("%s is not a fused op", f.Name)
	}
	if len(f.Args) < n {
		n = len(f.Args)
	}
	return &Op{Name: base, Args: f.Args[:n], Results: f.Results, Attrs: f.Attrs, Loc: f.Loc, Parent: f.Parent}, nil
}

// fusedExtras returns the extra operands of fused op f.
func fusedExtras(f *Op) []*Value {
	_, n, _ := FusedBase(f.Name)
	if len(f.Args) <= n {
		return nil
	}
	return f.Args[n:]
}

func fusedSignature(op *Op, _ int) (RegionSignature, error) {
	if len(op.Args) == 0 || op.Args[0] == nil || !op.Args[0].Type.IsTensor() {
		return RegionSignature{}, fmt.Errorf("operand 0 is not a tensor")
	}
	scalar := TensorType(op.Args[0].Type.DType, ShapeOf())
	params := []Type{scalar}
	for range fusedExtras(op) {
		params = append(params, scalar)
	}
	return RegionSignature{Params: params, Results: []Type{scalar}}, nil
}

func inferFused(op *Op) ([]Type, error) {
	b, err := BaseOp(op)
	if err != nil {
		return nil, err
	}
	types, err := Lookup(b.Name).Infer(b)
	if err != nil {
		return nil, err
	}
	out := types[0]
	for i, x := range fusedExtras(op) {
		if x == nil || !x.Type.IsTensor() {
			return nil, fmt.Errorf("extra operand %d is absent or not a tensor", i)
		}
		if x.Type.DType != out.DType {
			return nil, fmt.Errorf("extra operand %d is %v, want %v elements", i, x.Type.DType, out.DType)
		}
		if out.Shape.Ranked && x.Type.Shape.Ranked {
			s, err := BroadcastShapes(out.Shape, x.Type.Shape)
			if err != nil {
				return nil, fmt.Errorf("extra operand %d: %w", i, err)
			}
			if !s.Equal(out.Shape) {
				return nil, fmt.Errorf("extra operand %d of shape %v broadcasts the output %v to %v", i, x.Type.Shape, out.Shape, s)
			}
		}
	}
	if err := checkElementRegion(op, "epilogue op", "epilogue"); err != nil {
		return nil, err
	}
	return []Type{out}, nil
}

// checkElementRegion checks the one region of op, when it has one, as an
// element function: elementwise or broadcast ops without regions of their
// own, one result. opWhat and regionWhat name them in the errors.
func checkElementRegion(op *Op, opWhat, regionWhat string) error {
	if len(op.Regions) != 1 {
		return nil
	}
	r := op.Regions[0]
	for _, inner := range r.Ops {
		d := Lookup(inner.Name)
		if d == nil || (d.Kind != Elementwise && d.Kind != Broadcast) || len(inner.Regions) > 0 {
			return fmt.Errorf("%s %s is not elementwise", opWhat, inner.Name)
		}
	}
	if len(r.Results) != 1 {
		return fmt.Errorf("%s returns %d values, want 1", regionWhat, len(r.Results))
	}
	return nil
}

// Unfuse replaces every kiln.Fused* op in r and its nested regions (the
// producers with epilogues and kiln.FusedLayerNorm) by its definition
// (UnfuseOp) and returns the number of ops unfused.
func Unfuse(r *Region) (int, error) {
	return UnfuseIf(r, func(*Op) bool { return true })
}

// UnfuseIf is Unfuse for the fused ops keep reports true for.
func UnfuseIf(r *Region, keep func(*Op) bool) (int, error) {
	n := 0
	for _, op := range append([]*Op(nil), r.Ops...) {
		for _, sub := range op.Regions {
			k, err := UnfuseIf(sub, keep)
			if err != nil {
				return n, err
			}
			n += k
		}
		if !IsFused(op.Name) || !keep(op) {
			continue
		}
		if err := UnfuseOp(op); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// UnfuseOp replaces the fused op op by its definition (for
// kiln.FusedLayerNorm: the prologue's ops, then LayerNormalization; for
// kiln.FusedElementwise: its element region's ops on whole tensors): the
// base op, then the epilogue's ops applied to whole tensors (the accumulator and the
// extra operands, which broadcast to it). It is how a consumer without a
// kernel for a fused op (codegen, for epilogues it cannot emit) takes a
// module the epilogue pass has run on.
func UnfuseOp(op *Op) error {
	switch op.Name {
	case fusedLayerNorm:
		return unfusePrologue(op)
	case fusedElementwise:
		return unfuseElementwise(op)
	}
	base, nb, ok := FusedBase(op.Name)
	if !ok {
		return fmt.Errorf("%s is not a fused op", op.Name)
	}
	r := op.Parent
	if len(op.Regions) != 1 {
		return fmt.Errorf("%s has %d regions, want the epilogue", op.Name, len(op.Regions))
	}
	b := BuildBefore(op)
	args := op.Args
	if len(args) > nb {
		args = args[:nb]
	}
	// Trailing absent optional operands are left off.
	for len(args) > 0 && args[len(args)-1] == nil {
		args = args[:len(args)-1]
	}
	bop, err := b.Build(base, args, op.Attrs, 1)
	if err != nil {
		return fmt.Errorf("unfusing %s: %w", op.Name, err)
	}
	bop.Loc = op.Loc
	epi := op.Regions[0]
	remap := map[*Value]*Value{epi.Params[0]: bop.Results[0]}
	for i, x := range fusedExtras(op) {
		if i+1 < len(epi.Params) {
			remap[epi.Params[i+1]] = x
		}
	}
	out, err := inlineRegion(b, op, epi, remap)
	if err != nil {
		return err
	}
	if out.Def != nil && out.Def.Parent == r {
		out.Name = op.Results[0].Name
	}
	ReplaceAllUses(r.Root(), op.Results[0], out)
	return EraseOp(op)
}

// kiln.FusedLayerNorm is LayerNormalization with an elementwise prologue:
// its region, "prologue", computes the element the normalization reads
// from one element of X and one of each extra operand (broadcast to X's
// shape without changing it), as the epilogue of kiln.FusedX does after
// the producer. The skip-LayerNorm of transformer encoders, LN(x + skip),
// is its first use: one pass over x and skip instead of writing the sum
// and reading it back. Operands: X, Scale, optional B (LayerNormalization's),
// then the extras; only the normalized result Y.
func init() {
	Register(&OpDef{
		Name:    "kiln.FusedLayerNorm",
		Doc:     "LayerNormalization of what the elementwise prologue region computes from X and the extra operands",
		Kind:    Opaque,
		Inputs:  []Operand{Req("X:T"), Req("Scale:T"), Opt("B:T"), VarOpt("extra:T")},
		Outputs: In("Y:T"),
		Types:   []TypeConstraint{TC("T", FloatTypes)},
		// LayerNormalization's (ops_norm.go); TestFusedLayerNormMirrorsLN
		// keeps them in step.
		Attrs:     []AttrDef{AInt("axis", -1), AFloat("epsilon", 1e-5), AInt("stash_type", 1)},
		Regions:   []string{"prologue"},
		RegionSig: prologueSignature,
		Infer:     inferFusedLayerNorm,
	})
}

// prologueArgs is how many leading operands of kiln.FusedLayerNorm are
// LayerNormalization's.
const prologueArgs = 3

func prologueSignature(op *Op, _ int) (RegionSignature, error) {
	if len(op.Args) == 0 || op.Args[0] == nil || !op.Args[0].Type.IsTensor() {
		return RegionSignature{}, fmt.Errorf("operand 0 is not a tensor")
	}
	scalar := TensorType(op.Args[0].Type.DType, ShapeOf())
	params := []Type{scalar}
	for i := prologueArgs; i < len(op.Args); i++ {
		params = append(params, scalar)
	}
	return RegionSignature{Params: params, Results: []Type{scalar}}, nil
}

// LayerNormOf returns the LayerNormalization kiln.FusedLayerNorm f applies
// after its prologue, reading x: for inference and kernels.
func LayerNormOf(f *Op, x *Value) *Op {
	args := []*Value{x}
	for i := 1; i < prologueArgs && i < len(f.Args); i++ {
		args = append(args, f.Args[i])
	}
	for len(args) > 0 && args[len(args)-1] == nil {
		args = args[:len(args)-1]
	}
	return &Op{Name: "LayerNormalization", Args: args, Results: f.Results, Attrs: f.Attrs, Loc: f.Loc, Parent: f.Parent}
}

func inferFusedLayerNorm(op *Op) ([]Type, error) {
	if len(op.Args) < 2 || op.Args[0] == nil {
		return nil, fmt.Errorf("X and Scale are required")
	}
	x := op.Args[0].Type
	types, err := Lookup("LayerNormalization").Infer(LayerNormOf(op, op.Args[0]))
	if err != nil {
		return nil, err
	}
	for i := prologueArgs; i < len(op.Args); i++ {
		e := op.Args[i]
		if e == nil || !e.Type.IsTensor() || e.Type.DType != x.DType {
			return nil, fmt.Errorf("extra operand %d is absent or not a %v tensor", i-prologueArgs, x.DType)
		}
		if x.Shape.Ranked && e.Type.Shape.Ranked {
			s, err := BroadcastShapes(x.Shape, e.Type.Shape)
			if err != nil {
				return nil, fmt.Errorf("extra operand %d: %w", i-prologueArgs, err)
			}
			if !s.Equal(x.Shape) {
				return nil, fmt.Errorf("extra operand %d of shape %v broadcasts X %v to %v", i-prologueArgs, e.Type.Shape, x.Shape, s)
			}
		}
	}
	if len(op.Regions) == 1 {
		r := op.Regions[0]
		for _, inner := range r.Ops {
			d := Lookup(inner.Name)
			if d == nil || (d.Kind != Elementwise && d.Kind != Broadcast) || len(inner.Regions) > 0 {
				return nil, fmt.Errorf("prologue op %s is not elementwise", inner.Name)
			}
		}
		if len(r.Results) != 1 {
			return nil, fmt.Errorf("prologue returns %d values, want 1", len(r.Results))
		}
	}
	return types[:1], nil
}

// unfusePrologue replaces kiln.FusedLayerNorm op by its definition: the
// prologue's ops on whole tensors (X and the extras), then
// LayerNormalization.
func unfusePrologue(op *Op) error {
	if len(op.Regions) != 1 {
		return fmt.Errorf("%s has %d regions, want the prologue", op.Name, len(op.Regions))
	}
	r := op.Parent
	b := BuildBefore(op)
	pro := op.Regions[0]
	remap := map[*Value]*Value{}
	for i, p := range pro.Params {
		switch {
		case i == 0:
			remap[p] = op.Args[0]
		case prologueArgs+i-1 < len(op.Args):
			remap[p] = op.Args[prologueArgs+i-1]
		}
	}
	x, err := inlineRegion(b, op, pro, remap)
	if err != nil {
		return err
	}
	ln := LayerNormOf(op, x)
	nop, err := b.Build(ln.Name, ln.Args, op.Attrs, 1)
	if err != nil {
		return fmt.Errorf("unfusing %s: %w", op.Name, err)
	}
	nop.Loc = op.Loc
	nop.Results[0].Name = op.Results[0].Name
	ReplaceAllUses(r.Root(), op.Results[0], nop.Results[0])
	return EraseOp(op)
}

// inlineRegion builds the ops of a fused op's region r with b, its params
// and earlier results mapped through remap (which it extends), and returns
// the value the region's result became.
func inlineRegion(b *Builder, op *Op, r *Region, remap map[*Value]*Value) (*Value, error) {
	for _, e := range r.Ops {
		eargs := make([]*Value, len(e.Args))
		for i, a := range e.Args {
			if v, ok := remap[a]; ok {
				eargs[i] = v
			} else {
				eargs[i] = a
			}
		}
		ne, err := b.Build(e.Name, eargs, e.Attrs, len(e.Results))
		if err != nil {
			return nil, fmt.Errorf("unfusing %s: %w", op.Name, err)
		}
		ne.Loc = op.Loc
		for i, res := range e.Results {
			remap[res] = ne.Results[i]
		}
	}
	if out, ok := remap[r.Results[0]]; ok {
		return out, nil
	}
	return r.Results[0], nil
}
