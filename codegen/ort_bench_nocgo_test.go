//go:build !cgo

package codegen

import (
	"errors"

	"github.com/kiln-ml/kiln/ir/tensor"
)

// ortRunner needs cgo: without it there is no ONNX Runtime to compare with.
func ortRunner(string, []string, []*tensor.Tensor, int) (func() error, func(), error) {
	return nil, nil, errors.New("built without cgo: no ONNX Runtime")
}
