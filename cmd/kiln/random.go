package main

import (
	"fmt"
	"math/rand"
	"sort"
	"strconv"
	"strings"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
)

// maxRandomElements bounds one random input (2^28 elements, 2 GiB of f64
// while it is drawn): a --dim typo should not exhaust memory.
const maxRandomElements = 1 << 28

// randomInputs fills the inputs b lacks with random tensors of their
// declared dtype and shape: floats standard normal, integers 0 or 1 (valid
// as masks, token type ids and indices into any axis of two or more;
// larger values broke BERT-like models' two-row token type tables), bools
// fair coin flips. Symbolic dims take their --dim size,
// else their declared lower bound, else 1; unknown dims are 1. It returns
// one note per dim it chose, so the user knows what ran.
func randomInputs(m *ir.Module, f *ir.Func, b *binding, dimSpecs []string, seed int64) (notes []string, err error) {
	bounds := map[string]ir.SymBound{}
	for _, s := range m.Syms {
		bounds[s.Name] = s
	}
	syms := map[string]bool{}
	for _, p := range f.Body.Params {
		for _, d := range p.Type.Shape.Dims {
			for _, sym := range d.Symbols() {
				syms[sym] = true
			}
		}
	}
	names := make([]string, 0, len(syms))
	for s := range syms {
		names = append(names, s)
	}
	sort.Strings(names)
	dims := map[string]int64{}
	for _, spec := range dimSpecs {
		k := strings.LastIndex(spec, "=")
		if k <= 0 {
			return nil, fmt.Errorf("--dim %q: want NAME=N", spec)
		}
		name := spec[:k]
		n, err := strconv.ParseInt(spec[k+1:], 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("--dim %q: size must be a non-negative integer", spec)
		}
		if !syms[name] {
			if len(names) == 0 {
				return nil, fmt.Errorf("--dim %q: the model's inputs have no symbolic dims", spec)
			}
			return nil, fmt.Errorf("--dim %q: no input dim is named %q; the symbolic dims are %s%s", spec, name, quoteList(names), didYouMean(name, names))
		}
		if bd, ok := bounds[name]; ok && (n < bd.Min || bd.Max >= 0 && n > bd.Max) {
			return nil, fmt.Errorf("--dim %q: %s is bounded to %s", spec, name, boundString(bd))
		}
		dims[name] = n
	}
	rng := rand.New(rand.NewSource(seed))
	chosen := map[string]bool{}
	for i, p := range f.Body.Params {
		if b.values[i] != nil {
			continue
		}
		t := p.Type
		if !t.IsTensor() {
			return nil, fmt.Errorf("input %q: --random-inputs makes tensors, the input is a %v", f.InputNames[i], t)
		}
		if !t.Shape.Ranked {
			return nil, fmt.Errorf("input %q: its rank is unknown, so --random-inputs cannot shape it; give a file", f.InputNames[i])
		}
		shape := make([]int, len(t.Shape.Dims))
		total := int64(1)
		for j, d := range t.Shape.Dims {
			n := d.Size
			switch {
			case d.IsStatic():
			case d.IsKnown():
				// A symbol or an expression over symbols: each symbol takes
				// its --dim size, else its lower bound when above 1, else 1.
				for _, sym := range d.Symbols() {
					if _, ok := dims[sym]; ok {
						continue
					}
					v := int64(1)
					if bd, has := bounds[sym]; has && bd.Min > 1 {
						v = bd.Min
					}
					dims[sym] = v
					if !chosen[sym] && !containsDim(dimSpecs, sym) {
						chosen[sym] = true
						notes = append(notes, fmt.Sprintf("random inputs: dim %s = %d (default; set it with --dim %s=N)", sym, v, sym))
					}
				}
				var ok bool
				if n, ok = d.Eval(dims); !ok || n < 0 {
					return nil, fmt.Errorf("input %q: dim %d (%v) has no non-negative size for the chosen dims", f.InputNames[i], j, d)
				}
			default:
				n = 1
				notes = append(notes, fmt.Sprintf("random inputs: input %q dim %d is unknown; using 1", f.InputNames[i], j))
			}
			if n > 0 && total > maxRandomElements/n {
				return nil, fmt.Errorf("input %q: random tensor of shape %v has more than %d elements", f.InputNames[i], t.Shape, maxRandomElements)
			}
			total *= n
			shape[j] = int(n)
		}
		v, err := randomTensor(rng, t.DType, shape)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", f.InputNames[i], err)
		}
		b.values[i] = v
	}
	return notes, nil
}

func containsDim(specs []string, name string) bool {
	for _, s := range specs {
		if strings.HasPrefix(s, name+"=") {
			return true
		}
	}
	return false
}

// boundString prints a symbol's bounds as [min, max] ("?" when unbounded).
func boundString(b ir.SymBound) string {
	hi := "?"
	if b.Max >= 0 {
		hi = strconv.FormatInt(b.Max, 10)
	}
	return fmt.Sprintf("[%d, %s]", b.Min, hi)
}

// randomTensor draws a tensor of dtype d; see randomInputs for the values.
func randomTensor(rng *rand.Rand, d ir.DType, shape []int) (*interp.Tensor, error) {
	n := interp.NumElements(shape)
	xs := make([]float64, n)
	switch {
	case d.IsFloat():
		for i := range xs {
			xs[i] = rng.NormFloat64()
		}
	case d == ir.Bool:
		for i := range xs {
			xs[i] = float64(rng.Intn(2))
		}
	case d.IsInt():
		for i := range xs {
			xs[i] = float64(rng.Intn(2))
		}
	default:
		return nil, fmt.Errorf("--random-inputs cannot make %v values; give a file", d)
	}
	return interp.CastTensor(interp.FromSlice(shape, xs), d)
}
