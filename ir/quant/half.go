package quant

import "github.com/kiln-ml/kiln/ir"

// F16ToF32 converts the binary16 bits h to float32 exactly, as ggml's
// GGML_FP16_TO_FP32 does for every non-NaN value (a NaN keeps its payload).
func F16ToF32(h uint16) float32 { return ir.Float16(h).Float32() }

// F32ToF16 rounds f to the nearest binary16 value, ties to even, as ggml's
// GGML_FP32_TO_FP16 does when it stores block scales.
func F32ToF16(f float32) uint16 { return uint16(ir.F16FromFloat32(f)) }

// BF16ToF32 converts the bfloat16 bits b to float32 exactly.
func BF16ToF32(b uint16) float32 { return ir.BFloat16(b).Float32() }

// F32ToBF16 rounds f to the nearest bfloat16 value, ties to even; a NaN
// stays a quiet NaN, as ggml's GGML_FP32_TO_BF16 keeps it.
func F32ToBF16(f float32) uint16 { return uint16(ir.BF16FromFloat32(f)) }
