//go:build !unix

package safefile

import "os"

// openNonblock opens path read-only; platforms without O_NONBLOCK rely on
// the stat that Open does before.
func openNonblock(path string) (*os.File, error) {
	return os.Open(path)
}

// umask is zero where the platform has none.
var umask os.FileMode
