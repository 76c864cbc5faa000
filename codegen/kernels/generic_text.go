package kernels

import "encoding/binary"

// TfIdfVectorizer over integer items, as the interpreter computes it.

// gramKey is a map key for an n-gram of integers.
func gramKey(g []int64) string {
	b := make([]byte, 0, 8*len(g))
	for _, v := range g {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	return string(b)
}

// tfIdf counts, in each of the rows of x (rows x cols items), the n-grams
// of pool (n from minN to maxN, skipping up to maxSkip items between
// members for n > 1) at their output indexes outIdx (by pool ordinal; a
// later equal n-gram wins), into y (rows x nOut). mode 0 (TF) keeps the
// counts, 1 (IDF) makes them 0 or 1 and 2 (TFIDF) keeps them, and both
// multiply by weight (per output index).
func tfIdf[I ~int32 | ~int64](x []I, rows, cols int, pool [][]int64, outIdx []int, weight []float64, nOut, minN, maxN, maxSkip, mode int, y []float32) {
	ord := map[string]int{}
	for i, g := range pool {
		ord[gramKey(g)] = i
	}
	tf := make([]float64, rows*nOut)
	gram := make([]int64, max(maxN, 0))
	for r := 0; r < rows; r++ {
		row := x[r*cols : (r+1)*cols]
		for n := minN; n <= maxN; n++ {
			skips := maxSkip
			if n == 1 {
				skips = 0
			}
			for s := 0; s <= skips; s++ {
				for i := 0; i+(n-1)*(s+1) < len(row); i++ {
					for k := 0; k < n; k++ {
						gram[k] = int64(row[i+k*(s+1)])
					}
					if o, ok := ord[gramKey(gram[:n])]; ok {
						tf[r*nOut+outIdx[o]]++
					}
				}
			}
		}
	}
	for i, v := range tf {
		if mode == 1 && v > 0 {
			v = 1
		}
		if mode != 0 {
			v *= weight[i%nOut]
		}
		y[i] = float32(v)
	}
}
