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

// BenchmarkExactOrderCore times the arithmetic that ggml's AVX2 order
// leaves a portable Q4_K kernel after every code is unpacked for free: per
// four-column sum one 64-bit product of a quad word (lanes.go) and its
// extraction (lane3), then the sub-block scale, as an integer multiply
// (the kernels' way) or in float64 lanes (exact too: every lane sum is an
// integer far below 2^53), with no block scales, minimums or unpacking.
// No kernel in that scheme can beat it; docs/benchmarks.md compares it
// with BenchmarkDotLanes/Q4_K and with the speed the decode target needs.
// The codes are random quad words of 4-bit lanes, 128 KiB of them; each
// pair of words stands for the 16 codes of 8 bytes (low and high nibbles),
// four products of four multiply-adds.
func BenchmarkExactOrderCore(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	w := make([]uint64, 1<<14)
	y := make([]uint64, 1024+4)
	for i := range w {
		w[i] = r.Uint64() & 0x000F000F000F000F
	}
	for i := range y {
		y[i] = r.Uint64() & 0x00FF00FF00FF00FF
	}
	macs := float64(len(w) * 8)
	run := func(name string, f func() int64) {
		b.Run(name, func(b *testing.B) {
			var sink int64
			c0 := cpuTime(b)
			for b.Loop() {
				sink += f()
			}
			b.ReportMetric(macs*float64(b.N)/float64(cpuTime(b)-c0), "MAC/cpu-ns")
			if sink == 1 {
				b.Log(sink) // keeps f's result alive
			}
		})
	}
	run("products+int-scales", func() int64 {
		var a0, a1, a2, a3 int32
		s0, s1 := int32(len(w)&63), int32(len(y)&63)
		for i := 0; i+1 < len(w); i += 2 {
			v, u, q := w[i], w[i+1], (*[4]uint64)(y[(2*i)&1023:])
			a0 += s0 * lane3(v*q[0])
			a1 += s1 * lane3(u*q[1])
			a2 += s0 * lane3((v>>4)*q[2])
			a3 += s1 * lane3((u>>4)*q[3])
		}
		return int64(a0 + a1 + a2 + a3)
	})
	run("products+float-scales", func() int64 {
		var a0, a1, a2, a3 float64
		s0, s1 := float64(len(w)&63), float64(len(y)&63)
		for i := 0; i+1 < len(w); i += 2 {
			v, u, q := w[i], w[i+1], (*[4]uint64)(y[(2*i)&1023:])
			a0 += s0 * float64(lane3(v*q[0]))
			a1 += s1 * float64(lane3(u*q[1]))
			a2 += s0 * float64(lane3((v>>4)*q[2]))
			a3 += s1 * float64(lane3((u>>4)*q[3]))
		}
		return int64(a0 + a1 + a2 + a3)
	})
}
