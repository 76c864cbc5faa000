package kernels

import "sync"

// parallelMin is the least element count an elementwise kernel splits
// over goroutines: below it, starting them costs more than they save.
const parallelMin = 1 << 15

// parallelFor calls body on contiguous chunks [lo, hi) covering [0, n),
// on up to threads goroutines when n is at least parallelMin, else once
// on the calling goroutine. Each element belongs to exactly one chunk, so
// an elementwise kernel gives the same bits whatever threads is.
func parallelFor(n, threads int, body func(lo, hi int)) {
	if threads <= 1 || n < parallelMin {
		body(0, n)
		return
	}
	step := (n + threads - 1) / threads
	var wg sync.WaitGroup
	for lo := step; lo < n; lo += step {
		wg.Add(1)
		go func(lo int) {
			defer wg.Done()
			body(lo, min(lo+step, n))
		}(lo)
	}
	body(0, min(step, n))
	wg.Wait()
}
