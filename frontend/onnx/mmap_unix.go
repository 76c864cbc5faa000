//go:build unix

package onnx

import (
	"fmt"
	"math"
	"syscall"

	"github.com/kiln-ml/kiln/internal/safefile"
)

// mapFile maps path read-only and returns its bytes and the function that
// releases them. When the file cannot be mapped (an empty file, a file
// system without mmap) it falls back to reading the file into memory.
// The mapping is shared: a file truncated by someone else while mapped
// faults on access, which is the usual contract of mapped model weights.
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
	size := st.Size()
	if size > math.MaxInt {
		return nil, nil, fmt.Errorf("%s: file of %d bytes is too large to map", path, size)
	}
	if size > 0 {
		data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
		if err == nil {
			return data, func() error { return syscall.Munmap(data) }, nil
		}
	}
	data, err := readAllSized(f, size)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}
