// Package codegen turns an ir.Module into a Go package that runs it: kernels
// specialized per op instance (shapes, strides and attributes as constants),
// weights in one little-endian blob, activation arenas (one per element
// type) laid out by a memory planner, and a manifest.json that records all
// of it (docs/manifest.md). Compile does the work and returns the files;
// writing them is the caller's business.
//
// specialize.go fixes the function to the dim binding first: static input
// shapes, every type inferred again, Ifs whose condition is then known
// inlined (their untaken branches never inferred), and 1-D convolutions
// rewritten over views as 2-D ones (lower.go). The emitters (emit_*.go) are
// codegen's kernel table, keyed by op name as the interpreter's kernels
// are (the fused ops of the passes too: emit_fused.go writes epilogues into
// their producers, emit_group.go an elementwise group as one loop); ops with the View trait need none, and integer shape subgraphs are
// folded once the symbolic dims are bound. The long tail of ops calls
// generic kernels that take their shapes at run time, written once in
// codegen/kernels (generic_*.go, tested there) and carried into the
// packages that call them (generic.go); extendedEmitters widen an emitter
// to the cases it refuses. dtypes.go adds the narrower and unsigned
// integers and the half floats to the stored element types.
// Ops whose results' shapes depend on the data (NonZero, Compress, Unique,
// NonMaxSuppression, Range of operands read at run time; emit_dynamic.go)
// allocate them on the heap on each run and hand back a Tensor with the
// shape found; the manifest marks such outputs heap_allocated. Later
// elementwise and broadcasting ops, Slice, the views, Shape and Size run
// over the shapes Run finds (emit_runshape.go: each element through the
// op's own one-element kernel), writing a result the module gives a
// static shape into its buffer once Run has checked that shape; other
// readers are refused. String tensors (emit_string.go) are []string
// values Run allocates, outside the arenas, with string constants as Go
// literals; Cast, CastLike and StringNormalizer take them.
// Sequences and optionals (emit_sequence.go, emit_seqtypes.go) are Go
// values of the generated Sequence ([]Tensor) and Optional (Present, then
// the Tensor or Sequence held) types, in Inputs and Outputs too, on the
// heap outside the memory plan; the ops on them call the generic kernels
// of codegen/kernels/generic_sequence.go. A tensor taken out of one lands
// in the arena when its shape is static under the binding (Run checks the
// item's shape), else it stays boxed, a Tensor on the heap, as are a
// SequenceMap body's items: a few ops (Identity, Shape, Slice and the
// broadcasting arithmetic and comparisons) run on boxed tensors with
// shapes found at run time, and others refuse them. If and Loop carry
// them as Go variables.
// Random ops draw from math/rand/v2 (seeded by their seed attribute when
// it is given; emit_train.go).
// emit_control.go compiles the If, Loop and Scan left into Go control flow
// in Run. plan.go is the memory planner, source.go writes the package's
// API and Run, manifest.go the manifest.
//
// A package may read some dims at run time (Options.Ranges, dynamic.go):
// buildRanged specializes the function at several bindings inside their
// ranges (probes), each laid out with the buffer offsets of the upper
// bounds, and requires the sources to agree but for integer literals;
// each literal that varies is fitted as a polynomial in the dims (integer
// coefficients, degree two at most in each), checked at further probes,
// and written as a Go expression over the sizes Run reads from its inputs
// (dimVals, passed to each kernel that needs them). Static dims stay
// constants. A kernel whose code changes form with a dim, a weight that
// depends on one, or a size that is no such polynomial (a strided
// convolution's floor division) is refused with an error naming the op,
// the node and the dim.
//
// codegen imports ir and the standard library. The code it writes imports
// only the standard library; the kernel library it carries into generated
// packages lives in codegen/kernels as ordinary, tested Go.
package codegen
