package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// limitAddressSpace caps this process's address space at what it maps now
// plus mem bytes (RLIMIT_AS), so an allocation beyond that fails instead
// of pushing the machine into swap or the OOM killer.
func limitAddressSpace(mem int64) error {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return fmt.Errorf("memory limit: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return fmt.Errorf("memory limit: /proc/self/statm is empty")
	}
	pages, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return fmt.Errorf("memory limit: %w", err)
	}
	lim := uint64(pages*int64(os.Getpagesize()) + mem)
	return syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: lim, Max: lim})
}
