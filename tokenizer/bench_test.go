//go:build unix

package tokenizer

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system time so far. On a shared,
// loaded machine it measures the work done where wall time also counts
// the waiting.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchText is the War and Peace excerpt of ../shared (about 50 kB).
func benchText(b *testing.B) string {
	raw, err := os.ReadFile(sharedFile(b, "data", "text", "wap-excerpt-a.txt"))
	if err != nil {
		b.Fatal(err)
	}
	return string(raw)
}

// BenchmarkEncode encodes the excerpt with each shared vocabulary and
// reports tokens per second of wall time and of CPU time (which includes
// the garbage collector's work on other threads).
func BenchmarkEncode(b *testing.B) {
	text := benchText(b)
	for _, c := range []struct{ name, path string }{
		{"llama58m-spm32000", "gguf/llama58m-random-q4_k_m.gguf"},
		{"phi-3", "data/tokenizer-tests/ggml-vocab-phi-3.gguf"},
		{"gpt-2", "data/tokenizer-tests/ggml-vocab-gpt-2.gguf"},
		{"falcon", "data/tokenizer-tests/ggml-vocab-falcon.gguf"},
		{"bert-bge", "data/tokenizer-tests/ggml-vocab-bert-bge.gguf"},
	} {
		b.Run(c.name, func(b *testing.B) {
			tk := openTokenizer(b, sharedFile(b, strings.Split(c.path, "/")...))
			b.SetBytes(int64(len(text)))
			n := 0
			cpu := cpuTime(b)
			for b.Loop() {
				n += len(tk.Encode(text, true))
			}
			cpu = cpuTime(b) - cpu
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "tokens/s")
			b.ReportMetric(float64(n)/cpu.Seconds(), "tokens/cpu-s")
		})
	}
}

// BenchmarkEncodeScaling encodes the excerpt repeated 1 and 8 times with
// the 32000-token SentencePiece vocabulary, whose merge queue spans the
// whole text: the time per byte should stay flat.
func BenchmarkEncodeScaling(b *testing.B) {
	text := benchText(b)
	tk := openTokenizer(b, sharedFile(b, "gguf", "llama58m-random-q4_k_m.gguf"))
	for _, k := range []int{1, 8} {
		long := strings.Repeat(text, k)
		b.Run(strings.Repeat("x", k), func(b *testing.B) {
			b.SetBytes(int64(len(long)))
			cpu := cpuTime(b)
			for b.Loop() {
				tk.Encode(long, true)
			}
			cpu = cpuTime(b) - cpu
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(len(long)), "cpu-ns/byte")
		})
	}
}
