//go:build !unix

package onnx

import (
	"fmt"
	"os"
)

// mapFile reads path into memory: this platform has no syscall.Mmap.
func mapFile(path string) ([]byte, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: not a regular file", path)
	}
	data, err := readAllSized(f, st.Size())
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}
