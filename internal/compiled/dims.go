package compiled

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kiln-ml/kiln/codegen"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// BindDims checks inputs against the parameters of f (a function of m)
// and binds each symbolic dim to the size the inputs give it, within the
// bounds m declares for it. given holds sizes fixed beforehand
// (--dim); an input disagreeing with them, with a static dim, with its
// rank or dtype, or two inputs giving one symbol different sizes is an
// error naming the input and both sizes. Every input must be a tensor.
func BindDims(m *ir.Module, f *ir.Func, inputs []*tensor.Tensor, given map[string]int64) (map[string]int64, error) {
	vals := make([]tensor.Value, len(inputs))
	for i, t := range inputs {
		vals[i] = t
	}
	return BindValueDims(m, f, vals, given)
}

// BindValueDims is BindDims for inputs that may be sequences and
// optionals too: those must match their parameter's kind and element
// type, and bind no dims (their tensors' shapes vary from item to item;
// the compiled package checks them when it runs).
func BindValueDims(m *ir.Module, f *ir.Func, values []tensor.Value, given map[string]int64) (map[string]int64, error) {
	inputs := make([]*tensor.Tensor, len(values))
	for i, v := range values {
		if i >= len(f.Body.Params) {
			break
		}
		if t, ok := v.(*tensor.Tensor); ok {
			inputs[i] = t
			continue
		}
		if err := checkValueKind(f.Body.Params[i].Type, v); err != nil {
			return nil, fmt.Errorf("input %q: %w", f.InputNames[i], err)
		}
	}
	if len(inputs) != len(f.Body.Params) {
		return nil, fmt.Errorf("%d inputs given, the model takes %d", len(inputs), len(f.Body.Params))
	}
	bounds := map[string]ir.SymBound{}
	for _, b := range m.Syms {
		bounds[b.Name] = b
	}
	bind := map[string]int64{}
	from := map[string]string{}
	for s, n := range given {
		bind[s], from[s] = n, "--dim"
	}
	// Plain symbols first; expressions over them are checked after.
	type deferred struct {
		input, axis int
		dim         ir.Dim
	}
	var exprs []deferred
	for i, p := range f.Body.Params {
		t, x := p.Type, inputs[i]
		name := f.InputNames[i]
		if x == nil && !t.IsTensor() {
			continue // a sequence or optional, checked above
		}
		if !t.IsTensor() || x == nil {
			return nil, fmt.Errorf("input %q is a %v; the compiled engine takes tensors", name, t)
		}
		if x.DType != t.DType {
			return nil, fmt.Errorf("input %q: dtype %v, the model wants %v", name, x.DType, t.DType)
		}
		if !t.Shape.Ranked {
			return nil, fmt.Errorf("input %q: the model does not give its rank, so the compiled engine cannot specialize it", name)
		}
		if len(x.Shape) != len(t.Shape.Dims) {
			return nil, fmt.Errorf("input %q: shape %v has rank %d, the model wants %v", name, x.Shape, len(x.Shape), t.Shape)
		}
		for j, d := range t.Shape.Dims {
			got := int64(x.Shape[j])
			switch {
			case d.IsStatic():
				if got != d.Size {
					return nil, fmt.Errorf("input %q: shape %v, the model wants %v (dim %d is %d, want %d)", name, x.Shape, t.Shape, j, got, d.Size)
				}
			case d.IsKnown() && isSymbol(d):
				s := d.Symbols()[0]
				if n, ok := bind[s]; ok && n != got {
					return nil, fmt.Errorf("input %q: dim %d (%s) is %d, but %s made %s %d", name, j, s, got, from[s], s, n)
				}
				if b, ok := bounds[s]; ok && (got < b.Min || b.Max >= 0 && got > b.Max) {
					return nil, fmt.Errorf("input %q: dim %d (%s) is %d, outside %s's bounds %s", name, j, s, got, s, boundsText(b))
				}
				bind[s], from[s] = got, fmt.Sprintf("input %q", name)
			case d.IsKnown():
				exprs = append(exprs, deferred{i, j, d})
			default:
				return nil, fmt.Errorf("input %q: dim %d has no name or size in the model, so the compiled engine cannot specialize it", name, j)
			}
		}
	}
	for _, e := range exprs {
		name := f.InputNames[e.input]
		got := int64(inputs[e.input].Shape[e.axis])
		for _, s := range e.dim.Symbols() {
			if _, ok := bind[s]; !ok {
				return nil, fmt.Errorf("input %q: dim %d (%v) uses %s, which no input fixes; give --dim %s=N", name, e.axis, e.dim, s, s)
			}
		}
		if n, ok := e.dim.Eval(bind); !ok || n != got {
			return nil, fmt.Errorf("input %q: dim %d is %d, but %v is %d", name, e.axis, got, e.dim, n)
		}
	}
	return bind, nil
}

// checkValueKind checks a sequence or optional input v against its
// parameter's type t: the same kind, and tensors of t's element type
// inside.
func checkValueKind(t ir.Type, v tensor.Value) error {
	switch x := v.(type) {
	case *tensor.Sequence:
		if t.Kind != ir.SequenceKind || t.Elem == nil {
			return fmt.Errorf("is a sequence, the model wants %v", t)
		}
		for k, it := range x.Items {
			if err := checkValueKind(*t.Elem, it); err != nil {
				return fmt.Errorf("item %d: %w", k, err)
			}
		}
		return nil
	case *tensor.Optional:
		if t.Kind != ir.OptionalKind || t.Elem == nil {
			return fmt.Errorf("is an optional, the model wants %v", t)
		}
		if x.Value == nil {
			return nil
		}
		return checkValueKind(*t.Elem, x.Value)
	case *tensor.Tensor:
		if t.Kind != ir.TensorKind {
			return fmt.Errorf("is a tensor, the model wants %v", t)
		}
		if x.DType != t.DType {
			return fmt.Errorf("dtype %v, the model wants %v", x.DType, t.DType)
		}
		if t.Shape.Ranked && len(x.Shape) != len(t.Shape.Dims) {
			return fmt.Errorf("shape %v has rank %d, the model wants %v", x.Shape, len(x.Shape), t.Shape)
		}
		return nil
	}
	return fmt.Errorf("a %T is no value the compiled engine takes", v)
}

// isSymbol reports whether d is one symbol, not an expression.
func isSymbol(d ir.Dim) bool {
	s := d.Symbols()
	return len(s) == 1 && d.String() == s[0]
}

// DimsList prints a binding as "a=1, b=2" for messages.
func DimsList(dims map[string]int64) string {
	names := make([]string, 0, len(dims))
	for n := range dims {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, dims[n])
	}
	return strings.Join(parts, ", ")
}

// boundsText prints bounds as [min, max], "?" for no maximum.
func boundsText(b ir.SymBound) string {
	if b.Max < 0 {
		return fmt.Sprintf("[%d, ?]", b.Min)
	}
	return fmt.Sprintf("[%d, %d]", b.Min, b.Max)
}

// SplitRanges takes from a binding (BindDims's) the dims given ranges
// (--dim NAME=LO..HI), which the compiled package reads at run time, so
// that one build serves every size in them: it returns the binding
// without them. A size outside its range is an error naming the dim,
// the size and the range.
func SplitRanges(bind map[string]int64, ranges map[string]codegen.DimRange) (map[string]int64, error) {
	out := map[string]int64{}
	for s, n := range bind {
		r, ok := ranges[s]
		if !ok {
			out[s] = n
			continue
		}
		if n < r.Min || n > r.Max {
			return nil, fmt.Errorf("the inputs give %s=%d, outside --dim %s=%d..%d", s, n, s, r.Min, r.Max)
		}
	}
	return out, nil
}
