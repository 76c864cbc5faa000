//go:build cgo

package main

import (
	"fmt"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/kiln-ml/kiln/internal/ortconv"
	"github.com/kiln-ml/kiln/ir/tensor"
)

var (
	ortOnce sync.Once
	ortErr  error
)

// initORT loads ONNX Runtime's library once.
func initORT() error {
	ortOnce.Do(func() {
		lib, err := findORTLibrary()
		if err != nil {
			ortErr = err
			return
		}
		ort.SetSharedLibraryPath(lib)
		if err := ort.InitializeEnvironment(); err != nil {
			ortErr = fmt.Errorf("%w: loading %s: %v; %s", errNoORT, lib, err, ortHelp)
		}
	})
	return ortErr
}

// ortSession is an ONNX Runtime session of one model, its inputs and
// outputs in the model's order.
type ortSession struct {
	s              *ort.DynamicAdvancedSession
	inputs, output []string
}

// newORTSession opens model with threads intra-op threads (0: ONNX
// Runtime's default) and one inter-op thread.
func newORTSession(model string, threads int) (*ortSession, error) {
	if err := initORT(); err != nil {
		return nil, err
	}
	ins, outs, err := ort.GetInputOutputInfo(model)
	if err != nil {
		return nil, fmt.Errorf("ONNX Runtime: %s: %w", model, err)
	}
	s := &ortSession{}
	for _, i := range ins {
		s.inputs = append(s.inputs, i.Name)
	}
	for _, o := range outs {
		s.output = append(s.output, o.Name)
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	if threads > 0 {
		if err := opts.SetIntraOpNumThreads(threads); err != nil {
			return nil, err
		}
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return nil, err
	}
	s.s, err = ort.NewDynamicAdvancedSession(model, s.inputs, s.output, opts)
	if err != nil {
		return nil, fmt.Errorf("ONNX Runtime: %s: %w", model, err)
	}
	return s, nil
}

// close frees the session.
func (s *ortSession) close() { s.s.Destroy() }

// run feeds inputs by name and returns the outputs in the model's order.
func (s *ortSession) run(inputs map[string]*tensor.Tensor) ([]*tensor.Tensor, error) {
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
			return nil, fmt.Errorf("no value for ONNX Runtime's input %q", n)
		}
		v, err := ortconv.ToValue(x)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", n, err)
		}
		in[i] = v
	}
	outs := make([]ort.Value, len(s.output)) // nil: ONNX Runtime allocates
	if err := s.s.Run(in, outs); err != nil {
		return nil, fmt.Errorf("ONNX Runtime: %w", err)
	}
	res := make([]*tensor.Tensor, len(outs))
	var firstErr error
	for i, o := range outs {
		t, err := ortconv.FromValue(o)
		o.Destroy()
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("ONNX Runtime's output %q: %w", s.output[i], err)
		}
		res[i] = t
	}
	return res, firstErr
}
