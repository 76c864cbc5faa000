package interp

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ml/kiln/internal/fuzzop"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// FuzzOp builds one op of a fuzzer-chosen type with fuzzer-chosen operand
// counts, element types, small shapes and attribute values, then infers,
// verifies and runs it. Any of those may refuse the op with an error; none
// may panic, and a kernel panic that the interpreter recovers counts as a
// crash too. Shapes stay small (at most 4 dims of at most 4) so a run is
// cheap, but attributes take hostile values (huge, negative, zero), which
// is where size arithmetic goes wrong.
func FuzzOp(f *testing.F) {
	ops := fuzzop.Ops()
	// A small allocation budget: an op asked for a huge output must be
	// refused with an error, never abort the fuzzing process.
	old := tensor.SetMaxBytes(256 << 20)
	f.Cleanup(func() { tensor.SetMaxBytes(old) })
	for i := range ops {
		// One seed per op: a plausible arity with float operands.
		f.Add(uint16(i), []byte{2, 1, 2, 3, 4, 1, 2, 3, 4, 0, 0, 0, 0})
	}
	f.Fuzz(func(t *testing.T, which uint16, program []byte) {
		d := ops[int(which)%len(ops)]
		// A hang is a crash too: an op must refuse work it cannot finish,
		// not loop over astronomically many positions. The watchdog
		// panics with every goroutine's stack so the report shows where.
		watchdog := time.AfterFunc(fuzzOpDeadline, func() {
			buf := make([]byte, 1<<20)
			panic(fmt.Sprintf("%s: still running after %v:\n%s", d.Name, fuzzOpDeadline, buf[:runtime.Stack(buf, true)]))
		})
		defer watchdog.Stop()
		m, inputs, err := fuzzop.Build(d, fuzzop.NewReader(program))
		if err != nil {
			if strings.Contains(err.Error(), "panic") {
				t.Fatalf("%s: %v", d.Name, err)
			}
			return
		}
		_, err = New(m, Options{Seed: 1}).Run("", inputs)
		if err != nil && strings.Contains(err.Error(), "kernel panicked") {
			t.Fatalf("%s: %v\n%s", d.Name, err, m)
		}
	})
}

// fuzzOpDeadline is how long one FuzzOp input may take (on a loaded
// machine; an input normally takes well under a millisecond).
const fuzzOpDeadline = 10 * time.Second
