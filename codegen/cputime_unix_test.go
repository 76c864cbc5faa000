//go:build unix

package codegen

import (
	"syscall"
	"time"
)

// processCPUTime returns the process's user and system CPU time.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
