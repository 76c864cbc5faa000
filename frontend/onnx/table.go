package onnx

import (
	"fmt"
	"sort"

	"github.com/kiln-ml/kiln/frontend/onnx/onnxpb"
	"github.com/kiln-ml/kiln/ir"
)

// convertFunc turns one ONNX node into kiln ops and returns the values of
// the node's outputs in order (n.NumOutputs of them).
type convertFunc func(c *converter, n *node) ([]*ir.Value, error)

// rule is one row of the conversion table: ONNX op type opType in domain,
// for opset versions since..until (until 0: no upper bound yet).
type rule struct {
	domain, opType string
	since, until   int64
	conv           convertFunc
}

var rules = map[string][]rule{} // keyed by domain + ":" + opType

// Domains kiln knows. The default domain is "" (also spelled "ai.onnx").
const (
	domainDefault  = ""
	domainTraining = "ai.onnx.preview.training"
)

// register adds a conversion for default-domain op opType at opsets
// since..until inclusive (until 0: open). Ranges of one op must not overlap.
func register(opType string, since, until int64, f convertFunc) {
	registerDomain(domainDefault, opType, since, until, f)
}

func registerDomain(domain, opType string, since, until int64, f convertFunc) {
	k := domain + ":" + opType
	for _, r := range rules[k] {
		if overlaps(r.since, r.until, since, until) {
			panic(fmt.Sprintf("onnx: overlapping rules for %s: %d-%d and %d-%d", k, r.since, r.until, since, until))
		}
	}
	rules[k] = append(rules[k], rule{domain, opType, since, until, f})
	sort.Slice(rules[k], func(i, j int) bool { return rules[k][i].since < rules[k][j].since })
}

func overlaps(a0, a1, b0, b1 int64) bool {
	if a1 == 0 {
		a1 = 1 << 62
	}
	if b1 == 0 {
		b1 = 1 << 62
	}
	return a0 <= b1 && b0 <= a1
}

func normDomain(d string) string {
	if d == "ai.onnx" {
		return ""
	}
	return d
}

// lookupRule finds the conversion for opType in domain at opset version.
func lookupRule(domain, opType string, version int64) (convertFunc, bool) {
	for _, r := range rules[normDomain(domain)+":"+opType] {
		if version >= r.since && (r.until == 0 || version <= r.until) {
			return r.conv, true
		}
	}
	return nil, false
}

// SupportedOp describes one supported ONNX op for `kiln ops`.
type SupportedOp struct {
	Domain, OpType string
	Ranges         [][2]int64 // [since, until]; until 0 means open
}

// SupportedOps lists every ONNX op the importer converts, with opset ranges.
func SupportedOps() []SupportedOp {
	var out []SupportedOp
	for _, rs := range rules {
		s := SupportedOp{Domain: rs[0].domain, OpType: rs[0].opType}
		for _, r := range rs {
			s.Ranges = append(s.Ranges, [2]int64{r.since, r.until})
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Domain != out[j].Domain {
			return out[i].Domain < out[j].Domain
		}
		return out[i].OpType < out[j].OpType
	})
	return out
}

// node is an ONNX node being converted: its resolved inputs and attributes.
type node struct {
	proto   *onnxpb.NodeProto
	index   int
	Inputs  []*ir.Value // nil where the input name is empty
	Outputs int         // number of outputs, trailing empty names dropped
	Opset   int64       // version of the node's domain in this model
	attrs   map[string]*onnxpb.AttributeProto
	err     error // first attribute of the wrong type an accessor met
}

// where names the node for error messages: its name, or its index and first
// output when it has none.
func (n *node) where() string {
	if nm := n.proto.GetName(); nm != "" {
		return fmt.Sprintf("node %q (%s)", nm, n.proto.GetOpType())
	}
	out := ""
	if len(n.proto.Output) > 0 {
		out = n.proto.Output[0]
	}
	return fmt.Sprintf("node #%d (%s, output %q)", n.index, n.proto.GetOpType(), out)
}

// loc is the source location recorded on the ops made from this node.
func (n *node) loc() ir.Loc {
	if nm := n.proto.GetName(); nm != "" {
		return ir.Loc(nm)
	}
	if len(n.proto.Output) > 0 {
		return ir.Loc("#" + n.proto.Output[0])
	}
	return ir.Loc(fmt.Sprintf("#%d", n.index))
}

// In returns input i, or nil when absent.
func (n *node) In(i int) *ir.Value {
	if i < len(n.Inputs) {
		return n.Inputs[i]
	}
	return nil
}

// attr returns attribute name without checking its type, or nil.
func (n *node) attr(name string) *onnxpb.AttributeProto { return n.attrs[name] }

// typed returns attribute name when it is present. When it carries a
// value of another type than want, typed records the first such error on
// the node (the conversion loop reports it, naming node and attribute) and
// returns nil, so that the accessors never read a wrong-typed attribute as
// its zero value.
func (n *node) typed(name string, want onnxpb.AttributeProto_AttributeType) *onnxpb.AttributeProto {
	a := n.attrs[name]
	if a == nil {
		return nil
	}
	if err := checkAttrType(a, want); err != nil {
		if n.err == nil {
			n.err = err
		}
		return nil
	}
	return a
}

// Has reports whether the node carries attribute name.
func (n *node) Has(name string) bool { return n.attrs[name] != nil }

// Int returns an int attribute, or def.
func (n *node) Int(name string, def int64) int64 {
	if a := n.typed(name, onnxpb.AttributeProto_INT); a != nil {
		return a.GetI()
	}
	return def
}

// Float returns a float attribute, or def.
func (n *node) Float(name string, def float32) float32 {
	if a := n.typed(name, onnxpb.AttributeProto_FLOAT); a != nil {
		return a.GetF()
	}
	return def
}

// Str returns a string attribute, or def.
func (n *node) Str(name, def string) string {
	if a := n.typed(name, onnxpb.AttributeProto_STRING); a != nil {
		return string(a.GetS())
	}
	return def
}

// Ints returns an ints attribute, or nil.
func (n *node) Ints(name string) []int64 {
	if a := n.typed(name, onnxpb.AttributeProto_INTS); a != nil {
		return a.Ints
	}
	return nil
}

// Floats returns a floats attribute, or nil.
func (n *node) Floats(name string) []float32 {
	if a := n.typed(name, onnxpb.AttributeProto_FLOATS); a != nil {
		return a.Floats
	}
	return nil
}

// Strings returns a strings attribute, or nil.
func (n *node) Strings(name string) []string {
	a := n.typed(name, onnxpb.AttributeProto_STRINGS)
	if a == nil {
		return nil
	}
	ss := make([]string, len(a.Strings))
	for i, s := range a.Strings {
		ss[i] = string(s)
	}
	return ss
}

// Tensor returns a tensor attribute, or nil.
func (n *node) Tensor(name string) *onnxpb.TensorProto {
	if a := n.typed(name, onnxpb.AttributeProto_TENSOR); a != nil {
		return a.T
	}
	return nil
}

// Graph returns a graph attribute, or nil.
func (n *node) Graph(name string) *onnxpb.GraphProto {
	if a := n.typed(name, onnxpb.AttributeProto_GRAPH); a != nil {
		return a.G
	}
	return nil
}
