//go:build cgo

package modeltest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/kiln-ml/kiln/internal/ortconv"
	"github.com/kiln-ml/kiln/ir/interp"
)

// ortLibRel is where `make test` installs ONNX Runtime's CPU library (from
// the npm package onnxruntime-node@1.30.0), relative to the repository.
const ortLibRel = ".cache/ort/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"

var (
	ortOnce sync.Once
	ortErr  error
)

// ortAvailable initializes ONNX Runtime once. When its library is missing
// it skips the test, or fails it when KILN_REQUIRE_ORT=1.
func ortAvailable(t testing.TB) bool {
	t.Helper()
	if err := ortInit(t); err != nil {
		if os.Getenv("KILN_REQUIRE_ORT") == "1" {
			t.Fatalf("KILN_REQUIRE_ORT=1: %v", err)
		}
		t.Skip(err)
		return false
	}
	return true
}

// ortInit initializes ONNX Runtime once and reports whether it could.
func ortInit(t testing.TB) error {
	ortOnce.Do(func() {
		lib := os.Getenv("KILN_ORT_LIB")
		if lib == "" {
			lib = filepath.Join(repoRoot(t), ortLibRel)
		}
		if _, err := os.Stat(lib); err != nil {
			ortErr = fmt.Errorf("ONNX Runtime library not found (%v); `make test` installs it, or set KILN_ORT_LIB", err)
			return
		}
		ort.SetSharedLibraryPath(lib)
		if err := ort.InitializeEnvironment(); err != nil {
			ortErr = fmt.Errorf("initializing ONNX Runtime from %s: %w", lib, err)
		}
	})
	return ortErr
}

// ortSession is one ONNX Runtime session with fixed input and output names.
type ortSession struct {
	s                   *ort.DynamicAdvancedSession
	inputs, outputNames []string
}

// newORTSession opens model in ONNX Runtime, one intra-op thread (tests run
// in parallel already). Names are the model's own inputs and outputs.
func newORTSession(t testing.TB, model string) *ortSession {
	t.Helper()
	ins, outs, err := ort.GetInputOutputInfo(model)
	if err != nil {
		t.Fatalf("ONNX Runtime: %s: %v", model, err)
	}
	s := &ortSession{}
	for _, i := range ins {
		s.inputs = append(s.inputs, i.Name)
	}
	for _, o := range outs {
		s.outputNames = append(s.outputNames, o.Name)
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(1); err != nil {
		t.Fatal(err)
	}
	s.s, err = ort.NewDynamicAdvancedSession(model, s.inputs, s.outputNames, opts)
	if err != nil {
		t.Fatalf("ONNX Runtime: %s: %v", model, err)
	}
	t.Cleanup(func() { s.s.Destroy() })
	return s
}

// run feeds inputs (by name; every model input must be given) and returns
// every output by name.
func (s *ortSession) run(inputs map[string]*interp.Tensor) (map[string]*interp.Tensor, error) {
	in := make([]ort.Value, len(s.inputs))
	defer func() {
		for _, v := range in {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	for i, n := range s.inputs {
		x, ok := inputs[n]
		if !ok {
			return nil, fmt.Errorf("no value for ONNX Runtime input %q", n)
		}
		v, err := ortconv.ToValue(x)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", n, err)
		}
		in[i] = v
	}
	outs := make([]ort.Value, len(s.outputNames)) // nil: ORT allocates
	if err := s.s.Run(in, outs); err != nil {
		return nil, err
	}
	res := map[string]*interp.Tensor{}
	for i, o := range outs {
		t, err := ortconv.FromValue(o)
		o.Destroy()
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", s.outputNames[i], err)
		}
		res[s.outputNames[i]] = t
	}
	return res, nil
}

// tryORTSession opens model in ONNX Runtime as newORTSession does,
// returning an error instead of failing the test (for rows ONNX Runtime is
// expected to refuse).
func tryORTSession(model string) (*ortSession, error) {
	ins, outs, err := ort.GetInputOutputInfo(model)
	if err != nil {
		return nil, err
	}
	s := &ortSession{}
	for _, i := range ins {
		s.inputs = append(s.inputs, i.Name)
	}
	for _, o := range outs {
		s.outputNames = append(s.outputNames, o.Name)
	}
	s.s, err = ort.NewDynamicAdvancedSession(model, s.inputs, s.outputNames, nil)
	if err != nil {
		return nil, err
	}
	return s, nil
}
