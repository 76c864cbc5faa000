//go:build unix

package gguf

import (
	"fmt"
	"math"
	"os"
	"syscall"
)

// mapFile maps the opened regular file f of size bytes read-only and
// returns its bytes and the function that releases them. An empty file,
// or a file system without mmap, is read into memory instead. The mapping
// is shared: a file truncated by someone else while mapped faults on
// access, the usual contract of mapped model weights.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	if size > math.MaxInt {
		return nil, nil, fmt.Errorf("%s: file of %d bytes is too large to map", f.Name(), size)
	}
	if size > 0 {
		data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
		if err == nil {
			return data, func() error { return syscall.Munmap(data) }, nil
		}
	}
	return readSized(f, size)
}
