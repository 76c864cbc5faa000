// Package interp is kiln's reference interpreter: it executes an ir.Module
// op by op with plain, obviously correct kernels. It is the definition of
// what a module means; every pass, generated kernel and quantization is
// checked against it.
//
// Kernels are registered by op name (kernels_*.go), one function per op,
// next to the op's declaration in package ir. The package also reads and
// writes NumPy .npy tensor files.
//
// interp imports ir and the standard library only.
package interp
