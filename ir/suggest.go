package ir

import (
	"fmt"

	"github.com/kiln-ml/kiln/internal/suggest"
)

// opHint is ` (did you mean "Relu"?)` for an unknown op name close to a
// declared one, and "" when none is close.
func opHint(name string) string {
	ops := Ops()
	names := make([]string, len(ops))
	for i, d := range ops {
		names[i] = d.Name
	}
	return hint(name, names)
}

// attrHint is ` (did you mean "axis"?)` for an attribute name d does not
// declare that is close to one it does, and "" otherwise.
func (d *OpDef) attrHint(name string) string {
	names := make([]string, len(d.Attrs))
	for i, a := range d.Attrs {
		names[i] = a.Name
	}
	return hint(name, names)
}

func hint(s string, candidates []string) string {
	if m := suggest.Closest(s, candidates); m != "" {
		return fmt.Sprintf(" (did you mean %q?)", m)
	}
	return ""
}
