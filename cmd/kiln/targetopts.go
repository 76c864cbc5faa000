package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/kiln-ml/kiln/codegen"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/targets"
)

// profileWantsSIMD reports whether prof's kernels may use the vector code
// --simd writes: AVX2 with FMA on amd64 (the vector micro-kernel, the
// depthwise rows and vecmath are written for those).
func profileWantsSIMD(prof *targets.Profile) bool {
	return prof.Arch == "amd64" && slices.Contains(prof.Features, "avx2") && slices.Contains(prof.Features, "fma")
}

// applyTargetDefaults sets the code generation flags the command line left
// unset from prof: --simd when the profile has AVX2 and FMA on amd64, and
// --threads when it names a count (its 0, one per CPU, leaves the flag's
// default: a package's thread count is fixed when it is generated).
func applyTargetDefaults(fs *flag.FlagSet, prof *targets.Profile, threads *int, simd *bool) {
	if !isSet(fs, "simd") && profileWantsSIMD(prof) {
		*simd = true
	}
	if !isSet(fs, "threads") && prof.Threads > 0 {
		*threads = prof.Threads
	}
}

// checkTargetDTypes refuses a module that holds a value (an input, an op's
// result inside any region, a constant) of an element type prof does not
// allow, naming the first such value and where it is.
func checkTargetDTypes(m *ir.Module, prof *targets.Profile) error {
	if len(prof.DTypes) == 0 {
		return nil
	}
	allowed := func(t ir.Type) (ir.DType, bool) {
		for t.Kind == ir.SequenceKind || t.Kind == ir.OptionalKind {
			if t.Elem == nil {
				return 0, true
			}
			t = *t.Elem
		}
		if t.Kind != ir.TensorKind {
			return 0, true
		}
		return t.DType, slices.Contains(prof.DTypes, t.DType)
	}
	refuse := func(what string, d ir.DType) error {
		names := make([]string, len(prof.DTypes))
		for i, a := range prof.DTypes {
			names[i] = a.String()
		}
		return fmt.Errorf("%s is %v, which target %s does not allow (its dtypes: %s)", what, d, prof.Name, strings.Join(names, " "))
	}
	for _, c := range m.Consts {
		if d, ok := allowed(c.Type); !ok {
			return refuse(fmt.Sprintf("constant @%s", c.Const.Name), d)
		}
	}
	var walk func(r *ir.Region) error
	walk = func(r *ir.Region) error {
		for _, p := range r.Params {
			if d, ok := allowed(p.Type); !ok {
				what := fmt.Sprintf("%%%s (an input)", p.Name)
				if r.Parent != nil {
					what = fmt.Sprintf("%%%s (a parameter of %s's %s)", p.Name, r.Parent.Name, r.Name)
				}
				return refuse(what, d)
			}
		}
		for _, op := range r.Ops {
			for _, v := range op.Results {
				if d, ok := allowed(v.Type); !ok {
					where := op.Name
					if len(op.Loc) > 0 {
						where += fmt.Sprintf(" %q", string(op.Loc[0]))
					}
					return refuse(fmt.Sprintf("%%%s (the result of %s)", v.Name, where), d)
				}
			}
			for _, sub := range op.Regions {
				if err := walk(sub); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, f := range m.Funcs {
		if err := walk(f.Body); err != nil {
			return fmt.Errorf("@%s: %w", f.Name, err)
		}
	}
	return nil
}

// manifestTarget is what the manifest records of prof.
func manifestTarget(prof *targets.Profile) *codegen.ManifestTarget {
	return &codegen.ManifestTarget{
		Name:     prof.Name,
		Arch:     prof.Arch,
		GOAMD64:  prof.GOAMD64,
		Features: slices.Clone(prof.Features),
	}
}
