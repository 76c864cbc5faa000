// Package ir is kiln's intermediate representation: a module of functions in
// SSA form whose values are typed tensors, sequences and optionals, plus
// module-level constants that reference their bytes where they already lie
// (usually the mapped model file).
//
// The op table (OpDef, registered once per op in the ops_*.go files) is the
// spine of the package: the printer, the parser, the verifier and shape/type
// inference all read it, and the interpreter in ir/interp keys its kernels by
// the same names.
//
// Passes change modules through the rewrite API (uses.go, builder.go,
// clone.go, reinfer.go): computed use lists that see nested regions,
// ReplaceAllUses, EraseOp, insertion-point Builders, Clone, ReInfer and
// dead-code removal. Values keep their names (Value.Name) across rewrites,
// so that a change shows in a dump as the lines it touches.
// The element codec (codec.go) is the one place that turns constants'
// little-endian bytes into typed Go slices and back, and ByteSize (on
// DTypeInfo, DType and Type) the one place that computes a byte count,
// block-quantized types included; every layer above uses both. A
// Constant's SHA-256 is computed once and cached (Constant.SHA256).
//
// Package ir imports nothing of kiln but two standard-library-only leaves,
// internal/safefile and internal/suggest (did-you-mean hints in parser and
// verifier errors). Frontends, passes, codegen and the CLI import it.
package ir
