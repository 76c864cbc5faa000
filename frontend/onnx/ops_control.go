package onnx

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir"
)

// Control flow. If-1/11/13/16 differ only in the output types they allow
// (sequences at 13, optionals at 16); Loop-1/11/13/16 likewise (Loop-11
// lets body inputs omit types, 13 allows sequence carried values, 16
// optionals). Scan-8 has a leading batch dim and a sequence_lens input;
// Scan-9 dropped both and added per-input/output axes and directions.
func init() {
	register("If", 1, 0, direct())
	register("Loop", 1, 0, convLoop)
	register("Scan", 8, 8, convScan8)
	register("Scan", 9, 0, direct())
	register("SequenceMap", 17, 0, direct())
}

// convLoop pads the operand list so M and cond always have their slots.
func convLoop(c *converter, n *node) ([]*ir.Value, error) {
	args := append([]*ir.Value(nil), n.Inputs...)
	for len(args) < 2 {
		args = append(args, nil)
	}
	return c.directAs(n, "Loop", args)
}

// regionParamTypes returns the param types the op table expects of op's
// region (ir.OpDef.RegionSig: Loop's iteration number, condition and
// carried values, Scan's state and slices, SequenceMap's elements), or nil
// when the op has no signature for it or its operands do not allow one
// (verification then names the problem).
func regionParamTypes(op *ir.Op, region string) []ir.Type {
	d := ir.Lookup(op.Name)
	if d == nil || d.RegionSig == nil {
		return nil
	}
	for i, name := range d.Regions {
		if name != region {
			continue
		}
		sig, err := d.RegionSig(op, i)
		if err != nil || sig.Open {
			return nil
		}
		return sig.Params
	}
	return nil
}

// completeParamType completes the type a subgraph declares for an input
// when it leaves the type (or its element type) out, from the type the op
// table expects there.
func completeParamType(declared, expected ir.Type) ir.Type {
	if subgraphTypeComplete(declared) {
		return declared
	}
	if t, err := ir.MergeTypes(declared, expected); err == nil {
		return t
	}
	return declared
}

// subgraphTypeComplete reports whether t names its kind and element type.
func subgraphTypeComplete(t ir.Type) bool {
	switch t.Kind {
	case ir.TensorKind:
		return t.DType != ir.InvalidDType
	case ir.SequenceKind, ir.OptionalKind:
		return t.Elem != nil && subgraphTypeComplete(*t.Elem)
	}
	return false
}

// convScan8 rewrites Scan-8 as a Loop over the batch dim whose body slices
// out one batch entry of every operand (SplitToSequence + SequenceAt), runs
// a Scan-9 on it, and returns the Scan's results as Loop scan outputs, which
// Loop stacks along a new axis 0: the batch dim again.
func convScan8(c *converter, n *node) ([]*ir.Value, error) {
	if n.In(0) != nil {
		return nil, fmt.Errorf("Scan-8 sequence_lens is not supported (all sequences must be full length)")
	}
	if len(n.Inputs) < 2 {
		return nil, fmt.Errorf("%d inputs, want sequence_lens and at least one scan input", len(n.Inputs))
	}
	operands := n.Inputs[1:]
	m := n.Int("num_scan_inputs", 0)
	if m < 1 || int(m) > len(operands) {
		return nil, fmt.Errorf("num_scan_inputs %d does not fit %d inputs", m, len(operands))
	}
	body := n.Graph("body")
	if body == nil {
		return nil, fmt.Errorf("missing graph attribute body")
	}
	for _, a := range n.proto.Attribute {
		switch a.GetName() {
		case "body", "num_scan_inputs", "directions":
		default:
			return nil, fmt.Errorf("attribute %q is not supported", a.GetName())
		}
	}
	seqs := make([]*ir.Value, len(operands))
	for i, v := range operands {
		if v == nil {
			return nil, fmt.Errorf("input %d is absent", i+1)
		}
		s, err := c.emit1("SplitToSequence", []*ir.Value{v, nil}, ir.Attr{Name: "keepdims", Value: ir.IntAttr(0)})
		if err != nil {
			return nil, err
		}
		seqs[i] = s
	}
	batch, err := c.emit1("SequenceLength", []*ir.Value{seqs[0]})
	if err != nil {
		return nil, err
	}
	loop := c.r.NewOp("Loop", []*ir.Value{batch, nil}, nil, make([]ir.Type, n.Outputs))
	loop.Loc = ir.Locs{n.loc()}
	lbody := loop.AddRegion("body")
	iter := lbody.AddParam(ir.TensorType(ir.I64, ir.ShapeOf()))
	cond := lbody.AddParam(ir.TensorType(ir.Bool, ir.ShapeOf()))
	saveR := c.r
	c.r = lbody
	defer func() { c.r = saveR }()
	elems := make([]*ir.Value, len(seqs))
	for i, s := range seqs {
		if elems[i], err = c.emit1("SequenceAt", []*ir.Value{s, iter}); err != nil {
			return nil, err
		}
	}
	attrs := []ir.Attr{{Name: "num_scan_inputs", Value: ir.IntAttr(m)}}
	if d := n.Ints("directions"); d != nil {
		attrs = append(attrs, ir.Attr{Name: "scan_input_directions", Value: ir.IntsAttr(append([]int64(nil), d...))})
	}
	scan := lbody.NewOp("Scan", elems, attrs, make([]ir.Type, n.Outputs))
	scan.Loc = ir.Locs{n.loc()}
	if err := c.subgraph(scan, "body", body); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	if err := ir.InferTypes(scan); err != nil {
		return nil, err
	}
	lbody.Results = append([]*ir.Value{cond}, scan.Results...)
	c.r = saveR
	if err := ir.InferTypes(loop); err != nil {
		return nil, err
	}
	return loop.Results, nil
}
