package llmrt

func init() {
	kernels[typeF16] = &kernel{name: "F16", act: actF16, blockLen: 1, blockBytes: 2, dequant: dequantF16}
}

func dequantF16(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = f16(src, 2*i)
	}
}

// dotF16 is the dot product of a row of binary16 weights with float32
// activations (already rounded to binary16, as ggml converts them),
// widened per use and summed in float32, four partial sums.
func dotF16(w []byte, x []float32) float32 {
	var s0, s1, s2, s3 float32
	n := len(x) &^ 3
	w = w[:2*len(x)]
	t := f16Table
	for i := 0; i < n; i += 4 {
		b := w[2*i : 2*i+8]
		s0 += float32(t[uint16(b[0])|uint16(b[1])<<8] * x[i])
		s1 += float32(t[uint16(b[2])|uint16(b[3])<<8] * x[i+1])
		s2 += float32(t[uint16(b[4])|uint16(b[5])<<8] * x[i+2])
		s3 += float32(t[uint16(b[6])|uint16(b[7])<<8] * x[i+3])
	}
	for i := n; i < len(x); i++ {
		s0 += float32(f16(w, 2*i) * x[i])
	}
	return (s0 + s1) + (s2 + s3)
}
