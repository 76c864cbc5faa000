//go:build unix

package llmgen

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-ml/kiln/codegen/llmrt"
)

// cpuTime is the process's user and system time so far. On a shared,
// loaded machine it counts the work done, where wall time also counts the
// waiting for a core.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchIDs returns n token ids spread over the vocabulary.
func benchIDs(n, vocab int) []int32 {
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(1 + (i*7919)%(vocab-1))
	}
	return ids
}

// BenchmarkLlama58m measures the compiled runtime on
// llama58m-random-q4_k_m.gguf, in process, as docs/benchmarks.md reports
// it: a 128-token prefill from an empty cache, and 64 decode steps after
// an 8-token prefix, at 1 and 2 threads. Each reports tokens per second of
// wall time (tok/s) and of the process's CPU time (tok/cpu-s). Run it
// with
//
//	go test ./codegen/llmgen -run '^$' -bench Llama58m -benchtime 3x
func BenchmarkLlama58m(b *testing.B) {
	m, _ := planModel(b, "llama58m-random-q4_k_m.gguf", Options{Context: 256})
	for _, th := range []int{1, 2} {
		benchPrefill(b, m, th, 128)
		benchDecode(b, m, th, 8, 64, "decode64")
	}
}

// benchPrefill times a prefill of n tokens from an empty cache at th
// threads, as the sub-benchmark prefillN/threads=th.
func benchPrefill(b *testing.B, m *llmrt.Model, th, n int) {
	b.Run(fmt.Sprintf("prefill%d/threads=%d", n, th), func(b *testing.B) {
		s := m.NewSession()
		s.SetThreads(th)
		ids := benchIDs(n, m.Config().Vocab)
		var wall, cpu time.Duration
		for b.Loop() {
			s.Reset()
			w0, c0 := time.Now(), cpuTime(b)
			if _, err := s.Prefill(ids); err != nil {
				b.Fatal(err)
			}
			wall += time.Since(w0)
			cpu += cpuTime(b) - c0
		}
		report(b, n, wall, cpu)
	})
}

// benchDecode times steps decode steps after a prefix of prefix tokens
// (the prefill untimed) at th threads, as the sub-benchmark
// name/threads=th.
func benchDecode(b *testing.B, m *llmrt.Model, th, prefix, steps int, name string) {
	b.Run(fmt.Sprintf("%s/threads=%d", name, th), func(b *testing.B) {
		s := m.NewSession()
		s.SetThreads(th)
		ids := benchIDs(prefix+steps, m.Config().Vocab)
		var wall, cpu time.Duration
		for b.Loop() {
			s.Reset()
			if _, err := s.Prefill(ids[:prefix]); err != nil {
				b.Fatal(err)
			}
			w0, c0 := time.Now(), cpuTime(b)
			for _, id := range ids[prefix:] {
				if _, err := s.Step(id); err != nil {
					b.Fatal(err)
				}
			}
			wall += time.Since(w0)
			cpu += cpuTime(b) - c0
		}
		report(b, steps, wall, cpu)
	})
}

// report adds the tokens-per-second metrics of b.N runs of tokens each.
func report(b *testing.B, tokens int, wall, cpu time.Duration) {
	n := float64(tokens * b.N)
	b.ReportMetric(n/wall.Seconds(), "tok/s")
	if cpu > 0 {
		b.ReportMetric(n/cpu.Seconds(), "tok/cpu-s")
	}
}

// BenchmarkLongContext is BenchmarkLlama58m at a long context: a
// 900-token prefill from an empty cache, and 64 decode steps after a
// 900-token prefix (positions 900-963), as llama-bench's -p 900 and
// -pg 900,64 measure them, at 1 and 2 threads:
//
//	go test ./codegen/llmgen -run '^$' -bench LongContext -benchtime 2x
func BenchmarkLongContext(b *testing.B) {
	m, _ := planModel(b, "llama58m-random-q4_k_m.gguf", Options{Context: 1024})
	for _, th := range []int{1, 2} {
		benchPrefill(b, m, th, 900)
		benchDecode(b, m, th, 900, 64, "decode64-at900")
	}
}
