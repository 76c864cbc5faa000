package llmrt

import (
	"runtime"
	"sync/atomic"
	"time"
)

// workers runs a session's parallel jobs: the calling goroutine and up to
// helpers more goroutines take a job's parts one at a time from a shared
// counter, so a core that is slowed down takes fewer parts instead of
// holding up the others. Between jobs the helpers spin, for up to
// helperIdle, watching for the next one, and then end; the next job starts
// them again. A decode step runs dozens of jobs of some tens of
// microseconds each, where starting goroutines and waking idle threads for
// every job cost as much as the job. Results never depend on who runs a
// part.
type workers struct {
	running atomic.Int32        // helpers alive
	cur     atomic.Pointer[job] // the latest job
}

// helperIdle is how long a helper spins without work before it ends.
const helperIdle = 2 * time.Millisecond

// job is one call of parallel: parts parts, f(p) doing part p.
type job struct {
	f     func(p int)
	parts int64
	next  atomic.Int64 // parts taken
	done  atomic.Int64 // parts finished
}

// work takes and does parts of j until none are left.
func (j *job) work() {
	for {
		p := j.next.Add(1) - 1
		if p >= j.parts {
			return
		}
		j.f(int(p))
		j.done.Add(1)
	}
}

// run does parts 0..parts-1 of f with the calling goroutine and up to
// helpers more, and returns when all are done.
func (w *workers) run(parts, helpers int, f func(p int)) {
	helpers = min(helpers, runtime.GOMAXPROCS(0)-1, parts-1)
	j := &job{f: f, parts: int64(parts)}
	w.cur.Store(j)
	for n := w.running.Load(); n < int32(helpers); n++ {
		w.running.Add(1)
		go w.helper()
	}
	j.work()
	for spins := 0; j.done.Load() < j.parts; spins++ {
		// A helper is still on its last part.
		if spins%64 == 63 {
			runtime.Gosched()
		}
	}
	// Let go of the job (its closure holds the session's buffers).
	w.cur.CompareAndSwap(j, nil)
}

// helper does the parts it can of every job posted until it has seen
// none for helperIdle.
func (w *workers) helper() {
	defer w.running.Add(-1)
	var last *job
	idleSince := time.Now()
	for spins := 0; ; spins++ {
		if j := w.cur.Load(); j != last && j != nil {
			last = j
			j.work()
			idleSince, spins = time.Now(), 0
			continue
		}
		if spins%256 == 255 {
			if time.Since(idleSince) > helperIdle {
				return
			}
			// Let other goroutines have this thread now and then.
			runtime.Gosched()
		}
	}
}
