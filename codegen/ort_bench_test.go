//go:build cgo

package codegen

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/kiln-ml/kiln/ir"
	"github.com/kiln-ml/kiln/ir/tensor"
)

// ortLibRel is where `make test` installs ONNX Runtime's CPU library,
// relative to the repository; KILN_ORT_LIB overrides it.
const ortLibRel = ".cache/ort/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"

var (
	ortOnce sync.Once
	ortErr  error
)

// ortRunner opens model in ONNX Runtime with threads intra-op threads and
// returns a function running it on inputs (named by names), and one
// releasing the session.
func ortRunner(model string, names []string, inputs []*tensor.Tensor, threads int) (run func() error, done func(), err error) {
	ortOnce.Do(func() {
		lib := os.Getenv("KILN_ORT_LIB")
		if lib == "" {
			lib = filepath.Join("..", ortLibRel)
		}
		if _, err := os.Stat(lib); err != nil {
			ortErr = fmt.Errorf("ONNX Runtime library not found (%v); `make test` installs it, or set KILN_ORT_LIB", err)
			return
		}
		ort.SetSharedLibraryPath(lib)
		ortErr = ort.InitializeEnvironment()
	})
	if ortErr != nil {
		return nil, nil, ortErr
	}
	_, outs, err := ort.GetInputOutputInfo(model)
	if err != nil {
		return nil, nil, err
	}
	var outNames []string
	for _, o := range outs {
		outNames = append(outNames, o.Name)
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, nil, err
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(threads); err != nil {
		return nil, nil, err
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return nil, nil, err
	}
	s, err := ort.NewDynamicAdvancedSession(model, names, outNames, opts)
	if err != nil {
		return nil, nil, err
	}
	in := make([]ort.Value, len(inputs))
	release := func() {
		for _, v := range in {
			if v != nil {
				v.Destroy()
			}
		}
		s.Destroy()
	}
	for i, x := range inputs {
		shape := make([]int64, len(x.Shape))
		for j, d := range x.Shape {
			shape[j] = int64(d)
		}
		var v ort.Value
		switch x.DType {
		case ir.F32:
			v, err = ort.NewTensor(ort.NewShape(shape...), append([]float32(nil), tensor.Data[float32](x)...))
		case ir.I64:
			v, err = ort.NewTensor(ort.NewShape(shape...), append([]int64(nil), tensor.Data[int64](x)...))
		default:
			err = fmt.Errorf("input %q: %s", names[i], x.DType)
		}
		if err != nil {
			release()
			return nil, nil, err
		}
		in[i] = v
	}
	run = func() error {
		outs := make([]ort.Value, len(outNames))
		if err := s.Run(in, outs); err != nil {
			return err
		}
		for _, o := range outs {
			o.Destroy()
		}
		return nil
	}
	return run, release, nil
}
