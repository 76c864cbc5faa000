//go:build !unix

package gguf

import "os"

// mapFile reads the opened regular file f of size bytes into memory: this
// platform has no syscall.Mmap.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	return readSized(f, size)
}
