package llmrt

import (
	"math"
	"math/rand"
	"slices"
	"sort"
	"testing"
)

// TestLogitOrder: logitOrder gives the order of a stable sort of the
// indices by decreasing logit, and its first k for top-k, on logits with
// many ties, both zeros, infinities and extreme values.
func TestLogitOrder(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, 1e-45, -1e-45}
	var idx []int
	var keys []uint64
	for trial := range 300 {
		n := 1 + r.Intn(3000)
		logits := make([]float32, n)
		for i := range logits {
			switch r.Intn(6) {
			case 0:
				logits[i] = specials[r.Intn(len(specials))]
			case 1:
				logits[i] = float32(r.Intn(5)) // ties
			default:
				logits[i] = float32(r.NormFloat64() * 4)
			}
		}
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		sort.SliceStable(want, func(a, b int) bool { return logits[want[a]] > logits[want[b]] })
		for _, k := range []int{0, 1, 2, 40, n - 1, n, n + 5} {
			idx, keys = logitOrder(logits, k, idx, keys)
			w := want
			if k > 0 && k < n {
				w = want[:k]
			}
			if !slices.Equal(idx, w) {
				t.Fatalf("trial %d, %d logits, k %d: order %v..., want %v...", trial, n, k, idx[:min(8, len(idx))], w[:min(8, len(w))])
			}
		}
	}
}
