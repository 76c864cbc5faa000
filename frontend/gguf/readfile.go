package gguf

import (
	"fmt"
	"io"
	"os"
)

// readSized reads f, whose size was size when it was opened; a file that
// changes size meanwhile is an error rather than a silent short read.
func readSized(f *os.File, size int64) ([]byte, func() error, error) {
	if size < 0 || size != int64(int(size)) {
		return nil, nil, fmt.Errorf("%s: file of %d bytes is too large to read", f.Name(), size)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return data, func() error { return nil }, nil
}
