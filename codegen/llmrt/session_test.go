package llmrt

import (
	"math"
	"testing"
)

// TestNonFiniteFlag: storing a key or value that rounds to an infinity or
// NaN in binary16 marks its layer (the vector attention then keeps its
// checked path), finite ones do not, and Reset clears the marks.
func TestNonFiniteFlag(t *testing.T) {
	m := &Model{cfg: Config{Layers: 2, KVHeads: 1, HeadDim: 8, Context: 4}}
	s := m.NewSession()
	finite := make([]float32, 8)
	for i := range finite {
		finite[i] = float32(i) * 1000 // 7000 < 65504
	}
	for _, bad := range []float32{1e5, float32(math.Inf(-1)), float32(math.NaN())} {
		s.Reset()
		s.store(0, finite, finite, 1)
		if s.nonFinite[0] || s.nonFinite[1] {
			t.Fatalf("finite values marked a layer: %v", s.nonFinite)
		}
		k := append([]float32(nil), finite...)
		k[5] = bad
		s.store(1, finite, k, 1) // the value row
		if s.nonFinite[0] || !s.nonFinite[1] {
			t.Fatalf("%v stored in layer 1's values: marks %v", bad, s.nonFinite)
		}
		s.store(0, k, finite, 1) // the key row
		if !s.nonFinite[0] {
			t.Fatalf("%v stored in layer 0's keys: marks %v", bad, s.nonFinite)
		}
		s.Reset()
		if s.nonFinite[0] || s.nonFinite[1] {
			t.Fatalf("Reset left marks %v", s.nonFinite)
		}
	}
}
