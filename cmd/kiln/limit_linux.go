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

// peakRSS is the peak resident set size of an exited child process, from
// the rusage wait4 returned (ru_maxrss, in KiB on Linux; it includes the
// pages the child shared with its parent before exec); 0 when unknown.
func peakRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024
	}
	return 0
}
