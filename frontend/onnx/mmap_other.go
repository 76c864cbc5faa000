//go:build !unix

package onnx

import (
	"github.com/kiln-ml/kiln/internal/safefile"
)

// mapFile reads path into memory: this platform has no syscall.Mmap.
func mapFile(path string) ([]byte, func() error, error) {
	// safefile.Open refuses FIFOs and devices before an open that
	// could block on them.
	f, err := safefile.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	data, err := readAllSized(f, st.Size())
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}
