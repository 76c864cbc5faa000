//go:build unix

package ir

import (
	"fmt"
	"syscall"

	"github.com/kiln-ml/kiln/internal/safefile"
)

// mapFile maps path read-only so that constants alias its pages; the
// returned func unmaps it. Empty files and filesystems without mmap fall
// back to reading the file.
func mapFile(path string) ([]byte, func() error, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("data file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("data file: %w", err)
	}
	size := st.Size()
	if size == 0 || size != int64(int(size)) {
		return readWholeFile(path)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return readWholeFile(path)
	}
	return data, func() error { return syscall.Munmap(data) }, nil
}
