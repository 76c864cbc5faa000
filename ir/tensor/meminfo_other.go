//go:build !linux

package tensor

// physicalMemory returns 0: the machine's RAM is not read on this system.
func physicalMemory() int64 { return 0 }
