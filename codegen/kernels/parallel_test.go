package kernels

import (
	"sync"
	"testing"
)

// TestParallelFor checks that the chunks cover [0, n) exactly once.
func TestParallelFor(t *testing.T) {
	for _, n := range []int{0, 1, parallelMin - 1, parallelMin, parallelMin + 1, 3*parallelMin + 7} {
		for _, threads := range []int{1, 2, 3, 8} {
			seen := make([]int32, n)
			var mu sync.Mutex
			calls := 0
			parallelFor(n, threads, func(lo, hi int) {
				mu.Lock()
				calls++
				mu.Unlock()
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			})
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("n %d, threads %d: element %d covered %d times", n, threads, i, c)
				}
			}
			if want := 1; (threads == 1 || n < parallelMin) && calls != want {
				t.Fatalf("n %d, threads %d: %d calls, want 1", n, threads, calls)
			}
			if threads > 1 && n >= parallelMin && calls != threads {
				t.Fatalf("n %d, threads %d: %d calls, want %d", n, threads, calls, threads)
			}
		}
	}
}
