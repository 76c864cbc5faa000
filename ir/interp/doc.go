// Package interp is kiln's reference interpreter: it executes an ir.Module
// op by op with plain, obviously correct kernels. It is the definition of
// what a module means; every pass, generated kernel and quantization is
// checked against it.
//
// Kernels are registered by op name (kernels_*.go), one function per op,
// next to the op's declaration in package ir. The values they compute on are
// package ir/tensor's; tensor.go keeps type aliases (Tensor, Value,
// Sequence, Optional) and thin forwarders (NewTensor, FromSlice, Data, ...)
// so that kernels keep their spelling for now. Tensor files and the byte
// conversion of constants live in ir/tensor too.
//
// A run holds only the values still to be read: each region activation
// drops a value after the op that reads it last (liveness.go), so memory
// follows the widest point of the graph rather than its length.
//
// interp imports ir, ir/tensor and the standard library only.
package interp
