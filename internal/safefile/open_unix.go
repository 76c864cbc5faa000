//go:build unix

package safefile

import (
	"os"
	"syscall"
)

// openNonblock opens path read-only with O_NONBLOCK: opening a FIFO then
// returns at once instead of waiting for a writer. On a regular file the
// flag changes nothing.
func openNonblock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// umask is the process's file mode creation mask, read once at start-up
// (reading it means setting it, which is only safe before other
// goroutines create files).
var umask = func() os.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return os.FileMode(m)
}()
