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
// are; ops with the View trait need none, and integer shape subgraphs are
// folded once the symbolic dims are bound. The long tail of ops calls
// generic kernels that take their shapes at run time, written once in
// codegen/kernels (generic_*.go, tested there) and carried into the
// packages that call them (generic.go); extendedEmitters widen an emitter
// to the cases it refuses. dtypes.go adds the narrower and unsigned
// integers and the half floats to the stored element types.
// emit_control.go compiles the If, Loop and Scan left into Go control flow
// in Run. plan.go is the memory planner, source.go writes the package's
// API and Run, manifest.go the manifest.
//
// codegen imports ir and the standard library. The code it writes imports
// only the standard library; the kernel library it carries into generated
// packages lives in codegen/kernels as ordinary, tested Go.
package codegen
