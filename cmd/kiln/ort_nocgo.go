//go:build !cgo

package main

import (
	"fmt"

	"github.com/kiln-ml/kiln/ir/tensor"
)

// Without cgo kiln cannot load ONNX Runtime's C library.
func initORT() error {
	return fmt.Errorf("%w: this kiln was built without cgo, which loading ONNX Runtime needs; rebuild it with CGO_ENABLED=1 and a C compiler", errNoORT)
}

type ortSession struct{ inputs, output []string }

func newORTSession(string, int) (*ortSession, error) { return nil, initORT() }

func (s *ortSession) close() {}

func (s *ortSession) run(map[string]*tensor.Tensor) ([]*tensor.Tensor, error) {
	return nil, initORT()
}
