package codegen

// weightAlign is the byte alignment of each tensor in the weights blob.
const weightAlign = 64

// blobLen is the weights blob's length in bytes.
func (g *graph) blobLen() int64 {
	var n int64
	for _, w := range g.weights {
		n = (n+weightAlign-1)/weightAlign*weightAlign + int64(len(w.weightBytes()))
	}
	return n
}

// weightsBlob lays out every weight the kernels read, in the order they
// are first read, each at a 64-byte aligned offset, little-endian (the
// constants' own byte order), and records the offsets.
func (g *graph) weightsBlob() []byte {
	blob := make([]byte, 0, g.blobLen())
	g.weightOff = make([]int64, len(g.weights))
	for i, w := range g.weights {
		for len(blob)%weightAlign != 0 {
			blob = append(blob, 0)
		}
		g.weightOff[i] = int64(len(blob))
		blob = append(blob, w.weightBytes()...)
	}
	return blob
}
