package llmrt

import (
	"encoding/binary"
	"math"
)

func init() {
	kernels[typeF32] = &kernel{name: "F32", act: actF32, blockLen: 1, blockBytes: 4, dequant: dequantF32}
}

func dequantF32(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

// dotF32 is the float32 dot product of w and x, in four partial sums as
// a vector unit adds them.
func dotF32(w, x []float32) float32 {
	var s0, s1, s2, s3 float32
	n := len(x) &^ 3
	w = w[:len(x)]
	for i := 0; i < n; i += 4 {
		s0 += float32(w[i] * x[i])
		s1 += float32(w[i+1] * x[i+1])
		s2 += float32(w[i+2] * x[i+2])
		s3 += float32(w[i+3] * x[i+3])
	}
	for i := n; i < len(x); i++ {
		s0 += float32(w[i] * x[i])
	}
	return (s0 + s1) + (s2 + s3)
}
