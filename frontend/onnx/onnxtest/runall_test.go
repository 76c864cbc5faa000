package onnxtest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestRunAllOrderAndTimeout checks that results come back in input order
// whatever order tests finish in, and that a test over the time limit fails
// with stage "timeout" without stalling the others. The limits are generous
// (1 s per test, 15 s for the run) so a loaded machine cannot make it flaky.
func TestRunAllOrderAndTimeout(t *testing.T) {
	var dirs []string
	for i := 0; i < 20; i++ {
		dirs = append(dirs, fmt.Sprintf("/suite/test_%02d", i))
	}
	dirs[7] = "/suite/test_hang"
	block := make(chan struct{})
	defer close(block)
	fake := func(dir string) Result {
		r := TestID(dir)
		if strings.HasSuffix(dir, "hang") {
			<-block
		}
		// Later tests finish first.
		time.Sleep(time.Duration(20-len(dir)%20) * time.Millisecond / 4)
		r.Outcome = Passed
		return r
	}
	progress := 0
	start := time.Now()
	rs := runAll(dirs, RunOptions{Workers: 4, Timeout: time.Second, Progress: func(done, total int, r Result) {
		progress++
		if done != progress || total != len(dirs) {
			t.Errorf("progress %d/%d after %d calls", done, total, progress)
		}
	}}, fake)
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("run took %v: the hanging test stalled it", el)
	}
	var n Counts
	for i, r := range rs {
		n.Add(r)
		if want := TestID(dirs[i]).Test; r.Test != want || r.Suite != "suite" {
			t.Errorf("result %d is %s/%s, want suite/%s", i, r.Suite, r.Test, want)
		}
	}
	if r := rs[7]; r.Outcome != Failed || r.Stage != "timeout" {
		t.Errorf("hanging test: %+v, want a timeout failure", r)
	}
	if got, want := n.String(), "19 passed, 1 failed, 0 skipped"; got != want {
		t.Errorf("counts %q, want %q", got, want)
	}
	if progress != len(dirs) {
		t.Errorf("progress called %d times, want %d", progress, len(dirs))
	}
}
