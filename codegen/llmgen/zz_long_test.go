package llmgen

import (
	"testing"
	"time"
)

func BenchmarkZZLongDecode(b *testing.B) {
	m, _ := planModel(b, "llama58m-random-q4_k_m.gguf", Options{Context: 1100})
	vocab := m.Config().Vocab
	s := m.NewSession()
	ids := benchIDs(1100, vocab)
	if _, err := s.Prefill(ids[:900]); err != nil {
		b.Fatal(err)
	}
	var wall time.Duration
	n := 0
	for b.Loop() {
		w0 := time.Now()
		if _, err := s.Step(ids[900+n%150]); err != nil {
			b.Fatal(err)
		}
		n++
		wall += time.Since(w0)
	}
	b.ReportMetric(float64(n)/wall.Seconds(), "tok/s")
}
