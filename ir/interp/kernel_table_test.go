package interp

import (
	"testing"

	"github.com/kiln-ml/kiln/ir"
)

// The op table and the kernel table must name the same ops: an op without
// a kernel cannot be interpreted, and a kernel without a declaration can
// never be reached.
func TestEveryOpHasAKernel(t *testing.T) {
	declared := map[string]bool{}
	for _, d := range ir.Ops() {
		declared[d.Name] = true
		if !HasKernel(d.Name) {
			t.Errorf("op %s is declared in package ir but has no interpreter kernel", d.Name)
		}
	}
	for _, name := range KernelNames() {
		if !declared[name] {
			t.Errorf("kernel %s has no op declaration in package ir", name)
		}
	}
	if len(declared) < 150 {
		t.Errorf("only %d ops declared; the op files are not all linked in", len(declared))
	}
}
