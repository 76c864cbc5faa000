// Package tensor holds kiln's run-time values apart from any one consumer:
// the dense Tensor (element type, shape, a Go slice of the elements),
// Sequence, Optional and the Value interface they implement, the conversion
// between tensors and the little-endian bytes of constants (through the
// element codec in package ir), and tensor files (NumPy .npy).
//
// The interpreter computes on these tensors; frontends, the CLI, passes and
// codegen use them to read, write and compare values without depending on
// the interpreter.
//
// tensor imports ir and the standard library only.
package tensor
