//go:build unix

package llmrt

import (
	"fmt"
	"math/rand"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDotLanes times each lanes kernel on 256 rows of 512 columns
// of random blocks against one activation row (decode) and 16 (prefill), and reports multiply-adds
// per nanosecond of CPU time (MAC/cpu-ns), which a loaded machine leaves
// nearly intact where it stretches wall time.
func BenchmarkDotLanes(b *testing.B) {
	r := rand.New(rand.NewSource(5))
	for _, typ := range []uint32{typeQ4_K, typeQ6_K, typeQ8_0, typeQ5_0} {
		k := kernels[typ]
		b.Run(k.name, func(b *testing.B) {
			if k.dotLanes == nil {
				b.Skip("the vector kernel replaced the lanes kernel (BenchmarkVecDot times both)")
			}
			const n, rows = 512, 256
			rowBytes, wb, acts := benchRows(r, typ, n, rows)
			w := &weight{name: "w", k: k, rows: rows, cols: n, rowBytes: rowBytes, data: wb}
			for _, m := range []int{1, 16} {
				b.Run(fmt.Sprintf("acts=%d", m), func(b *testing.B) {
					a := newLanes(k.act, n, acts[:m])
					out := make([]float32, m*rows)
					c0 := cpuTime(b)
					for b.Loop() {
						rowsLanes(w, 0, rows, a, out, rows)
					}
					b.ReportMetric(float64(m*n*rows*b.N)/float64(cpuTime(b)-c0), "MAC/cpu-ns")
				})
			}
		})
	}
}
