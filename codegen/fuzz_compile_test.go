package codegen

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ml/kiln/internal/fuzzop"
	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
	"github.com/kiln-ml/kiln/passes"
)

// FuzzCompile builds one op of a fuzzer-chosen type with fuzzer-chosen
// operand counts, element types, small shapes and hostile attribute values
// (internal/fuzzop, the generator of the interpreter's FuzzOp), runs the
// default pipeline on a copy and compiles both the module and the copy,
// with the scalar and the vector kernels. Any step may refuse the module
// with an error; none may panic or hang. The generated code is not built
// (a Go build per input would starve the fuzzer): the suites and the
// model tests build and run what Compile writes.
func FuzzCompile(f *testing.F) {
	ops := fuzzop.Ops()
	old := tensor.SetMaxBytes(256 << 20)
	f.Cleanup(func() { tensor.SetMaxBytes(old) })
	pipeline, err := passes.ParsePipeline("default", nil)
	if err != nil {
		f.Fatal(err)
	}
	for i := range ops {
		f.Add(uint16(i), []byte{2, 1, 2, 3, 4, 1, 2, 3, 4, 0, 0, 0, 0})
	}
	f.Fuzz(func(t *testing.T, which uint16, program []byte) {
		d := ops[int(which)%len(ops)]
		m, _, err := fuzzop.Build(d, fuzzop.NewReader(program))
		if err != nil {
			if _, ok := err.(*fuzzop.Panic); ok {
				t.Fatalf("%s: %v", d.Name, err)
			}
			return
		}
		watchdog := time.AfterFunc(fuzzCompileDeadline, func() {
			buf := make([]byte, 1<<20)
			panic(fmt.Sprintf("%s: still compiling after %v:\n%s", d.Name, fuzzCompileDeadline, buf[:runtime.Stack(buf, true)]))
		})
		defer watchdog.Stop()
		text := m.String()
		fused := m.Clone()
		if err := fuzzStep(func() error {
			_, err := passes.Run(fused, pipeline, passes.Instrument{Verify: true})
			return err
		}); err != nil {
			if strings.HasPrefix(err.Error(), "panic") {
				t.Fatalf("%s: default pipeline: %v\n%s", d.Name, err, text)
			}
			fused = nil
		}
		for _, mod := range []*ir.Module{m, fused} {
			if mod == nil {
				continue
			}
			for _, simd := range []bool{false, true} {
				err := fuzzStep(func() error {
					_, err := Compile(mod, Options{SIMD: simd})
					return err
				})
				if err != nil && strings.HasPrefix(err.Error(), "panic") {
					t.Fatalf("%s: Compile (simd %v): %v\n%s", d.Name, simd, err, mod)
				}
			}
		}
	})
}

// fuzzCompileDeadline is how long one FuzzCompile input may take on a
// loaded machine (one normally takes a few milliseconds).
const fuzzCompileDeadline = 20 * time.Second

// fuzzStep runs step, turning a panic into an error beginning "panic".
func fuzzStep(step func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			buf := make([]byte, 1<<16)
			err = fmt.Errorf("panic: %v\n%s", p, buf[:runtime.Stack(buf, false)])
		}
	}()
	return step()
}
