//go:build cgo

package main

import (
	"fmt"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

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
		v, err := toORT(x)
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
		t, err := fromORT(o)
		o.Destroy()
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("ONNX Runtime's output %q: %w", s.output[i], err)
		}
		res[i] = t
	}
	return res, firstErr
}

func toORT(t *tensor.Tensor) (ort.Value, error) {
	shape := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		shape[i] = int64(d)
	}
	switch d := t.Data.(type) {
	case []float32:
		return newORTValue(shape, d)
	case []float64:
		return newORTValue(shape, d)
	case []int8:
		return newORTValue(shape, d)
	case []int16:
		return newORTValue(shape, d)
	case []int32:
		return newORTValue(shape, d)
	case []int64:
		return newORTValue(shape, d)
	case []uint8:
		return newORTValue(shape, d)
	case []uint16:
		return newORTValue(shape, d)
	case []uint32:
		return newORTValue(shape, d)
	case []uint64:
		return newORTValue(shape, d)
	case []bool:
		return newORTValue(shape, d)
	}
	return nil, fmt.Errorf("%v tensors are not passed to ONNX Runtime", t.DType)
}

// newORTValue copies data into an ONNX Runtime tensor; rank 0 becomes an
// ONNX Runtime scalar, as onnxruntime_go refuses empty shapes.
func newORTValue[T ort.TensorData](shape []int64, data []T) (ort.Value, error) {
	if len(shape) == 0 {
		return ort.NewScalar(data[0])
	}
	return ort.NewTensor(ort.NewShape(shape...), append([]T{}, data...))
}

func fromORT(v ort.Value) (*tensor.Tensor, error) {
	switch x := v.(type) {
	case *ort.Tensor[float32]:
		return fromORTTensor(x)
	case *ort.Tensor[float64]:
		return fromORTTensor(x)
	case *ort.Tensor[int8]:
		return fromORTTensor(x)
	case *ort.Tensor[int16]:
		return fromORTTensor(x)
	case *ort.Tensor[int32]:
		return fromORTTensor(x)
	case *ort.Tensor[int64]:
		return fromORTTensor(x)
	case *ort.Tensor[uint8]:
		return fromORTTensor(x)
	case *ort.Tensor[uint16]:
		return fromORTTensor(x)
	case *ort.Tensor[uint32]:
		return fromORTTensor(x)
	case *ort.Tensor[uint64]:
		return fromORTTensor(x)
	case *ort.Tensor[bool]:
		return fromORTTensor(x)
	}
	return nil, fmt.Errorf("ONNX Runtime returned a %T, which kiln does not read", v)
}

func fromORTTensor[T ort.TensorData](x *ort.Tensor[T]) (*tensor.Tensor, error) {
	shape := make([]int, len(x.GetShape()))
	n := 1
	for i, d := range x.GetShape() {
		shape[i] = int(d)
		n *= int(d)
	}
	data := x.GetData()
	if len(data) != n {
		return nil, fmt.Errorf("output of shape %v holds %d values", shape, len(data))
	}
	return tensor.FromSlice(shape, append([]T{}, data...)), nil
}
