package interp

import (
	"math/rand"
	"sort"

	"github.com/kiln-ml/kiln/ir"
)

// Kernel executes one op: it receives the op (for attributes and result
// count) and its evaluated operands (nil where an optional operand is
// absent) and returns one value per result of op.
type Kernel func(c *Ctx, op *ir.Op, args []Value) ([]Value, error)

var kernels = map[string]Kernel{}

// Register installs the kernel for the op named name. It is called from
// package init; registering a name twice panics.
func Register(name string, k Kernel) {
	if _, dup := kernels[name]; dup {
		panic("interp: kernel registered twice: " + name)
	}
	kernels[name] = k
}

// HasKernel reports whether op name has a kernel.
func HasKernel(name string) bool { _, ok := kernels[name]; return ok }

// KernelNames returns the names of all registered kernels, sorted.
func KernelNames() []string {
	out := make([]string, 0, len(kernels))
	for n := range kernels {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Ctx is what a kernel may use beyond its operands: running the op's
// regions, and a seeded random source for random ops.
type Ctx struct {
	in  *Interp
	env *env
}

// RunRegion evaluates region r with the given params; the region sees every
// value visible at the op that owns it.
func (c *Ctx) RunRegion(r *ir.Region, params []Value) ([]Value, error) {
	return c.in.region(r, params, c.env)
}

// Rand returns the interpreter's random source (seeded by Options.Seed).
func (c *Ctx) Rand() *rand.Rand { return c.in.rng }
