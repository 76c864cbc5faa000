//go:build cgo

package modeltest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/interp"
	"github.com/kiln-ml/kiln/ir/tensor"
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
		v, err := toORT(x)
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
		t, err := fromORT(o)
		o.Destroy()
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", s.outputNames[i], err)
		}
		res[s.outputNames[i]] = t
	}
	return res, nil
}

func toORT(t *interp.Tensor) (ort.Value, error) {
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
	case []string:
		s, err := ort.NewStringTensor(ort.NewShape(shape...))
		if err != nil {
			return nil, err
		}
		if err := s.SetContents(d); err != nil {
			s.Destroy()
			return nil, err
		}
		return s, nil
	case []ir.Float16, []ir.BFloat16:
		b, err := tensor.EncodeBytes(t)
		if err != nil {
			return nil, err
		}
		var et ort.TensorElementDataType = ort.TensorElementDataTypeFloat16
		if t.DType == ir.BF16 {
			et = ort.TensorElementDataTypeBFloat16
		}
		return ort.NewCustomDataTensor(ort.NewShape(shape...), b, et)
	}
	return nil, fmt.Errorf("dtype %v is not fed to ONNX Runtime by these tests", t.DType)
}

// newORTValue copies data into an ORT tensor. Rank-0 values (such as the
// Silero VAD's sample rate) must be ORT scalars: onnxruntime_go rejects
// empty shapes for tensors.
func newORTValue[T ort.TensorData](shape []int64, data []T) (ort.Value, error) {
	if len(shape) == 0 {
		return ort.NewScalar(data[0])
	}
	return ort.NewTensor(ort.NewShape(shape...), append([]T{}, data...))
}

func fromORT(v ort.Value) (*interp.Tensor, error) {
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
	case *ort.StringTensor:
		s, err := x.GetContents()
		if err != nil {
			return nil, err
		}
		return interp.FromSlice(ortShape(x.GetShape()), s), nil
	case *ort.CustomDataTensor:
		var d ir.DType
		switch ort.TensorElementDataType(x.DataType()) {
		case ort.TensorElementDataTypeFloat16:
			d = ir.F16
		case ort.TensorElementDataTypeBFloat16:
			d = ir.BF16
		default:
			return nil, fmt.Errorf("ONNX Runtime returned element type %d, which these tests do not read", x.DataType())
		}
		return tensor.DecodeBytes(d, ortShape(x.GetShape()), x.GetData())
	}
	return nil, fmt.Errorf("ONNX Runtime returned a %T, which these tests do not read", v)
}

// ortShape converts an ONNX Runtime shape.
func ortShape(s ort.Shape) []int {
	out := make([]int, len(s))
	for i, d := range s {
		out[i] = int(d)
	}
	return out
}

func fromORTTensor[T ort.TensorData](x *ort.Tensor[T]) (*interp.Tensor, error) {
	shape := make([]int, len(x.GetShape()))
	n := 1
	for i, d := range x.GetShape() {
		shape[i] = int(d)
		n *= int(d)
	}
	data := x.GetData()
	if len(data) != n {
		// onnxruntime_go sizes rank-0 outputs as empty.
		return nil, fmt.Errorf("ONNX Runtime output of shape %v holds %d values", shape, len(data))
	}
	return interp.FromSlice(shape, append([]T{}, data...)), nil
}
