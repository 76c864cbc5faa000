//go:build !unix

package ir

// mapFile reads path whole where memory mapping is not wired up.
func mapFile(path string) ([]byte, func() error, error) { return readWholeFile(path) }
