package llmrt

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestWorkersRunEveryPartOnce: run does each part exactly once, for any
// number of parts and helpers, also with one OS thread for goroutines
// (where the helpers must not starve the caller); no job stays posted
// after run returns, and the helpers end once idle.
func TestWorkersRunEveryPartOnce(t *testing.T) {
	for _, procs := range []int{runtime.GOMAXPROCS(0), 1} {
		prev := runtime.GOMAXPROCS(procs)
		var w workers
		for _, parts := range []int{1, 2, 3, 7, 64, 1000} {
			for _, helpers := range []int{0, 1, 3, 7} {
				for round := 0; round < 20; round++ {
					counts := make([]atomic.Int32, parts)
					w.run(parts, helpers, func(p int) {
						counts[p].Add(1)
						if p%5 == 0 {
							runtime.Gosched()
						}
					})
					for p := range counts {
						if n := counts[p].Load(); n != 1 {
							t.Fatalf("GOMAXPROCS %d, %d parts, %d helpers: part %d ran %d times", procs, parts, helpers, p, n)
						}
					}
				}
			}
		}
		if w.cur.Load() != nil {
			t.Errorf("GOMAXPROCS %d: the last job is still posted after run returned", procs)
		}
		deadline := time.Now().Add(5 * time.Second)
		for w.running.Load() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("GOMAXPROCS %d: %d helpers still running 5 s after the last job", procs, w.running.Load())
			}
			time.Sleep(time.Millisecond)
		}
		runtime.GOMAXPROCS(prev)
	}
}
