package llmrt

import (
	"runtime"
	"sync/atomic"
	"time"
)

// The helper goroutines below are codegen/kernels/parallel.go's, the same
// text (codegen's TestPoolSourcesMatch checks it): compiled ONNX packages
// and compiled language models carry their own copies, as neither
// imports the other.

// The package's helper goroutines run the parts of parallel jobs beside
// the goroutine that posts them. Between jobs they spin, for up to
// helperIdle, watching for the next one, and then end; the next job
// starts them again. Starting goroutines for every kernel and waking idle
// threads cost as much as a small kernel, and a thread the system delays
// then holds up the kernel's end. Sessions running at once share the
// helpers: each job admits at most its own thread count of goroutines,
// and a part is done by whoever takes it, so results never depend on who
// runs what.
var (
	helpersRunning atomic.Int32
	currentJob     atomic.Pointer[parJob]
)

// helperIdle is how long a helper spins without work before it ends.
const helperIdle = 2 * time.Millisecond

// parJob is one call of runParts.
type parJob struct {
	f       func(part, worker int)
	parts   int64
	slots   int32        // goroutines admitted at most
	workers atomic.Int32 // goroutines admitted so far
	next    atomic.Int64 // parts taken
	done    atomic.Int64 // parts finished
}

// work joins j, if it admits one more goroutine, and does parts of it
// until none are left.
func (j *parJob) work() {
	w := j.workers.Add(1) - 1
	if w >= j.slots {
		return
	}
	for {
		p := j.next.Add(1) - 1
		if p >= j.parts {
			return
		}
		j.f(int(p), int(w))
		j.done.Add(1)
	}
}

// runParts calls f(p, w) for every part p < parts, on the calling
// goroutine and up to threads-1 helpers, and returns when all are done.
// w < threads numbers the goroutine running the part, no two at the same
// time, for scratch space per goroutine.
func runParts(parts, threads int, f func(part, worker int)) {
	helpers := min(threads-1, runtime.GOMAXPROCS(0)-1, parts-1)
	if helpers <= 0 {
		for p := 0; p < parts; p++ {
			f(p, 0)
		}
		return
	}
	j := &parJob{f: f, parts: int64(parts), slots: int32(threads)}
	currentJob.Store(j)
	for n := helpersRunning.Load(); n < int32(helpers); n++ {
		helpersRunning.Add(1)
		go helper()
	}
	j.work()
	for spins := 0; j.done.Load() < j.parts; spins++ {
		// A helper is still on its last part.
		if spins%64 == 63 {
			runtime.Gosched()
		}
	}
	// Unless another job came since, let go of this one (its closure
	// holds the caller's buffers).
	currentJob.CompareAndSwap(j, nil)
}

// helper does what it can of every job posted until it has seen none
// for helperIdle.
func helper() {
	defer helpersRunning.Add(-1)
	var last *parJob
	idleSince := time.Now()
	for spins := 0; ; spins++ {
		if j := currentJob.Load(); j != last && j != nil {
			last = j
			j.work()
			idleSince, spins = time.Now(), 0
			continue
		}
		if spins%256 == 255 {
			if time.Since(idleSince) > helperIdle {
				return
			}
			runtime.Gosched()
		}
	}
}
