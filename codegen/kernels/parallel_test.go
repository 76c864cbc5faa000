package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelFor checks that the chunks cover [0, n) exactly once: one
// chunk for one thread or a small n, else four per thread.
func TestParallelFor(t *testing.T) {
	for _, n := range []int{0, 1, parallelMin - 1, parallelMin, parallelMin + 1, 3*parallelMin + 7} {
		for _, threads := range []int{1, 2, 3, 8} {
			seen := make([]int32, n)
			var calls atomic.Int32
			parallelFor(n, threads, func(lo, hi int) {
				calls.Add(1)
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			})
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("n %d, threads %d: element %d covered %d times", n, threads, i, c)
				}
			}
			want := int32(1)
			if threads > 1 && n >= parallelMin {
				want = int32(4 * threads)
			}
			if calls.Load() != want {
				t.Fatalf("n %d, threads %d: %d calls, want %d", n, threads, calls.Load(), want)
			}
		}
	}
}

// TestRunParts: every part runs exactly once; the worker numbers stay
// below the job's thread count and no two goroutines hold one number at
// once (the GEMM's scratch per goroutine), also with one OS thread for
// goroutines and with several callers at once sharing the helpers with
// different thread counts; no job stays posted after its call, and the
// helpers end once idle.
func TestRunParts(t *testing.T) {
	job := func(t *testing.T, parts, threads int) {
		counts := make([]atomic.Int32, parts)
		inUse := make([]atomic.Int32, threads)
		runParts(parts, threads, func(p, w int) {
			if w < 0 || w >= threads {
				t.Errorf("%d parts, %d threads: worker %d", parts, threads, w)
				return
			}
			if inUse[w].Add(1) != 1 {
				t.Errorf("%d parts, %d threads: worker %d taken twice at once", parts, threads, w)
			}
			counts[p].Add(1)
			if p%3 == 0 {
				runtime.Gosched()
			}
			inUse[w].Add(-1)
		})
		for p := range counts {
			if n := counts[p].Load(); n != 1 {
				t.Errorf("%d parts, %d threads: part %d ran %d times", parts, threads, p, n)
			}
		}
	}
	for _, procs := range []int{runtime.GOMAXPROCS(0), 1} {
		prev := runtime.GOMAXPROCS(procs)
		for _, parts := range []int{1, 2, 7, 64} {
			for _, threads := range []int{1, 2, 3, 8} {
				for range 10 {
					job(t, parts, threads)
				}
			}
		}
		var wg sync.WaitGroup
		for c := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					job(t, 1+(i*7+c)%40, 1+(c+i)%4)
				}
			}()
		}
		wg.Wait()
		runtime.GOMAXPROCS(prev)
	}
	if currentJob.Load() != nil {
		t.Errorf("the last job is still posted after every call returned (it holds its caller's buffers)")
	}
	deadline := time.Now().Add(5 * time.Second)
	for helpersRunning.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d helpers still running 5 s after the last job", helpersRunning.Load())
		}
		time.Sleep(time.Millisecond)
	}
}

// TestParJobAdmits: a job admits no more goroutines than its slots, however
// many helpers try to join (on a machine with more cores than the job's
// threads, helpers started by other sessions do).
func TestParJobAdmits(t *testing.T) {
	for _, slots := range []int{1, 2, 3} {
		var inUse [8]atomic.Int32
		var counts [200]atomic.Int32
		j := &parJob{parts: int64(len(counts)), slots: int32(slots), f: func(p, w int) {
			if w >= slots {
				t.Errorf("%d slots: worker %d", slots, w)
				return
			}
			if inUse[w].Add(1) != 1 {
				t.Errorf("%d slots: worker %d taken twice at once", slots, w)
			}
			counts[p].Add(1)
			runtime.Gosched()
			inUse[w].Add(-1)
		}}
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() { defer wg.Done(); j.work() }()
		}
		wg.Wait()
		for p := range counts {
			if n := counts[p].Load(); n != 1 {
				t.Fatalf("%d slots: part %d ran %d times", slots, p, n)
			}
		}
	}
}
