package ir

import (
	"fmt"
	"sort"
	"strings"
)

// Einsum-12 is declared here with the parser of its equation, which the
// interpreter shares.
func init() {
	Register(&OpDef{
		Name:    "Einsum",
		Doc:     "Einstein summation over the operands as equation says (repeated labels, ellipsis, implicit output)",
		Kind:    Opaque,
		Inputs:  []Operand{Var("Inputs:T")},
		Outputs: In("Output:T"),
		Types:   []TypeConstraint{TC("T", IntTypes|FloatNoBF16)},
		Attrs:   []AttrDef{ARequired("equation", AttrString)},
		Infer:   inferEinsum,
	})
}

// EinsumPlan is an einsum equation resolved for operands of known ranks:
// every dim of every operand and of the output carries a label id in
// [0, NumLabels). Ellipsis dims get ids 0..NumEllipsis-1, right-aligned
// across operands as numpy broadcasting aligns them.
type EinsumPlan struct {
	Inputs      [][]int
	Output      []int
	NumLabels   int
	NumEllipsis int
}

// PlanEinsum parses equation for operands of the given ranks. Without
// "->" the output is numpy's implicit one: the ellipsis dims, then the
// letters that occur exactly once, in alphabetical order.
func PlanEinsum(equation string, ranks []int) (*EinsumPlan, error) {
	eq := strings.ReplaceAll(equation, " ", "")
	lhs, rhs, explicit := strings.Cut(eq, "->")
	terms := strings.Split(lhs, ",")
	if len(terms) != len(ranks) {
		return nil, fmt.Errorf("equation %q has %d operand terms for %d operands", equation, len(terms), len(ranks))
	}
	type term struct {
		before, after string
		ell           bool
	}
	parsed := make([]term, len(terms))
	nell := 0
	for i, t := range terms {
		b, a, ell := strings.Cut(t, "...")
		if strings.Contains(a, "...") || strings.Contains(b+a, ".") {
			return nil, fmt.Errorf("equation %q: malformed ellipsis in %q", equation, t)
		}
		for _, r := range b + a {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return nil, fmt.Errorf("equation %q: bad label %q", equation, r)
			}
		}
		n := ranks[i] - len(b) - len(a)
		if n < 0 || (!ell && n != 0) {
			return nil, fmt.Errorf("equation %q: term %q does not fit operand %d of rank %d", equation, t, i, ranks[i])
		}
		parsed[i] = term{b, a, ell}
		nell = max(nell, n)
	}
	p := &EinsumPlan{NumEllipsis: nell}
	ids := map[rune]int{}
	count := map[rune]int{}
	id := func(r rune) int {
		if v, ok := ids[r]; ok {
			return v
		}
		ids[r] = nell + len(ids)
		return ids[r]
	}
	for i, t := range parsed {
		var labels []int
		for _, r := range t.before {
			labels = append(labels, id(r))
			count[r]++
		}
		n := ranks[i] - len(t.before) - len(t.after)
		for k := nell - n; k < nell; k++ {
			labels = append(labels, k)
		}
		for _, r := range t.after {
			labels = append(labels, id(r))
			count[r]++
		}
		p.Inputs = append(p.Inputs, labels)
	}
	if explicit {
		b, a, ell := strings.Cut(rhs, "...")
		seen := map[rune]bool{}
		add := func(s string) error {
			for _, r := range s {
				v, ok := ids[r]
				if !ok || seen[r] {
					return fmt.Errorf("equation %q: output label %q is unknown or repeated", equation, r)
				}
				seen[r] = true
				p.Output = append(p.Output, v)
			}
			return nil
		}
		if err := add(b); err != nil {
			return nil, err
		}
		if ell {
			for k := 0; k < nell; k++ {
				p.Output = append(p.Output, k)
			}
		} else if nell > 0 {
			// numpy sums ellipsis dims away only when they are all
			// broadcast ones; ONNX leaves it open, so refuse.
			return nil, fmt.Errorf("equation %q: output drops the ellipsis dims", equation)
		}
		if err := add(a); err != nil {
			return nil, err
		}
	} else {
		for k := 0; k < nell; k++ {
			p.Output = append(p.Output, k)
		}
		var once []rune
		for r, n := range count {
			if n == 1 {
				once = append(once, r)
			}
		}
		sort.Slice(once, func(i, j int) bool { return once[i] < once[j] })
		for _, r := range once {
			p.Output = append(p.Output, ids[r])
		}
	}
	p.NumLabels = nell + len(ids)
	return p, nil
}

func inferEinsum(op *Op) ([]Type, error) {
	if len(op.Args) == 0 {
		return nil, fmt.Errorf("no operands")
	}
	ranks := make([]int, len(op.Args))
	var d DType
	for i := range op.Args {
		t, err := nnTensorArg(op, i)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			d = t.DType
		}
		if !t.Shape.Ranked {
			return []Type{TensorType(d, UnrankedShape())}, nil
		}
		ranks[i] = len(t.Shape.Dims)
	}
	p, err := PlanEinsum(op.Str("equation"), ranks)
	if err != nil {
		return nil, err
	}
	size := make([]Dim, p.NumLabels)
	for i := range size {
		size[i] = Static(1)
	}
	for i, labels := range p.Inputs {
		for k, l := range labels {
			r, err := broadcastDim(size[l], op.Args[i].Type.Shape.Dims[k])
			if err != nil {
				return nil, fmt.Errorf("operand %d dim %d: %w", i, k, err)
			}
			size[l] = r
		}
	}
	out := Shape{Ranked: true, Dims: make([]Dim, len(p.Output))}
	for i, l := range p.Output {
		out.Dims[i] = size[l]
	}
	return []Type{TensorType(d, out)}, nil
}
