package llmrt

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunParts: this copy of codegen/kernels' helper goroutines (tested
// at length there; codegen checks that the texts match) runs each part
// once, also with one OS thread for goroutines, leaves no job posted and
// lets its helpers end once idle.
func TestRunParts(t *testing.T) {
	for _, procs := range []int{runtime.GOMAXPROCS(0), 1} {
		prev := runtime.GOMAXPROCS(procs)
		for _, parts := range []int{1, 3, 64} {
			for _, threads := range []int{1, 2, 8} {
				counts := make([]atomic.Int32, parts)
				runParts(parts, threads, func(p, w int) {
					if w >= threads {
						t.Errorf("worker %d of %d threads", w, threads)
					}
					counts[p].Add(1)
				})
				for p := range counts {
					if n := counts[p].Load(); n != 1 {
						t.Fatalf("GOMAXPROCS %d, %d parts, %d threads: part %d ran %d times", procs, parts, threads, p, n)
					}
				}
			}
		}
		runtime.GOMAXPROCS(prev)
	}
	if currentJob.Load() != nil {
		t.Error("a job is still posted after every call returned")
	}
	deadline := time.Now().Add(5 * time.Second)
	for helpersRunning.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d helpers still running 5 s after the last job", helpersRunning.Load())
		}
		time.Sleep(time.Millisecond)
	}
}
