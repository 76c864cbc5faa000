//go:build !linux

package main

import "os"

// limitAddressSpace does nothing where kiln does not know how to cap the
// address space; the soft limit (debug.SetMemoryLimit) still applies.
func limitAddressSpace(mem int64) error { return nil }

// peakRSS is 0 (unknown) where kiln does not read a child's rusage.
func peakRSS(ps *os.ProcessState) int64 { return 0 }
