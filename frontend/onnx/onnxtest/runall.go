package onnxtest

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// DefaultTimeout is the per-test time limit RunAll applies when given none.
// The slowest backend tests (large convolutions, RNNs) take a few seconds in
// the interpreter; a minute means a test that hangs, not a slow one.
const DefaultTimeout = 60 * time.Second

// RunOptions configures RunAll.
type RunOptions struct {
	// Workers is the number of tests run at once; 0 means GOMAXPROCS.
	Workers int
	// Timeout is the time limit of one test; 0 means DefaultTimeout.
	Timeout time.Duration
	// Progress, when set, is called once per finished test, from one
	// goroutine at a time, in completion order.
	Progress func(done, total int, r Result)
	// Run, when set, runs one test instead of Run in this process, and
	// enforces the time limit itself: `kiln conformance` runs each test in
	// a child process so that its memory, stack or time cannot take down
	// the whole run.
	Run func(dir string, timeout time.Duration) Result
}

// RunAll runs the test case folders dirs on parallel workers and returns
// their results in the order of dirs, whatever order they finish in. A test
// that exceeds the time limit fails with stage "timeout"; its goroutine is
// abandoned (Go cannot stop it), so a hang costs one worker's CPU but never
// stalls the run.
func RunAll(dirs []string, opts RunOptions) []Result {
	return runAll(dirs, opts, Run)
}

// runAll is RunAll with the function that runs one test as a parameter.
func runAll(dirs []string, opts RunOptions, run func(dir string) Result) []Result {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	results := make([]Result, len(dirs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				var r Result
				if opts.Run != nil {
					r = opts.Run(dirs[i], timeout)
				} else {
					r = runWithTimeout(dirs[i], timeout, run)
				}
				results[i] = r
				if opts.Progress != nil {
					mu.Lock()
					done++
					opts.Progress(done, len(dirs), r)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range dirs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return results
}

func runWithTimeout(dir string, timeout time.Duration, run func(string) Result) Result {
	ch := make(chan Result, 1) // buffered: an abandoned run must not block forever
	go func() { ch <- run(dir) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r
	case <-t.C:
		r := TestID(dir)
		r.Outcome, r.Stage, r.Reason = Failed, "timeout", fmt.Sprintf("no result within %v", timeout)
		r.Time = timeout
		return r
	}
}

// Counts tallies results by outcome.
type Counts struct {
	Passed, Failed, Skipped int
}

// Total is the number of results counted.
func (c Counts) Total() int { return c.Passed + c.Failed + c.Skipped }

// Add counts one result.
func (c *Counts) Add(r Result) {
	switch r.Outcome {
	case Passed:
		c.Passed++
	case Skipped:
		c.Skipped++
	default:
		c.Failed++
	}
}

// String is the closing line of a run: "N passed, N failed, N skipped".
func (c Counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", c.Passed, c.Failed, c.Skipped)
}

// TestID is a result naming dir's suite (its parent folder) and test (its
// own name), as Run names them, with no outcome yet.
func TestID(dir string) Result {
	return Result{Suite: filepath.Base(filepath.Dir(dir)), Test: filepath.Base(dir)}
}
