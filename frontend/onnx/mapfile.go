package onnx

import (
	"fmt"
	"io"
	"os"
)

// readAllSized reads f, whose size was size when it was opened; a file that
// changes size meanwhile is an error rather than a silent short read.
func readAllSized(f *os.File, size int64) ([]byte, error) {
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return data, nil
}
